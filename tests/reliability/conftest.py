"""Fixtures of the reliability suite: the service under gunicorn, over real HTTP on loopback.

Every test here is marked ``reliability`` (``pytest -m reliability`` runs them
alone, ``-m "not reliability"`` skips them) and stops by itself: each one has a
deadline and a bound on the requests it sends.

The service is the project's own (``tests.service.Service``): gunicorn with
``project/gunicorn.conf.py`` (2 sync workers) on a free loopback port, next to
its own local engine (moto serving one request at a time:
src/dynamodb/local_engine.py), with
``tests.reliability.service_settings`` (the test suite's apps and routes,
read from the environment as ``project.settings`` reads it). Django's data
(users, DRF tokens, an EveryField owner) lives in a temporary SQLite file,
migrated and filled by ``manage.py`` subprocesses, as an operator would.
Teardown stops every process and checks that none is left.
"""

import dataclasses
import json
from pathlib import Path

import pytest

from tests.engine import MotoServer
from tests.service import Api, Service, alive

HERE = Path(__file__).resolve().parent
# Users of the service (each with a DRF token): one per test, and the load run's.
LOAD_USERS = [f"load-{n}" for n in range(8)]
USERS = ["writer", "racer", "outage", "slow", "staff", *LOAD_USERS]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "reliability: concurrency, faults and load against the service under gunicorn "
        "(tests/reliability/)",
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.reliability)


# Figures: each test records what it sent and checked; the terminal summary lists them.

FIGURES = []


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, figures in FIGURES:
        shown = ", ".join(f"{key} {value}" for key, value in figures.items())
        terminalreporter.write_line(f"{name}: {shown}")


@pytest.fixture
def figures(request):
    """A dict the test fills with its figures (requests, errors, items checked...)."""
    recorded = {}
    yield recorded
    if recorded:
        FIGURES.append((request.node.name, recorded))


# The service


class Stacks:
    """Starts services (and engines); stops them all at the end and reports what is left."""

    def __init__(self, workdir, database, server):
        self.workdir = workdir
        self.database = database
        self.server = server  # DJANGO_SERVER of every service started: wsgi or asgi
        self.services = []
        self.engines = []

    def engine(self):
        engine = MotoServer().start()
        self.engines.append(engine)
        return engine

    def service(self, endpoint_url, prefix, environment=None, tables_at=None):
        service = Service(
            self.workdir, self.database, endpoint_url, prefix, environment, self.server
        )
        service.create_tables(tables_at)
        self.services.append(service)
        return service.start()

    def stop(self):
        left = set()
        for service in self.services:
            left |= service.stop()
        for engine in self.engines:
            process = engine.process
            engine.stop()
            if process is not None and alive(process.pid):
                left.add(process.pid)
        return left


def _setup_database(workdir):
    """Migrate a SQLite file and create the users, their tokens and an EveryField owner."""
    database = workdir / "db.sqlite3"
    setup = Service(workdir, database, "http://127.0.0.1:9", "setup_")
    setup.manage("migrate", "--noinput")
    script = (
        "import json\n"
        "from django.contrib.auth.models import Permission, User\n"
        "from rest_framework.authtoken.models import Token\n"
        "from tests.testapp.models import Owner\n"
        "tokens = {}\n"
        f"for name in {USERS!r}:\n"
        "    user = User.objects.create_user(name, is_staff=name == 'staff')\n"
        "    if name == 'staff':\n"
        "        booking = Permission.objects.filter(content_type__app_label='booking')\n"
        "        user.user_permissions.set(booking)\n"
        "    tokens[name] = Token.objects.create(user=user).key\n"
        "owner = Owner.objects.create(name='shared')\n"
        "print(json.dumps({'tokens': tokens, 'owner': str(owner.pk)}))\n"
    )
    created = json.loads(setup.manage("shell", "-c", script).strip().splitlines()[-1])
    return database, created["tokens"], created["owner"]


@dataclasses.dataclass
class Site:
    """What the session fixture provides: the stacks, the users' tokens, the shared owner."""

    stacks: Stacks
    tokens: dict
    owner: str
    engine: MotoServer
    service: Service

    def api(self, user=None, service=None, timeout=30.0):
        service = service or self.service
        return Api(service, None if user is None else self.tokens[user], timeout)


@pytest.fixture(scope="session", params=["wsgi", "asgi"])
def server(request):
    """Every reliability test runs against the service served both ways (DJANGO_SERVER)."""
    return request.param


@pytest.fixture(scope="session")
def site(tmp_path_factory, server):
    """moto and gunicorn (2 workers) for the session; every process stopped at the end."""
    workdir = tmp_path_factory.mktemp(f"reliability-{server}")
    database, tokens, owner = _setup_database(workdir)
    stacks = Stacks(workdir, database, server)
    try:
        engine = stacks.engine()
        service = stacks.service(engine.url, "rel_")
        yield Site(stacks, tokens, owner, engine, service)
    finally:
        left = stacks.stop()
    assert not left, f"processes left running: {sorted(left)}"


@pytest.fixture
def stacks(site):
    """Stacks of one test's own (an engine to stop, a service with other settings)."""
    own = Stacks(site.stacks.workdir, site.stacks.database, site.stacks.server)
    try:
        yield own
    finally:
        left = own.stop()
    assert not left, f"processes left running: {sorted(left)}"
