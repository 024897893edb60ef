"""bulk_insert, batch_get and batch_delete against a real engine; faults injected over HTTP.

Partial answers (UnprocessedItems / UnprocessedKeys) and engine errors are
injected at the HTTP layer (``faults``, tests/faults.py), below both
transports: part of a real request is held back before it reaches the engine
and reported unprocessed, as DynamoDB does under load, so that the engine's
final state shows what was written; an error is answered at every attempt
botocore makes.
"""

import copy
import datetime
import json
import uuid

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import (
    BatchGetFailed,
    BatchWriteFailed,
    EngineUnavailable,
    InvalidBatchItem,
    ValidationError,
)
from dynamodb.storage import ids, items
from dynamodb.wire import client
from tests.testapp.models import Device, EveryField, Note, Owner

BASE = datetime.datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=datetime.UTC)


@pytest.fixture
def fast_retries(settings):
    """Three attempts and millisecond backoff, so that exhausting the retries is quick."""
    settings.DYNAMODB_BATCH_MAX_ATTEMPTS = 3
    settings.DYNAMODB_BATCH_BACKOFF_BASE = 0.001
    settings.DYNAMODB_BATCH_BACKOFF_MAX = 0.002


def hold_back_every_third(faults, operation, requests=1):
    """The engine processes only part of the first ``requests`` requests of ``operation``:
    every third entry (write request or key) is held back and reported unprocessed."""
    sent = []

    def select(entries):
        sent.append(entries)
        return entries[::3] if len(sent) <= requests else []

    faults.hold_back(operation, select)


def held_sizes(faults, operation):
    """How many entries each request of ``operation`` had held back."""
    return [sum(map(len, held.values())) for held in faults.held[operation]]


def put(device):
    """The PutRequest bulk_insert sends for a Device (its item, serialized)."""
    return {"PutRequest": {"Item": {"id": {"S": str(device.id)}, "label": {"S": device.label}}}}


def devices(count):
    return [Device(id=uuid.UUID(int=n + 1), label=f"device {n}") for n in range(count)]


# bulk_insert


@pytest.mark.slow
def test_bulk_insert_of_a_thousand_items_in_chunks_of_25():
    connector = Connector(Note)
    sizes, counter_writes = [], []
    table = connector.schema.table_name

    def count(params, **kwargs):
        sizes.append(len(json.loads(params["body"])["RequestItems"][table]))

    def count_counter_writes(params, **kwargs):
        if params["TableName"] == ids.counter_table_name():
            counter_writes.append(params)

    events = client.get_client().meta.events
    events.register("before-call.dynamodb.BatchWriteItem", count, unique_id="tests-count")
    events.register(
        "before-parameter-build.dynamodb.UpdateItem", count_counter_writes, unique_id="tests-ids"
    )
    notes = [Note(board=f"b{n % 7}", title=f"note {n:04d}", stars=n) for n in range(1000)]
    try:
        returned = connector.bulk_insert(notes)
    finally:
        events.unregister("before-call.dynamodb.BatchWriteItem", unique_id="tests-count")
        events.unregister("before-parameter-build.dynamodb.UpdateItem", unique_id="tests-ids")

    assert returned == notes
    assert sizes == [25] * 40
    assert len(counter_writes) == 1  # all 1,000 ids reserved with one counter write
    assert len({note.pk for note in notes}) == 1000
    assert all(isinstance(note.pk, int) and not note._state.adding for note in notes)
    assert connector.count() == 1000

    found = connector.batch_get([[("board", n.board), ("title", n.title)] for n in notes])
    assert [(n.pk, n.stars) for n in found] == [(n.pk, n.stars) for n in notes]
    assert all(connector.get_by_id(note.pk).title == note.title for note in notes)
    ids.key_cache.clear()  # now through the id index
    assert [connector.get_by_id(note.pk).stars for note in notes[::97]] == list(range(0, 1000, 97))


