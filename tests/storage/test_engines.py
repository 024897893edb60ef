"""Why the suite runs on two engines, and what the second one caught.

moto's server accepts some requests AWS rejects; dynalite validates them as
AWS does (``./manage.sh test --engine dynalite``, run by CI after the moto run).
The raw requests below are rejected by dynalite and accepted by moto, while
the Connector refuses the same values before sending anything, on either
engine. dynalite also answers as AWS does where moto does not (numbers in
plain digits, no TTL): the Connector handles both, tested here on any engine.
"""

import datetime
import json
import logging
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from botocore.awsrequest import AWSResponse

from dynamodb import exceptions
from dynamodb.connector import Connector
from dynamodb.wire import client
from dynamodb.wire.client import get_client
from dynamodb.wire.marshalling import deserialize
from tests.engine import ENGINE_VARIABLE, ENGINES, selected_engine_class
from tests.testapp.models import Device, EveryField, Note, Owner

ROOT = Path(__file__).resolve().parents[2]
CREATED = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})


@pytest.fixture
def sent():
    """The (operation, params) of every request the client sends during the test."""
    requests = []

    def record(params, model, **kwargs):
        requests.append((model.name, params))

    events = get_client().meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id="test-engines-sent")
    yield requests
    events.unregister("before-parameter-build.dynamodb", unique_id="test-engines-sent")


class _Body:
    def __init__(self, data):
        self.data = data

    def stream(self, **kwargs):
        yield self.data


@pytest.fixture
def engine_answers():
    """Answer one operation in the engine's place (a patched HTTP send, below the Connector)."""
    events = get_client().meta.events
    registered = []

    def answer(operation, status, code, message=""):
        body = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
        )

        def send(request, **kwargs):
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            return AWSResponse(request.url, status, headers, _Body(body.encode()))

        event = f"before-send.dynamodb.{operation}"
        events.register(event, send, unique_id=f"test-engines-{operation}")
        registered.append((event, f"test-engines-{operation}"))

    yield answer
    for event, unique_id in registered:
        events.unregister(event, unique_id=unique_id)


def note_item(**extra):
    return {"board": {"S": "b"}, "title": {"S": "t"}, **extra}


# Raw requests AWS rejects: dynalite rejects them too, moto accepts them.
AWS_REJECTS = {
    "26-item BatchWriteItem": lambda table: (
        "batch_write_item",
        {
            "RequestItems": {
                table: [
                    {"PutRequest": {"Item": note_item(title={"S": f"t{n}"})}} for n in range(26)
                ]
            }
        },
    ),
    "39-digit number": lambda table: (
        "put_item",
        {"TableName": table, "Item": note_item(stars={"N": "1" * 39})},
    ),
    "number of 1E+126": lambda table: (
        "put_item",
        {"TableName": table, "Item": note_item(stars={"N": "1E+126"})},
    ),
    "unused ExpressionAttributeValues": lambda table: (
        "put_item",
        {
            "TableName": table,
            "Item": note_item(),
            "ConditionExpression": "attribute_not_exists(board)",
            "ExpressionAttributeValues": {":unused": {"S": "x"}},
        },
    ),
}


@pytest.mark.parametrize("case", AWS_REJECTS)
def test_dynalite_rejects_what_aws_rejects_and_moto_accepts(dynamodb_engine, case):
    operation, params = AWS_REJECTS[case](Connector(Note).schema.table_name)
    if dynamodb_engine.name == "dynalite":
        with pytest.raises(exceptions.EngineRejected):
            client.call(operation, **params)
        assert Connector(Note).count() == 0
    else:
        # moto's blind spot: the reason CI runs the suite on dynalite as well.
        client.call(operation, **params)
        assert Connector(Note).count() > 0


