"""createdynamotables, the post_migrate handler and create_table() on fresh table prefixes."""

import io
import itertools
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import TableSchemaMismatch
from dynamodb.models import CacheEntry, IdempotencyKey
from dynamodb.storage import ids
from dynamodb.wire import client
from tests.engine import free_port
from tests.testapp.models import Book, Device, EveryField, Note, Pledge, Shelf

MODELS = [IdempotencyKey, CacheEntry, Booking, EveryField, Note, Device, Pledge, Shelf, Book]
_fresh = itertools.count()


def table_names(prefix):
    names, params = [], {}
    while True:
        response = client.call("list_tables", **params)
        names += [name for name in response["TableNames"] if name.startswith(prefix)]
        if "LastEvaluatedTableName" not in response:
            return sorted(names)
        params["ExclusiveStartTableName"] = response["LastEvaluatedTableName"]


@pytest.fixture
def fresh_prefix(dynamodb_tables, settings):
    """A table prefix under which no table exists yet; its tables are deleted afterwards."""
    original = settings.DYNAMODB_TABLE_PREFIX
    prefix = f"{original}fresh{next(_fresh)}_"
    settings.DYNAMODB_TABLE_PREFIX = prefix
    assert table_names(prefix) == []
    yield prefix
    for name in table_names(prefix):
        client.call("delete_table", TableName=name)
    settings.DYNAMODB_TABLE_PREFIX = original


def run(*args, **options):
    out = io.StringIO()
    call_command("createdynamotables", *args, stdout=out, **options)
    return out.getvalue()


def test_createdynamotables_is_idempotent(fresh_prefix):
    first = run()
    expected = sorted(f"{fresh_prefix}{model.table_name}" for model in MODELS)
    for name in expected:
        assert f"Created {name}" in first
    assert table_names(fresh_prefix) == sorted([*expected, ids.counter_table_name()])

    second = run()
    assert "Created" not in second
    for name in expected:
        assert f"{name} already exists" in second
    assert table_names(fresh_prefix) == sorted([*expected, ids.counter_table_name()])


