"""dynamo_dumpdata, dynamo_loaddata and seed_bookings against a real engine.

Items the engine leaves unprocessed are injected at the HTTP layer (``faults``,
tests/faults.py): held back from the real request and reported unprocessed.
"""

import datetime
import decimal
import io
import itertools
import json
import re
import tempfile
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.storage import jsonlines
from dynamodb.wire import client
from tests.testapp.models import Device, EveryField, Note, Owner

BASE = datetime.datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=datetime.UTC)
_fresh = itertools.count()


def run(command, *args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def raw_items(model):
    """Every stored item of a model's table, raw, ordered by id."""
    items, params = [], {"TableName": Connector(model).schema.table_name, "ConsistentRead": True}
    while True:
        response = client.call("scan", **params)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            return sorted(items, key=lambda item: int(item["id"]["N"]))
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


@pytest.fixture
def fresh_tables(dynamodb_tables, settings):
    """Switch to another table prefix with empty tables; call it to switch."""
    original = settings.DYNAMODB_TABLE_PREFIX
    prefix = f"{original}load{next(_fresh)}_"

    def switch():
        settings.DYNAMODB_TABLE_PREFIX = prefix
        for model in dynamodb_tables:
            Connector(model).create_table()

    yield switch
    if prefix == settings.DYNAMODB_TABLE_PREFIX:
        for model in dynamodb_tables:
            Connector(model).delete_table(wait=False)
        client.call("delete_table", TableName=f"{prefix}DynamoIdCounters")
    settings.DYNAMODB_TABLE_PREFIX = original


@pytest.fixture
def owner(db):
    return Owner.objects.create(name="owner")


def every_field(owner, reviewer):
    """One item with a demanding value in every field, and one with only its keys."""
    full = EveryField(
        owner=owner,
        created=BASE,
        reviewer=reviewer,
        big=-(2**63),
        small=-32768,
        integer=2_147_483_647,
        positive=0,
        positive_small=32767,
        positive_big=9_223_372_036_854_775_807,
        floating=0.1,
        decimal=decimal.Decimal("1234567890123456789012345678.0123456789"),
        boolean=False,
        char='Zoë ✓ "quoted" \\ back',
        choice=EveryField.Choice.GREEN,
        text="line one\nline two\ttabbed\u2028",
        slug="a-slug",
        email="ada@example.com",
        url="https://example.com/a?b=c",
        ip="2001:db8::1",
        uuid=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        date=datetime.date(1999, 12, 31),
        time=datetime.time(23, 59, 59, 999999),
        duration=-datetime.timedelta(days=3, microseconds=7),
        binary=bytes(range(256)),
        json={
            "exact": decimal.Decimal("0.1000000000000000000001"),
            "float": 2.5e-100,
            "int": 10**30,
            "nested": [True, None, "x", {"empty": {}}, []],
        },
        file="uploads/a.txt",
        file_path="/tmp/x",
    )
    sparse = EveryField(owner=owner, created=BASE + datetime.timedelta(microseconds=1))
    return [full, sparse]


@pytest.mark.django_db
def test_every_field_round_trips_exactly_through_dump_and_load(
    owner, django_user_model, fresh_tables, tmp_path
):
    connector = Connector(EveryField)
    for item in every_field(owner, django_user_model.objects.create_user(username="rev")):
        connector.insert(item)
    stored = connector.get([("owner", owner), ("created", BASE)])
    stored.text = "updated once"
    connector.update(stored)  # version 2, to show versions are kept
    original_raw = raw_items(EveryField)
    original = {item.pk: item for item in connector.all()}
    dump = tmp_path / "every.jsonl"

    out, _ = run("dynamo_dumpdata", "testapp.EveryField", output=str(dump))
    assert "Dumped 2 items of testapp.EveryField" in out
    fresh_tables()
    out, _ = run("dynamo_loaddata", "testapp.EveryField", str(dump))

    assert "Loaded 2 items" in out
    assert raw_items(EveryField) == original_raw
    loaded = {item.pk: item for item in Connector(EveryField).all()}
    assert loaded.keys() == original.keys()
    for pk, item in original.items():
        for field in EveryField._meta.concrete_fields:
            expected = field.value_from_object(item)
            assert field.value_from_object(loaded[pk]) == expected, field.name
    assert loaded[stored.pk].version == 2
    assert type(loaded[stored.pk].json["exact"]) is decimal.Decimal
    # The id counter was moved past the loaded ids.
    new = Connector(EveryField).insert(EveryField(owner=owner))
    assert new.pk > max(original)


@pytest.mark.django_db
def test_bookings_round_trip_through_several_scan_pages(django_user_model, fresh_tables, tmp_path):
    users = [django_user_model.objects.create_user(username=name) for name in ("a", "b")]
    Connector(Booking).bulk_insert(
        Booking(
            user=users[n % 2],
            date_at=BASE + datetime.timedelta(microseconds=n),
            date_for=BASE + datetime.timedelta(days=n, microseconds=999_999),
            name=f"Booking {n}",
            address=f"{n} Main St",
        )
        for n in range(7)
    )
    original = raw_items(Booking)
    dump = tmp_path / "bookings.jsonl"

    run("dynamo_dumpdata", "booking.Booking", output=str(dump), page_size=2)
    fresh_tables()
    out, _ = run("dynamo_loaddata", "booking.Booking", str(dump), batch_size=3)

    assert "Loaded 7 items" in out
    assert raw_items(Booking) == original
    assert len(dump.read_text().splitlines()) == 7


def test_dump_to_stdout_holds_only_json_lines():
    Connector(Note).bulk_insert(Note(board="b", title=f"t{n}", stars=n) for n in range(3))
    out, err = run("dynamo_dumpdata", "testapp.Note")
    lines = [json.loads(line) for line in out.splitlines()]
    assert sorted(line["stars"] for line in lines) == [0, 1, 2]
    assert set(lines[0]) == {"id", "board", "title", "body", "stars"}
    assert err == "Dumped 3 items of testapp.Note.\n"  # no progress: stderr is not a terminal


def note_lines(count):
    return [
        jsonlines.dumps(Note(id=n, board="b", title=f"t{n:02d}", body="body", stars=n))
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    ("bad_line", "field", "batch_size"),
    [
        ('{"id": 8, "board": "b", "title": "t08", ', None, 5),  # not JSON
        ('{"id": 8, "board": "b", "title": "t08", "stars": "many"}', "stars", 5),
        ('{"id": 8, "board": "b", "title": "t08", "stars": 1.5}', "stars", 5),
        ('{"id": 8, "board": "b", "title": "t08", "colour": "red"}', "colour", 5),
        # Refused by the connector's checks (max_length 200), inside a batch of 10.
        ('{"id": 8, "board": "b", "title": "' + "x" * 201 + '"}', "title", 10),
    ],
)
def test_a_bad_line_is_reported_and_a_rerun_after_fixing_it_loads_all_once(
    tmp_path, bad_line, field, batch_size
):
    lines = note_lines(12)
    good_line = lines[7]
    lines[7] = bad_line
    data = tmp_path / "notes.jsonl"
    data.write_text("\n".join(lines) + "\n")

    with pytest.raises(CommandError) as raised:
        run("dynamo_loaddata", "testapp.Note", str(data), batch_size=batch_size)

    message = str(raised.value)
    assert "line 8:" in message
    if field is not None:
        assert f"field '{field}'" in message
    connector = Connector(Note)
    assert sorted(note.stars for note in connector.all()) == list(range(1, 8))

    lines[7] = good_line
    data.write_text("\n".join(lines) + "\n")
    out, _ = run("dynamo_loaddata", "testapp.Note", str(data), batch_size=batch_size)
    assert "Loaded 12 items" in out
    assert connector.count() == 12
    assert sorted(note.pk for note in connector.all()) == list(range(1, 13))


@pytest.mark.parametrize("batch_size", [500, 2], ids=["one batch", "batches of 2"])
def test_a_key_loaded_twice_names_both_lines_and_overwrites_nothing(tmp_path, batch_size):
    lines = note_lines(6)
    lines[4] = lines[4].replace('"t05"', '"t01"').replace('"body":"body"', '"body":"other"')
    data = tmp_path / "notes.jsonl"
    data.write_text("\n".join(lines))
    with pytest.raises(
        CommandError,
        match=r"line 5: its key \(board=b, title=t01\) is already on line 1\. "
        r"Every line before it was loaded \(4 items\)",
    ):
        run("dynamo_loaddata", "testapp.Note", str(data), batch_size=batch_size)
    notes = list(Connector(Note).all())
    assert sorted(note.pk for note in notes) == [1, 2, 3, 4]
    assert {note.body for note in notes} == {"body"}


def test_an_id_loaded_twice_under_two_keys_is_refused(tmp_path):
    lines = note_lines(4)
    lines[3] = lines[3].replace('"id":4', '"id":2')
    data = tmp_path / "notes.jsonl"
    data.write_text("\n".join(lines))
    with pytest.raises(CommandError, match=r"line 4: its id \(id=2\) is already on line 2\."):
        run("dynamo_loaddata", "testapp.Note", str(data), batch_size=2)
    assert sorted(note.pk for note in Connector(Note).all()) == [1, 2, 3]


@pytest.mark.django_db
def test_equal_numbers_spelled_differently_are_one_key(tmp_path):
    """1.1 and 1.10 are one DynamoDB number, as are 0 and -0.00: one key, in any batch."""
    owner = Owner.objects.create(name="acme")
    data = tmp_path / "pledges.jsonl"
    for first_id, amounts in [(1, ["1.1", "2", "1.10"]), (11, ["0", "1", "-0.00"])]:
        lines = [
            f'{{"id": {n}, "owner": "{owner.pk}", "amount": "{amount}"}}'
            for n, amount in enumerate(amounts, first_id)
        ]
        data.write_text("\n".join(lines))
        with pytest.raises(
            CommandError, match=r"line 3: its key \(owner=.*\) is already on line 1"
        ):
            run("dynamo_loaddata", "testapp.Pledge", str(data), batch_size=1)


def test_an_id_given_to_a_line_without_one_is_not_reused_by_a_later_line(tmp_path):
    lines = [
        '{"board": "b", "title": "no id"}',
        '{"id": 10, "board": "b", "title": "t10"}',
        '{"id": 1, "board": "b", "title": "t01"}',
    ]
    data = tmp_path / "notes.jsonl"
    data.write_text("\n".join(lines))
    with pytest.raises(CommandError, match=r"line 3: its id \(id=1\) is already on line 1\."):
        run("dynamo_loaddata", "testapp.Note", str(data), batch_size=1)
    assert sorted(note.pk for note in Connector(Note).all()) == [1, 10]


def test_no_room_for_the_keys_read_is_a_command_error(tmp_path, monkeypatch):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_directory))
    data = tmp_path / "notes.jsonl"
    data.write_text("\n".join(note_lines(2)))
    with pytest.raises(CommandError, match="Cannot note the keys read in a temporary file"):
        run("dynamo_loaddata", "testapp.Note", str(data))
    assert Connector(Note).count() == 0


