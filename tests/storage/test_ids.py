"""Ids allocated in DynamoDB: unique across threads and processes, below 2**53, resolvable."""

import datetime
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import DynamoError, ValidationError
from dynamodb.storage import ids
from dynamodb.storage.steps import run
from dynamodb.wire import client
from tests.testapp.models import Device, Note
from tests.timing import took

BASE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
THREADS = 4
PER_THREAD = 500


def counter_value(table_name):
    item = client.call(
        "get_item",
        TableName=ids.counter_table_name(),
        Key={ids.COUNTER_KEY: {"S": table_name}},
        ConsistentRead=True,
    ).get("Item")
    return None if item is None else int(item[ids.COUNTER_VALUE]["N"])


@pytest.mark.slow
@pytest.mark.django_db
def test_concurrent_inserts_get_distinct_ids(django_user_model):
    users = [django_user_model.objects.create_user(username=f"u{n}") for n in range(THREADS)]
    connector = Connector(Booking)

    def insert_many(user):
        inserted = []
        for i in range(PER_THREAD):
            moment = BASE + datetime.timedelta(microseconds=i)
            booking = connector.insert(Booking(user=user, date_at=moment, name=f"{i}", address="a"))
            inserted.append((booking.pk, user.pk, moment))
        return inserted

    def find_each(rows):
        return [(row, connector.get_by_id(row[0])) for row in rows]

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        inserted = list(pool.map(insert_many, users))
        results = [row for rows in inserted for row in rows]
        all_ids = [pk for pk, _, _ in results]
        assert len(all_ids) == THREADS * PER_THREAD
        assert len(set(all_ids)) == len(all_ids)
        assert all(isinstance(pk, int) and 0 < pk <= ids.MAX_ID for pk in all_ids)

        # get_by_id finds each: through the in-process cache, then through the id index alone.
        found = [pair for pairs in pool.map(find_each, inserted) for pair in pairs]
        ids.key_cache.clear()
        sample = [rows[::20] for rows in inserted]
        found += [pair for pairs in pool.map(find_each, sample) for pair in pairs]
    elapsed = time.monotonic() - started

    assert len(found) == len(results) + len(results) // 20
    for (pk, user_pk, moment), booking in found:
        assert booking is not None, pk
        assert (booking.pk, booking.user_id, booking.date_at) == (pk, user_pk, moment)
    # Ids come in blocks: far fewer counter writes than inserts, and few ids lost.
    assert max(all_ids) <= counter_value(connector.schema.table_name) <= len(all_ids) + 400
    assert connector.count() == len(all_ids)
    took(elapsed, f"{THREADS} threads inserting {PER_THREAD} bookings each", bound=300)


def test_small_blocks_under_contention(settings):
    settings.DYNAMODB_ID_BLOCK_SIZE = 3
    table = Connector(Note).schema.table_name

    def allocate(n):
        return [value for _ in range(25) for value in run(ids.allocate(table, count=n))]

    with ThreadPoolExecutor(THREADS) as pool:
        allocated = [value for values in pool.map(allocate, [1, 2, 5, 7]) for value in values]

    assert len(allocated) == 25 * (1 + 2 + 5 + 7)
    assert len(set(allocated)) == len(allocated)
    assert counter_value(table) >= max(allocated)


def test_another_process_never_reuses_ids():
    table = Connector(Note).schema.table_name
    here = run(ids.allocate(table, count=5))
    # A new process starts without blocks: it reserves its own.
    ids.forget_blocks()
    there = run(ids.allocate(table, count=5))
    ids.forget_blocks()
    again = run(ids.allocate(table, count=150))
    assert len(set(here) | set(there) | set(again)) == 160
    assert here == list(range(here[0], here[0] + 5))
    assert again == list(range(again[0], again[0] + 150))


