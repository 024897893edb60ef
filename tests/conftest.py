"""Fixtures: a real engine over HTTP, and empty tables for the tests that ask for them.

The engine is moto's server, or dynalite with ``DYNAMODB_TEST_ENGINE=dynalite``
(``./manage.sh test --engine dynalite``), started on first use. A test that
needs what an engine may lack is marked ``needs_ttl``, ``needs_transactions``,
``needs_partiql`` or ``needs_gsi_updates`` and is skipped on an engine without it.

DynamoDB data does not roll back with Django's transaction, so a test that
uses ``dynamodb_tables`` gets its own table prefix: its tables are created
before it and deleted after. The tests under tests/storage, tests/api and
tests/fuzz use it for every test (their conftest.py); tests/unit never
starts an engine.

The fixtures several test modules share live here too: the API tests' users
(``ada``, ``bob``, ``staff``) and ``ada_client``, the connector's ``user``,
``requests_sent``, and ``faults`` (tests/faults.py: faults injected at the HTTP
layer). The API tests' URLs and ``client_for`` are in tests/api_helpers.py.

The suite's environment (no ``.env``, none of the project's variables, AWS
credentials of its own, no proxy) is made by tests/settings.py, which
pytest-django imports before this file: see tests/environment.py.
"""

import copy
import itertools

import pytest
from django.conf import settings as django_settings

from dynamodb.conf import conf
from dynamodb.connector import Connector
from dynamodb.storage import ids
from dynamodb.storage.tables import dynamo_models
from dynamodb.wire import client
from tests import timing
from tests.api_helpers import BOOKING_PERMISSIONS, client_for, create_api_user, grant
from tests.engine import CAPABILITIES, selected_engine_class
from tests.faults import Faults

_test_numbers = itertools.count()


def engine_class():
    try:
        return selected_engine_class()
    except RuntimeError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_report_header(config):
    return f"DynamoDB engine: {engine_class().name}"


def pytest_terminal_summary(terminalreporter):
    """The wall-clock durations the tests measured (tests/timing.py)."""
    if timing.DURATIONS:
        terminalreporter.section("wall-clock durations")
        for line in timing.summary():
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(config, items):
    """Skip the tests that need a capability the selected engine lacks."""
    engine = engine_class()
    for item in items:
        for capability, operations in CAPABILITIES.items():
            needed = item.get_closest_marker(f"needs_{capability}")
            if needed and capability not in engine.capabilities:
                reason = f"{engine.name} does not implement {operations}"
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def dynamodb_engine():
    """The selected engine's server in a subprocess, for the whole session."""
    server = engine_class()().start()
    django_settings.DYNAMODB_ENDPOINT_URL = server.url
    conf.reload()
    yield server
    server.stop()


@pytest.fixture
def dynamodb_tables(dynamodb_engine, settings):
    """Every DynamoDB model's table, empty, under a prefix of this test's own."""
    settings.DYNAMODB_ENDPOINT_URL = dynamodb_engine.url
    settings.DYNAMODB_TABLE_PREFIX = f"t{next(_test_numbers)}_"
    models = dynamo_models()
    for model in models:
        Connector(model).create_table()
    yield models
    if dynamodb_engine.process is None:
        return
    for model in models:
        Connector(model).delete_table(wait=False)
    client.call("delete_table", TableName=ids.counter_table_name())


@pytest.fixture
def faults(monkeypatch):
    """Faults injected at the HTTP layer, below both transports (tests/faults.py)."""
    return Faults(monkeypatch)


@pytest.fixture
def engine_outage(dynamodb_engine):
    """Stops the engine in the test; restarts it and recreates the tables afterwards."""
    yield dynamodb_engine
    if dynamodb_engine.process is None:
        dynamodb_engine.start()
        for model in dynamo_models():
            Connector(model).create_table()


@pytest.fixture
def requests_sent():
    """(operation, params) of every request the process's client sends (its threads share it)."""
    sent = []
    events = client.get_client().meta.events

    def record(params, model, **kwargs):
        sent.append((model.name, copy.deepcopy(params)))

    events.register("before-parameter-build.dynamodb", record, unique_id="tests-record")
    yield sent
    events.unregister("before-parameter-build.dynamodb", unique_id="tests-record")


# Users of the API tests, and a client of one of them. Each user's password is
# "<username>-password", which the tests that log in type.


@pytest.fixture
def ada():
    return create_api_user("ada")


@pytest.fixture
def bob():
    return create_api_user("bob")


@pytest.fixture
def staff():
    """The operator "root": staff with every booking permission, so reaches everyone's."""
    return grant(create_api_user("root", is_staff=True), *BOOKING_PERMISSIONS)


@pytest.fixture
def ada_client(ada):
    """An APIClient authenticated as ada with force_authenticate."""
    return client_for(ada)


@pytest.fixture
def user(django_user_model):
    """The user "ada" without a password, for the connector's tests."""
    return django_user_model.objects.create_user(username="ada")