@pytest.mark.django_db
@pytest.mark.parametrize("value", [Decimal("1" * 39), Decimal("1E+126")], ids=str)
def test_the_connector_refuses_those_numbers_before_sending(sent, value):
    owner = Owner.objects.create(name="Ada")
    with pytest.raises(exceptions.ValidationError) as info:
        Connector(EveryField).insert(EveryField(owner=owner, created=CREATED, json=[value]))
    assert info.value.field == "json"
    assert [operation for operation, _ in sent if operation in WRITES] == []
    assert Connector(EveryField).count() == 0


def test_the_connector_writes_batches_of_at_most_25(sent):
    connector = Connector(Note)
    for position in range(26):
        connector.insert(Note(board="b", title=f"t{position:02}"))
    keys = [{"board": {"S": "b"}, "title": {"S": f"t{position:02}"}} for position in range(26)]
    connector.batch_delete(keys)
    batches = [params for operation, params in sent if operation == "BatchWriteItem"]
    sizes = [len(requests) for batch in batches for requests in batch["RequestItems"].values()]
    assert sizes == [25, 1]
    assert connector.count() == 0


# Numbers come back as AWS spells them: in plain digits, trailing zeros dropped.


@pytest.mark.django_db
def test_a_number_aws_returns_in_plain_digits_reads_back():
    owner = Owner.objects.create(name="Ada")
    connector = Connector(EveryField)
    stored = connector.insert(
        EveryField(owner=owner, created=CREATED, floating=9.99999999999999e125, json=[10**100])
    )
    # dynalite (as AWS) answers 1E+100 with 101 digits, which boto3's own reader refuses.
    found = connector.get_by_id(stored.pk)
    assert found.floating == 9.99999999999999e125
    assert found.json == [10**100]


def test_deserialize_reads_numbers_past_38_digits_of_trailing_zeros():
    item = {"a": {"N": "1" + "0" * 100}, "b": {"NS": ["-25" + "0" * 40]}, "c": {"N": "1.10"}}
    assert deserialize(item) == {
        "a": Decimal("1E+100"),
        "b": {Decimal("-2.5E+41")},
        "c": Decimal("1.10"),
    }


# TTL: dynalite does not implement UpdateTimeToLive (nor transactions, nor PartiQL).


@pytest.mark.django_db
def test_create_table_on_an_engine_without_ttl_warns_and_the_table_works(
    dynamodb_engine, engine_answers, caplog
):
    if "ttl" in dynamodb_engine.capabilities:
        engine_answers("UpdateTimeToLive", 400, "UnknownOperationException")
    connector = Connector(Device)
    connector.delete_table()
    with caplog.at_level(logging.WARNING, logger="dynamodb.connector"):
        assert connector.create_table() is True
    assert "does not implement TTL" in caplog.text
    assert connector.schema.table_name in caplog.text
    device = connector.insert(Device(label="phone", expires=CREATED))
    assert connector.get_by_id(device.pk).expires == CREATED


def test_create_table_raises_any_other_ttl_failure(engine_answers):
    engine_answers("UpdateTimeToLive", 400, "ValidationException", "TimeToLive is already enabled")
    connector = Connector(Device)
    connector.delete_table()
    with pytest.raises(exceptions.EngineRejected, match="already enabled"):
        connector.create_table()


# Choosing the engine


def test_the_session_runs_on_the_selected_engine(dynamodb_engine):
    assert type(dynamodb_engine) is selected_engine_class()
    assert set(ENGINES) == {"moto", "dynalite"}


def test_an_unknown_engine_variable_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(ENGINE_VARIABLE, "cassandra")
    with pytest.raises(RuntimeError, match="'cassandra' is not an engine"):
        selected_engine_class()


def test_manage_test_refuses_an_unknown_engine():
    result = subprocess.run(
        [str(ROOT / "manage.sh"), "test", "--engine", "cassandra"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "unknown engine 'cassandra'" in result.stderr
    assert "moto dynalite" in result.stderr


def test_manage_help_documents_the_engines():
    result = subprocess.run(
        [str(ROOT / "manage.sh"), "help"], capture_output=True, text=True, timeout=60
    )
    assert "test [--engine E]" in result.stdout
    assert "dynalite" in result.stdout
