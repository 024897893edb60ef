"""The async API against a real engine: the same semantics as the sync one, no threads.

Async twins of the QuerySet, model and Connector methods send the same
requests through the event loop's client (``wire/async_transport.py``); the
sync tests check what the requests do, these that the async path does the
same and holds under concurrency inside one loop.
"""

import asyncio
import threading

import pytest
from django.db.models import F

from booking.models import Booking
from dynamodb import transaction
from dynamodb.connector import Connector
from dynamodb.exceptions import (
    EngineUnavailable,
    ItemAlreadyExists,
    Throttled,
    TransactionCanceled,
    VersionConflict,
)
from dynamodb.wire import client
from tests.testapp.models import Note

pytestmark = pytest.mark.django_db


def titles(board="b"):
    return sorted(note.title for note in Note.objects.filter(board=board))


async def test_reads_and_writes_through_the_queryset():
    first = await Note.objects.acreate(board="b", title="one", body="first")
    assert first.pk is not None and not first._state.adding
    with pytest.raises(ItemAlreadyExists):
        await Note.objects.acreate(board="b", title="one", body="again")
    await Note.objects.abulk_create([Note(board="b", title=t) for t in ("two", "three")])
    assert (await Note.objects.aget(board="b", title="one")).body == "first"
    assert (await Note.objects.aget(pk=first.pk)).title == "one"
    with pytest.raises(Note.DoesNotExist):
        await Note.objects.aget(board="b", title="none")
    with pytest.raises(Note.MultipleObjectsReturned):
        await Note.objects.aget(board="b")
    board = Note.objects.filter(board="b")
    assert await board.acount() == 3
    assert await board.aexists() and not await Note.objects.filter(board="x").aexists()
    assert (await board.afirst()).title == "one"
    assert (await board.alast()).title == "two"
    assert [n.title async for n in board] == ["one", "three", "two"]
    assert [n.title async for n in board.aiterator(chunk_size=1)] == ["one", "three", "two"]
    assert [v async for v in board.values_list("title", flat=True)] == ["one", "three", "two"]
    page = await board.apage(2)
    assert [n.title for n in page.items] == ["one", "three"]
    rest = await board.apage(2, page.cursor)
    assert [n.title for n in rest.items] == ["two"] and rest.cursor is None
    assert set(await Note.objects.ain_bulk([first.pk])) == {first.pk}

    assert await board.filter(title__gte="t").aupdate(stars=F("stars") + 2) == 2
    assert sorted((n.title, n.stars) for n in Note.objects.filter(board="b")) == [
        ("one", 0),
        ("three", 2),
        ("two", 2),
    ]
    note, created = await Note.objects.aget_or_create(board="b", title="four")
    assert created and (await Note.objects.aget_or_create(board="b", title="four"))[1] is False
    note, created = await Note.objects.aupdate_or_create(
        board="b", title="four", defaults={"body": "updated"}
    )
    assert not created and note.body == "updated"
    assert await board.filter(title="four").adelete() == (1, {"testapp.Note": 1})
    assert titles() == ["one", "three", "two"]


async def test_model_save_refresh_and_delete():
    note = Note(board="b", title="t", body="new")
    await note.asave()
    note.body = "changed"
    await note.asave(update_fields=["body"])
    stale = Note(board="b", title="t", pk=note.pk)
    await stale.arefresh_from_db()
    assert stale.body == "changed"
    assert await note.adelete() == (1, {"testapp.Note": 1})
    with pytest.raises(Note.DoesNotExist):
        await stale.arefresh_from_db()


async def test_the_connector():
    connector = Connector(Note)
    await connector.ainsert(Note(board="c", title="a"))
    await connector.abulk_insert([Note(board="c", title=t) for t in ("b", "c")])
    assert [n.title async for n in connector.aselect([("board", "c")], descending=True)] == [
        "c",
        "b",
        "a",
    ]
    found = await connector.aget([("board", "c"), ("title", "b")])
    found.body = "x"
    await connector.aupdate(found, fields=["body"])
    batch = await connector.abatch_get([[("board", "c"), ("title", t)] for t in ("b", "z")])
    assert [n and n.body for n in batch] == ["x", None]
    assert await connector.acount([("board", "c")]) == 3
    await connector.adelete([("board", "c"), ("title", "a")])
    assert await connector.acount([("board", "c")]) == 2