def test_createdynamotables_creates_indexes(fresh_prefix):
    run("testapp.EveryField", "testapp.Device")
    every = client.call("describe_table", TableName=f"{fresh_prefix}EveryField")["Table"]
    indexes = {i["IndexName"]: i for i in every["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"EveryFieldBySlug", "EveryFieldByChar", "id-index"}
    # A KEYS_ONLY declaration also projects the primary key, which Django cannot defer.
    assert indexes["EveryFieldByChar"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["id"],
    }
    assert indexes["id-index"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert f"{fresh_prefix}Device" in table_names(fresh_prefix)
    assert f"{fresh_prefix}Note" not in table_names(fresh_prefix)


@pytest.mark.needs_ttl
def test_createdynamotables_enables_ttl(fresh_prefix):
    run("testapp.Device")
    ttl = client.call("describe_time_to_live", TableName=f"{fresh_prefix}Device")
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires"


def test_dry_run_prints_definitions_and_creates_nothing(fresh_prefix):
    output = run("--dry-run")
    definitions = {table["TableName"]: table for table in json.loads(output)}

    assert table_names(fresh_prefix) == []
    assert set(definitions) == {
        *(f"{fresh_prefix}{model.table_name}" for model in MODELS),
        ids.counter_table_name(),
    }
    booking = definitions[f"{fresh_prefix}BookingUserByDateAt"]
    types = {a["AttributeName"]: a["AttributeType"] for a in booking["AttributeDefinitions"]}
    assert types == {"user": "N", "date_at": "N", "date_for": "N", "id": "N"}
    assert booking["KeySchema"] == [
        {"AttributeName": "user", "KeyType": "HASH"},
        {"AttributeName": "date_at", "KeyType": "RANGE"},
    ]
    (local,) = booking["LocalSecondaryIndexes"]
    assert local["IndexName"] == "BookingUserByDateFor"
    assert local["KeySchema"] == [
        {"AttributeName": "user", "KeyType": "HASH"},
        {"AttributeName": "date_for", "KeyType": "RANGE"},
    ]
    assert [i["IndexName"] for i in booking["GlobalSecondaryIndexes"]] == ["id-index"]
    every = definitions[f"{fresh_prefix}EveryField"]
    every_types = {a["AttributeName"]: a["AttributeType"] for a in every["AttributeDefinitions"]}
    assert every_types["owner"] == "S"  # a ForeignKey to a UUID primary key
    device = definitions[f"{fresh_prefix}Device"]
    assert "GlobalSecondaryIndexes" not in device  # its pk is its partition key

    only_booking = json.loads(run("booking", "--dry-run"))
    assert [t["TableName"] for t in only_booking] == [
        f"{fresh_prefix}BookingUserByDateAt",
        ids.counter_table_name(),
    ]
    assert table_names(fresh_prefix) == []


def test_delete_with_noinput(fresh_prefix):
    run()
    output = run("booking", "--delete", "--noinput")
    assert f"Deleted {fresh_prefix}BookingUserByDateAt" in output
    assert f"{fresh_prefix}BookingUserByDateAt" not in table_names(fresh_prefix)
    assert f"{fresh_prefix}Note" in table_names(fresh_prefix)

    output = run("--delete", "--noinput")
    assert f"{fresh_prefix}BookingUserByDateAt does not exist" in output
    assert f"Deleted {fresh_prefix}Note" in output
    # The shared id counters stay.
    assert table_names(fresh_prefix) == [ids.counter_table_name()]


def test_delete_asks_for_confirmation(fresh_prefix, monkeypatch):
    run("testapp.Note")
    answers = iter(["no", "yes"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(CommandError):
        run("testapp.Note", "--delete")
    assert f"{fresh_prefix}Note" in table_names(fresh_prefix)
    run("testapp.Note", "--delete")
    assert f"{fresh_prefix}Note" not in table_names(fresh_prefix)


@pytest.mark.parametrize(
    "label", ["nope", "booking.Nope", "auth.User", "testapp.Owner", "testapp.Note.extra"]
)
def test_bad_labels_are_command_errors(label):
    with pytest.raises(CommandError):
        run(label)


def test_an_app_without_dynamodb_models(fresh_prefix):
    assert "No DynamoCompatibleModel found" in run("auth")
    assert table_names(fresh_prefix) == []


def test_an_unreachable_engine_is_a_command_error(settings, fresh_prefix):
    endpoint = settings.DYNAMODB_ENDPOINT_URL
    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_MAX_ATTEMPTS = 1
    try:
        with pytest.raises(CommandError) as raised:
            run("testapp.Note")
    finally:
        settings.DYNAMODB_ENDPOINT_URL = endpoint
    assert "testapp.Note" in str(raised.value)


@pytest.fixture
def testapp_without_migrations(settings):
    """testapp as an app without migrations, whose tables migrate's post_migrate creates."""
    settings.MIGRATION_MODULES = {"testapp": None}


@pytest.mark.django_db
def test_migrate_creates_the_tables_of_apps_without_migrations(
    settings, fresh_prefix, testapp_without_migrations
):
    settings.DYNAMODB_CREATE_TABLES_ON_MIGRATE = True
    call_command("migrate", verbosity=0)
    assert f"{fresh_prefix}Note" in table_names(fresh_prefix)
    assert ids.counter_table_name() in table_names(fresh_prefix)
    # booking has migrations: its table is its migrations' (CreateTable), not post_migrate's.
    assert not Connector(Booking).table_exists()

    out = io.StringIO()
    call_command("migrate", verbosity=1, stdout=out)  # idempotent, and quiet about it
    assert "Created DynamoDB table" not in out.getvalue()


@pytest.mark.django_db
def test_migrate_reports_the_tables_it_creates(settings, fresh_prefix, testapp_without_migrations):
    settings.DYNAMODB_CREATE_TABLES_ON_MIGRATE = True
    out = io.StringIO()
    call_command("migrate", verbosity=1, stdout=out)
    assert f"Created DynamoDB table {fresh_prefix}Note" in out.getvalue()


@pytest.mark.django_db
def test_migrate_creates_nothing_when_disabled(settings, fresh_prefix, testapp_without_migrations):
    settings.DYNAMODB_CREATE_TABLES_ON_MIGRATE = False
    call_command("migrate", verbosity=0)
    assert not Connector(Booking).table_exists()
    assert table_names(fresh_prefix) == []


@pytest.mark.django_db
def test_migrate_with_an_unreachable_engine_says_what_to_do(
    settings, fresh_prefix, testapp_without_migrations
):
    settings.DYNAMODB_CREATE_TABLES_ON_MIGRATE = True
    endpoint = settings.DYNAMODB_ENDPOINT_URL
    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_MAX_ATTEMPTS = 1
    try:
        with pytest.raises(CommandError) as raised:
            call_command("migrate", verbosity=0)
    finally:
        settings.DYNAMODB_ENDPOINT_URL = endpoint
    assert "DYNAMODB_CREATE_TABLES_ON_MIGRATE" in str(raised.value)


def create_raw_table(name, keys):
    client.call(
        "create_table",
        TableName=name,
        KeySchema=[{"AttributeName": n, "KeyType": k} for n, k, _ in keys],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, _, t in keys],
        BillingMode="PAY_PER_REQUEST",
    )


def test_create_table_refuses_an_existing_table_with_other_keys(fresh_prefix):
    create_raw_table(f"{fresh_prefix}Note", [("board", "HASH", "S")])
    with pytest.raises(TableSchemaMismatch):
        Connector(Note).create_table()
    with pytest.raises(CommandError):
        run("testapp.Note")


def test_create_table_refuses_an_existing_table_with_other_key_types(fresh_prefix):
    create_raw_table(f"{fresh_prefix}Note", [("board", "HASH", "N"), ("title", "RANGE", "S")])
    with pytest.raises(TableSchemaMismatch):
        Connector(Note).create_table()


def test_create_table_accepts_an_existing_table_with_the_same_keys(fresh_prefix):
    assert Connector(Note).create_table() is True
    assert Connector(Note).create_table() is False
    Connector(Note).insert(Note(board="b", title="t"))
    assert Connector(Note).count() == 1  # the existing table was left as it was


def test_create_table_alone_is_enough_to_insert(fresh_prefix):
    assert not Connector(Note).table_exists()
    assert Connector(Note).create_table() is True
    assert Connector(Note).table_exists()
    assert table_names(fresh_prefix) == sorted([f"{fresh_prefix}Note", ids.counter_table_name()])

    first = Connector(Note).insert(Note(board="b", title="one"))
    second = Connector(Note).insert(Note(board="b", title="two"))
    assert isinstance(first.pk, int) and isinstance(second.pk, int)
    assert first.pk != second.pk
    assert Connector(Note).get_by_id(second.pk).title == "two"


def test_delete_table(fresh_prefix):
    Connector(Device).create_table()
    Connector(Device).insert(Device(label="x"))
    assert Connector(Device).delete_table() is True
    assert not Connector(Device).table_exists()
    assert Connector(Device).delete_table() is False
    assert Connector(Device).create_table() is True
    assert Connector(Device).count() == 0