@pytest.mark.django_db
def test_bulk_insert_sets_versions_and_keeps_given_values():
    owner = Owner.objects.create(name="o")
    connector = Connector(EveryField)
    first = EveryField(owner=owner, created=BASE, char="a")
    second = EveryField(owner=owner, created=BASE + datetime.timedelta(microseconds=1), version=7)
    connector.bulk_insert([first, second])
    assert (first.version, second.version) == (1, 7)
    stored = connector.batch_get([first.get_key_list(), second.get_key_list()])
    assert [(s.pk, s.version, s.char) for s in stored] == [
        (first.pk, 1, "a"),
        (second.pk, 7, None),
    ]


def test_bulk_insert_of_nothing_sends_nothing(requests_sent):
    assert Connector(Note).bulk_insert(iter([])) == []
    assert requests_sent == []


@pytest.mark.django_db
def test_an_invalid_instance_sends_nothing_and_names_its_position_and_field(user, requests_sent):
    connector = Connector(Booking)
    bookings = [
        Booking(user=user, date_at=BASE + datetime.timedelta(seconds=n), name=f"b{n}", address="a")
        for n in range(30)
    ]
    bookings[27].name = "x" * 256

    with pytest.raises(InvalidBatchItem) as raised:
        connector.bulk_insert(bookings)

    assert raised.value.position == 27
    assert raised.value.field == "name"
    assert "Instance 27" in str(raised.value) and "name" in str(raised.value)
    assert requests_sent == []
    assert all(b.pk is None and b._state.adding for b in bookings)
    assert connector.count() == 0

    bookings[27].name = "fixed"
    connector.bulk_insert(bookings)
    assert connector.count() == 30


@pytest.mark.django_db
def test_duplicate_keys_or_ids_in_one_call_are_refused_before_any_request(user, requests_sent):
    connector = Connector(Booking)
    same_key = [Booking(user=user, date_at=BASE, name=name, address="a") for name in "ab"]
    with pytest.raises(InvalidBatchItem) as raised:
        connector.bulk_insert([Booking(user=user, name="other", address="a"), *same_key])
    assert raised.value.position == 2
    assert raised.value.duplicate_of == 1
    assert "Instance 2 of the batch: its key (user=" in str(raised.value)

    other_time = BASE + datetime.timedelta(seconds=1)
    same_id = [
        Booking(id=5, user=user, date_at=BASE, name="a", address="a"),
        Booking(id=5, user=user, date_at=other_time, name="b", address="a"),
    ]
    with pytest.raises(InvalidBatchItem) as raised:
        connector.bulk_insert(same_id)
    assert (raised.value.position, raised.value.field) == (1, "id")

    twice = Booking(user=user, name="twice", address="a")
    with pytest.raises(InvalidBatchItem):
        connector.bulk_insert([twice, twice])
    with pytest.raises(ValidationError):
        connector.bulk_insert([Note(board="b", title="t")])
    assert requests_sent == []
    assert [b.pk for b in [*same_key, twice]] == [None, None, None]


def test_a_failed_id_allocation_leaves_the_instances_as_they_were(faults, settings):
    notes = [Note(board="b", title="t")]
    counters = ids.counter_table_name().encode()
    attempts = settings.DYNAMODB_MAX_ATTEMPTS
    faults.error(
        "UpdateItem", "InternalServerError", status=500, times=attempts, containing=counters
    )
    with pytest.raises(EngineUnavailable):
        Connector(Note).bulk_insert(notes)
    assert notes[0].pk is None and notes[0]._state.adding
    assert faults.count("UpdateItem", counters) == attempts  # botocore retried the allocation
    assert faults.count("BatchWriteItem") == 0
    assert Connector(Note).count() == 0


def test_bulk_insert_overwrites_an_item_with_the_same_key():
    connector = Connector(Note)
    original = connector.insert(Note(board="b", title="t", body="original"))
    connector.bulk_insert([Note(id=original.pk, board="b", title="t", body="replaced")])
    assert connector.get([("board", "b"), ("title", "t")]).body == "replaced"
    assert connector.count() == 1