async def test_200_concurrent_creates_get_200_distinct_ids():
    created = await asyncio.gather(
        *(Note.objects.acreate(board="many", title=f"{n:03}") for n in range(200))
    )
    assert len({note.pk for note in created}) == 200
    assert await Note.objects.filter(board="many").acount() == 200


async def test_concurrent_conditional_writes_to_one_item_one_wins(ada):
    """Ten tasks update the same version of a booking: its version condition lets one through."""
    original = await Booking.objects.acreate(user_id=ada.pk, name="n", address="a")
    copies = [await Booking.objects.aget(pk=original.pk) for _ in range(10)]
    for position, copy in enumerate(copies):
        copy.name = f"writer {position}"
    outcomes = await asyncio.gather(*(c.asave() for c in copies), return_exceptions=True)
    winners = [position for position, outcome in enumerate(outcomes) if outcome is None]
    assert len(winners) == 1
    assert all(isinstance(o, VersionConflict) for o in outcomes if o is not None)
    stored = await Booking.objects.aget(pk=original.pk)
    assert (stored.name, stored.version) == (f"writer {winners[0]}", 2)


async def test_a_cancelled_task_writes_nothing_half_and_the_pool_stays_usable():
    """Cancelled while its request is out: the item is written whole or not at all."""
    tasks = [
        asyncio.create_task(Note.objects.acreate(board="cancel", title=f"{n:02}", body="x" * 1000))
        for n in range(20)
    ]
    await asyncio.sleep(0.01)
    for task in tasks[::2]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stored = [n async for n in Note.objects.filter(board="cancel")]
    assert all(note.body == "x" * 1000 for note in stored)
    assert {n.title for n in stored} >= {f"{n:02}" for n in range(1, 20, 2)}
    await Note.objects.acreate(board="cancel", title="after")  # the pool still serves
    assert await Note.objects.filter(board="cancel", title="after").aexists()


async def test_a_transaction_from_async_code():
    if not await asyncio.to_thread(_has_transactions):
        pytest.skip("this engine has no transactions")
    await Note.objects.acreate(board="t", title="taken")
    with pytest.raises(TransactionCanceled):
        async with transaction.aatomic():
            await Note.objects.acreate(board="t", title="new")
            await Note.objects.acreate(board="t", title="taken")
    assert await Note.objects.filter(board="t").acount() == 1
    async with transaction.aatomic() as tx:
        await Note.objects.acreate(board="t", title="a")
        await Note.objects.acreate(board="t", title="b")
        done = []
        tx.on_commit(lambda: done.append(True))
    assert done == [True]
    found = await transaction.aget([(Note, {"board": "t", "title": "a"})])
    assert found[0].title == "a"


def _has_transactions():
    from dynamodb.storage import atomic

    return atomic.supported()


async def test_hot_operations_start_no_thread(settings):
    """With the lean transport, requests are the event loop's I/O: no worker thread."""
    if settings.DYNAMODB_TRANSPORT != "lean":
        pytest.skip("the boto3 transport sends from a thread")
    await Note.objects.acreate(board="b", title="warm")
    before = threading.active_count()
    await asyncio.gather(*(Note.objects.aget(board="b", title="warm") for _ in range(20)))
    assert threading.active_count() == before
    assert client.get_async_client() is not None


# Faults at the HTTP layer (tests/faults.py covers aiohttp too): botocore's retries hold.


async def test_throttling_is_retried_by_botocores_policy(faults, settings):
    settings.DYNAMODB_MAX_ATTEMPTS = 3
    faults.throttle("PutItem", times=2)
    await Note.objects.acreate(board="f", title="throttled twice")
    assert faults.count("PutItem") == 3
    faults.throttle("GetItem", times=3)
    with pytest.raises(Throttled):
        await Note.objects.aget(board="f", title="throttled twice")
    assert faults.count("GetItem") == 3


async def test_a_lost_answer_is_resent_and_the_insert_happens_once(faults):
    faults.lose("PutItem", b"lost")
    note = await Note.objects.acreate(board="f", title="lost")
    assert faults.count("PutItem", b"lost") == 2
    assert [n.pk async for n in Note.objects.filter(board="f")] == [note.pk]


async def test_an_engine_error_is_engine_unavailable(faults, settings):
    settings.DYNAMODB_MAX_ATTEMPTS = 2
    faults.error("GetItem", "InternalServerError", status=500, times=2)
    with pytest.raises(EngineUnavailable):
        await Note.objects.aget(board="f", title="x")
    assert faults.count("GetItem") == 2