def test_counter_past_two_to_the_53_is_an_error():
    table = Connector(Note).schema.table_name
    client.call(
        "put_item",
        TableName=ids.counter_table_name(),
        Item={ids.COUNTER_KEY: {"S": table}, ids.COUNTER_VALUE: {"N": str(ids.MAX_ID - 10)}},
    )
    ids.forget_blocks()
    with pytest.raises(DynamoError):
        Connector(Note).insert(Note(board="b", title="t"))
    assert Connector(Note).count() == 0


def test_ids_are_per_table():
    table = Connector(Note).schema.table_name
    note = Connector(Note).insert(Note(board="b", title="t"))
    assert counter_value(table) >= note.pk
    assert counter_value("another-table") is None


def test_get_by_id_of_an_unknown_id_is_none():
    connector = Connector(Note)
    note = connector.insert(Note(board="b", title="t"))
    assert connector.get_by_id(note.pk + 1_000_000) is None
    assert connector.get_by_id(0) is None
    assert connector.get_by_id(note.pk).title == "t"
    assert connector.get_by_id(str(note.pk)).title == "t"
    for bad in (None, True, False, "abc", ""):
        with pytest.raises(ValidationError):
            connector.get_by_id(bad)


def test_get_by_id_through_the_index_alone():
    connector = Connector(Note)
    notes = [connector.insert(Note(board=f"b{i % 3}", title=f"t{i}")) for i in range(9)]
    ids.key_cache.clear()
    for note in notes:
        found = connector.get_by_id(note.pk)
        assert (found.pk, found.board, found.title) == (note.pk, note.board, note.title)


def raw_delete(note):
    client.call(
        "delete_item",
        TableName=Connector(Note).schema.table_name,
        Key={"board": {"S": note.board}, "title": {"S": note.title}},
    )


def test_a_stale_cached_key_does_not_return_another_item():
    connector = Connector(Note)
    old = connector.insert(Note(board="b", title="same key", body="old"))
    assert connector.get_by_id(old.pk).body == "old"  # cached id -> key
    # Deleted behind the connector's back: the cache still maps the old id to the key.
    raw_delete(old)
    new = connector.insert(Note(board="b", title="same key", body="new"))
    assert new.pk != old.pk

    assert connector.get_by_id(old.pk) is None
    assert connector.get_by_id(new.pk).body == "new"


def test_a_deleted_id_is_gone_even_if_it_was_cached():
    connector = Connector(Note)
    old = connector.insert(Note(board="b", title="k", body="old"))
    connector.get_by_id(old.pk)
    connector.delete(old)
    assert connector.get_by_id(old.pk) is None
    new = connector.insert(Note(board="b", title="k", body="new"))
    assert connector.get_by_id(old.pk) is None
    assert connector.get_by_id(new.pk).body == "new"
    raw_delete(new)
    assert connector.get_by_id(new.pk) is None


def test_a_cache_bounded_in_size_still_resolves(settings):
    settings.DYNAMODB_ID_CACHE_SIZE = 2
    connector = Connector(Note)
    notes = [connector.insert(Note(board="b", title=f"t{i}")) for i in range(6)]
    assert [connector.get_by_id(n.pk).title for n in notes] == [f"t{i}" for i in range(6)]


def test_device_get_by_id_without_an_index():
    connector = Connector(Device)
    table = client.call("describe_table", TableName=connector.schema.table_name)["Table"]
    assert not table.get("GlobalSecondaryIndexes")
    device = connector.insert(Device(label="phone"))
    assert isinstance(device.pk, uuid.UUID)
    connector.insert(Device(label="tablet"))

    found = connector.get_by_id(device.pk)
    assert (found.pk, found.label) == (device.pk, "phone")
    assert connector.get_by_id(str(device.pk)).label == "phone"
    assert connector.get_by_id(uuid.uuid4()) is None
    with pytest.raises(ValidationError):
        connector.get_by_id("not-a-uuid")
    # A UUID primary key is never drawn from the id counter.
    assert counter_value(connector.schema.table_name) is None


def test_explicit_ids_are_kept():
    connector = Connector(Note)
    note = connector.insert(Note(id=424242, board="b", title="t"))
    assert note.pk == 424242
    assert connector.get_by_id(424242).title == "t"