def test_given_ids_are_never_allocated_again():
    connector = Connector(Note)
    connector.insert(Note(board="b", title="before"))  # this process now holds a block of ids
    connector.bulk_insert([Note(id=n, board="b", title=f"given {n}") for n in (40, 41, 250)])
    later = connector.bulk_insert([Note(board="b", title=f"new {n}") for n in range(3)])
    later.append(connector.insert(Note(board="b", title="inserted")))
    assert all(note.pk > 250 for note in later)
    assert connector.get_by_id(40).title == "given 40"


@pytest.mark.django_db
def test_items_the_engine_leaves_unprocessed_are_resent_until_stored(user, faults):
    connector = Connector(Booking)
    bookings = [
        Booking(
            user=user, date_at=BASE + datetime.timedelta(microseconds=n), name=f"{n}", address="a"
        )
        for n in range(60)
    ]
    hold_back_every_third(faults, "BatchWriteItem", requests=2)
    connector.bulk_insert(bookings)

    # 9 of the first chunk's 25 held back, then 3 of those 9 again when they are resent.
    assert held_sizes(faults, "BatchWriteItem") == [9, 3]
    stored = list(connector.select([("user", user)]))
    assert [(b.pk, b.name) for b in stored] == [(b.pk, b.name) for b in bookings]
    assert not any(b._state.adding for b in bookings)


def stored_devices(wanted):
    """Which of the devices ``wanted`` the engine holds."""
    found = Connector(Device).batch_get([[("id", device.id)] for device in wanted])
    return [device for device, item in zip(wanted, found, strict=True) if item is not None]


def test_the_resend_carries_exactly_the_unprocessed_items(fast_retries, faults):
    connector = Connector(Device)
    table = connector.schema.table_name
    items = devices(5)
    unprocessed = [put(items[1]), put(items[3])]
    held = faults.held["BatchWriteItem"]
    faults.hold_back(  # in the first request only
        "BatchWriteItem", lambda entries: [] if held else [e for e in entries if e in unprocessed]
    )
    connector.bulk_insert(items)
    assert faults.requests("BatchWriteItem") == [
        {"RequestItems": {table: [put(device) for device in items]}},
        {"RequestItems": {table: unprocessed}},
    ]
    assert not any(device._state.adding for device in items)
    assert stored_devices(items) == items


def test_exhausted_retries_raise_batch_write_failed_naming_every_unwritten_key(
    fast_retries, faults
):
    connector = Connector(Device)
    items = devices(30)
    stuck = [items[n] for n in (2, 3, 5, 8, 13)]
    unprocessed = [put(device) for device in stuck]
    faults.hold_back("BatchWriteItem", lambda entries: [e for e in entries if e in unprocessed])

    with pytest.raises(BatchWriteFailed) as raised:
        connector.bulk_insert(items)

    error = raised.value
    unwritten = stuck + items[25:]  # the second chunk was never sent
    assert faults.count("BatchWriteItem") == 3  # the first chunk, then its 2 resends
    assert error.failed_keys == [[("id", device.id)] for device in unwritten]
    for device in unwritten:
        assert str(device.id) in str(error)
    assert "10 items" in str(error) and "unprocessed 3 times" in str(error)
    assert error.__cause__ is None
    assert [d for d in items if d._state.adding] == unwritten
    assert stored_devices(items) == [d for d in items if d not in unwritten]


def test_an_engine_error_mid_batch_names_what_was_not_written(fast_retries, faults, settings):
    connector = Connector(Device)
    items = devices(30)
    second_chunk = str(items[25].id).encode()
    attempts = settings.DYNAMODB_MAX_ATTEMPTS
    faults.error(
        "BatchWriteItem", "InternalServerError", status=500, times=attempts, containing=second_chunk
    )
    with pytest.raises(BatchWriteFailed) as raised:
        connector.bulk_insert(items)

    assert faults.count("BatchWriteItem") == 1 + attempts  # botocore retried the second chunk
    assert raised.value.failed_keys == [[("id", device.id)] for device in items[25:]]
    assert isinstance(raised.value.__cause__, EngineUnavailable)
    assert [d for d in items if d._state.adding] == items[25:]
    assert stored_devices(items) == items[:25]