def test_lines_the_engine_would_not_take_are_named(tmp_path, settings, faults):
    settings.DYNAMODB_BATCH_MAX_ATTEMPTS = 2
    settings.DYNAMODB_BATCH_BACKOFF_MAX = 0.001
    devices = [Device(id=uuid.UUID(int=n), label=f"d{n}") for n in (1, 2, 3)]
    data = tmp_path / "devices.jsonl"
    data.write_text("".join(jsonlines.dumps(device) + "\n" for device in devices))
    stuck = {"PutRequest": {"Item": {"id": {"S": str(devices[1].id)}, "label": {"S": "d2"}}}}
    faults.hold_back("BatchWriteItem", lambda entries: [e for e in entries if e == stuck])
    with pytest.raises(
        CommandError, match=r"devices\.jsonl: these lines were not written: 2\. 1 items"
    ):
        run("dynamo_loaddata", "testapp.Device", str(data))
    table = Connector(Device).schema.table_name
    assert [len(held[table]) for held in faults.held["BatchWriteItem"]] == [1, 1]
    # The other lines were written, that one was not.
    found = Connector(Device).batch_get([[("id", device.id)] for device in devices])
    assert [item is not None for item in found] == [True, False, True]


@pytest.mark.django_db
def test_seed_bookings_creates_users_and_bookings_idempotently(django_user_model):
    out, _ = run("seed_bookings", "3", "--per-user", "4", "--seed", "1")
    assert "Users: 3 created, 0 already there. Bookings: 12 created." in out
    users = django_user_model.objects.filter(username__startswith="demo-user-").order_by("pk")
    assert [u.username for u in users] == ["demo-user-1", "demo-user-2", "demo-user-3"]
    assert not any(u.has_usable_password() for u in users)
    connector = Connector(Booking)
    bookings = [b for user in users for b in connector.select([("user", user)])]
    assert len(bookings) == 12
    assert all(len(list(connector.select([("user", user)]))) == 4 for user in users)
    assert len({b.date_at for b in bookings}) == 12
    now = datetime.datetime.now(datetime.UTC)
    assert all(now < b.date_for < now + datetime.timedelta(days=91) for b in bookings)
    assert all(b.name and b.address for b in bookings)

    out, _ = run("seed_bookings", "3", "--per-user", "2")
    assert "Users: 0 created, 3 already there. Bookings: 6 created." in out
    assert django_user_model.objects.count() == 3
    assert connector.count() == 18


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dynamo_dumpdata", "Note"), "'Note' is not a model label: use app_label.ModelName"),
        (("dynamo_dumpdata", "testapp.Nope"), "testapp.Nope: App 'testapp' doesn't have"),
        (("dynamo_dumpdata", "nope.Note"), "nope.Note: No installed app with label 'nope'."),
        (("dynamo_dumpdata", "testapp.Owner"), "testapp.Owner is not a DynamoCompatibleModel"),
        (("dynamo_loaddata", "testapp.Note", "/nonexistent/x.jsonl"), "Cannot read /nonexistent"),
        (("dynamo_loaddata", "testapp.Note", "x", "--batch-size", "0"), "--batch-size must be"),
        (("seed_bookings", "0"), "N must be at least 1"),
    ],
)
@pytest.mark.django_db
def test_bad_arguments_are_clear_command_errors(args, message):
    with pytest.raises(CommandError, match="^" + re.escape(message)):
        run(*args)