# batch_get


def test_batch_get_keeps_request_order_with_none_and_duplicates(requests_sent):
    connector = Connector(Note)
    connector.bulk_insert([Note(board="b", title=f"t{n:03d}", stars=n) for n in range(150)])
    keys = [[("board", "b"), ("title", f"t{n:03d}")] for n in range(149, -1, -1)]
    keys.insert(3, [("board", "b"), ("title", "missing")])
    keys += [[("board", "b"), ("title", "t007")], {"board": "b", "title": "t149"}]
    before = copy.deepcopy(keys)
    requests_sent.clear()

    found = connector.batch_get(keys)

    assert keys == before
    expected = [*range(149, 146, -1), None, *range(146, -1, -1), 7, 149]
    assert [None if note is None else note.stars for note in found] == expected
    assert found[-1] is not found[0]  # a repeated key gives an instance of its own
    sizes = [
        len(params["RequestItems"][connector.schema.table_name]["Keys"])
        for _, params in requests_sent
    ]
    assert sizes == [100, 51]  # 151 distinct keys


def test_batch_get_of_an_invalid_key_sends_nothing(requests_sent):
    with pytest.raises(InvalidBatchItem) as raised:
        Connector(Note).batch_get([[("board", "b"), ("title", "t")], [("board", "b")]])
    assert (raised.value.position, raised.value.field) == (1, "title")
    assert Connector(Note).batch_get([]) == []
    assert requests_sent == []


def test_unprocessed_keys_are_requested_again(faults):
    connector = Connector(Note)
    connector.bulk_insert([Note(board="b", title=f"t{n}", stars=n) for n in range(30)])
    hold_back_every_third(faults, "BatchGetItem")
    found = connector.batch_get([[("board", "b"), ("title", f"t{n}")] for n in range(30)])
    assert held_sizes(faults, "BatchGetItem") == [10]
    assert [
        len(request["RequestItems"][connector.schema.table_name]["Keys"])
        for request in faults.requests("BatchGetItem")
    ] == [30, 10]
    assert [note.stars for note in found] == list(range(30))


def test_keys_still_unprocessed_after_the_retries_raise(fast_retries, faults):
    connector = Connector(Device)
    wanted = devices(3)
    connector.bulk_insert([wanted[0], wanted[2]])
    stuck = {"id": {"S": str(wanted[2].id)}}
    faults.hold_back("BatchGetItem", lambda keys: [key for key in keys if key == stuck])
    with pytest.raises(BatchGetFailed) as raised:
        connector.batch_get([[("id", device.id)] for device in wanted])
    assert faults.count("BatchGetItem") == 3
    assert held_sizes(faults, "BatchGetItem") == [1, 1, 1]
    assert raised.value.failed_keys == [[("id", wanted[2].id)]]
    assert str(wanted[2].id) in str(raised.value)


# batch_delete


def test_batch_delete_names_the_items_it_could_not_delete(fast_retries, faults):
    connector = Connector(Device)
    stored = connector.bulk_insert(devices(3))
    keys = [{"id": {"S": str(device.id)}} for device in stored]
    stuck = {"DeleteRequest": {"Key": keys[1]}}
    faults.hold_back("BatchWriteItem", lambda entries: [e for e in entries if e == stuck])
    with pytest.raises(BatchWriteFailed) as raised:
        connector.batch_delete(keys)
    assert held_sizes(faults, "BatchWriteItem") == [1, 1, 1]  # the request, then 2 resends
    assert raised.value.failed_keys == [items.key_list_of(connector.schema, keys[1])]
    assert "not deleted" in str(raised.value)
    assert stored_devices(stored) == [stored[1]]
