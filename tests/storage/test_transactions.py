"""dynamodb.transaction against a real engine: all or nothing, limits, tokens, on_commit."""

import datetime
import logging

import pytest
from django.contrib.auth.models import User

from booking.models import Booking
from dynamodb import transaction
from dynamodb.connector import Connector
from dynamodb.exceptions import (
    EngineUnavailable,
    ItemAlreadyExists,
    ItemNotFound,
    TransactionAborted,
    TransactionCanceled,
    TransactionTooLarge,
    UnsupportedOperation,
    VersionConflict,
)
from dynamodb.storage import atomic
from dynamodb.storage.transactions import Engine
from tests.faults import error_response, json_response
from tests.testapp.models import Book, Note, Shelf

pytestmark = pytest.mark.django_db
atomic_engine = pytest.mark.needs_transactions


def notes(board="b"):
    return sorted(note.title for note in Note.objects.filter(board=board))


def sent_operations(requests_sent):
    return [name for name, _ in requests_sent]


@atomic_engine
def test_writes_are_collected_and_sent_as_one_transaction(requests_sent):
    Note.objects.create(board="b", title="before")
    requests_sent.clear()
    with transaction.atomic():
        Note.objects.create(board="b", title="one")
        Note(board="b", title="two").save()
        assert notes() == ["before"], "nothing is sent inside the block"
        assert sent_operations(requests_sent) == ["Query"]
    assert notes() == ["before", "one", "two"]
    assert "TransactWriteItems" in sent_operations(requests_sent)
    assert "PutItem" not in sent_operations(requests_sent)


@atomic_engine
def test_one_insert_meeting_an_existing_key_writes_nothing_and_names_action_two():
    Note.objects.create(board="b", title="taken", body="original")
    first, second, third = (Note(board="b", title=t) for t in ("x", "taken", "y"))
    with pytest.raises(TransactionCanceled) as canceled, transaction.atomic():
        first.save()
        second.save()
        third.save()
    assert notes() == ["taken"]
    errors = [error for _label, _key, error in canceled.value.actions]
    assert [type(error) for error in errors] == [
        TransactionAborted,
        ItemAlreadyExists,
        TransactionAborted,
    ]
    message = str(canceled.value)
    assert "2. Put of testapp.Note (board=b, title=taken): ItemAlreadyExists" in message
    # No instance is left half-changed: ids given back, still unsaved.
    assert all(n.pk is None and n._state.adding for n in (first, second, third))
    assert Note.objects.get(board="b", title="taken").body == "original"


@atomic_engine
def test_a_version_conflict_inside_a_block(ada):
    booking = Booking.objects.create(user=ada, name="n", address="a")
    stale = Booking.objects.get(pk=booking.pk)
    booking.name = "first writer"
    booking.save()
    stale.name = "second writer"
    with pytest.raises(TransactionCanceled) as canceled, transaction.atomic():
        stale.save()
        Note.objects.create(board="b", title="with it")
    assert isinstance(canceled.value.actions[0][2], VersionConflict)
    assert stale.version == booking.version - 1, "the instance keeps the version it read"
    assert Booking.objects.get(pk=booking.pk).name == "first writer"
    assert notes() == []


@atomic_engine
def test_updates_deletes_and_checks_in_one_block(ada):
    shelf = Shelf.objects.create(name="s")
    kept = Book.objects.create(shelf=shelf, title="kept", stars=1)
    gone = Book.objects.create(shelf=shelf, title="gone")
    other = Book.objects.create(shelf=shelf, title="other")
    with transaction.atomic() as tx:
        kept.stars = 5
        kept.save(update_fields=["stars"])
        gone.delete()
        Book.objects.filter(shelf=shelf, title="other").update(year=2001)
        tx.condition_check(shelf, name="s")
    assert [(b.title, b.stars, b.year) for b in Book.objects.filter(shelf=shelf)] == [
        ("kept", 5, None),
        ("other", 0, 2001),
    ]
    other.delete()
    with pytest.raises(TransactionCanceled, match="does not hold"), transaction.atomic() as tx:
        Book.objects.create(shelf=shelf, title="new")
        tx.condition_check(shelf, name="renamed")
    assert [b.title for b in Book.objects.filter(shelf=shelf)] == ["kept"]
    with pytest.raises(TransactionCanceled) as canceled, transaction.atomic():
        Book.objects.create(shelf=shelf, title="other")
        Book(shelf=shelf, title="gone").delete()
    assert isinstance(canceled.value.actions[1][2], ItemNotFound)


def test_an_exception_in_the_block_sends_nothing_and_restores_the_instances(requests_sent):
    note = Note(board="b", title="t")
    with pytest.raises(RuntimeError), transaction.atomic():
        note.save()
        raise RuntimeError("changed my mind")
    assert note.pk is None and note._state.adding
    assert notes() == []
    assert not {"TransactWriteItems", "PutItem"} & set(sent_operations(requests_sent))


def test_101_actions_are_refused_before_anything_is_sent(requests_sent):
    with (
        pytest.raises(TransactionTooLarge, match="Action 101 .* 100 actions"),
        transaction.atomic(),
    ):
        for n in range(101):
            Note(board="b", title=f"t{n:03d}").save()
    assert "TransactWriteItems" not in sent_operations(requests_sent)
    assert notes() == []


def test_two_actions_on_one_item_are_refused():
    Note.objects.create(board="b", title="t")
    note = Note.objects.get(board="b", title="t")
    one_item = "Action 2 .* on the item of action 1"
    with pytest.raises(TransactionTooLarge, match=one_item), transaction.atomic():
        note.stars = 1
        note.save()
        Note.objects.filter(board="b", title="t").delete()
    assert Note.objects.get(board="b", title="t").stars == 0


def test_four_megabytes_are_refused_before_anything_is_sent(requests_sent):
    with pytest.raises(TransactionTooLarge, match="past DynamoDB's 4 MB"), transaction.atomic():
        for n in range(11):
            Note(board="b", title=f"t{n}", body="x" * 390_000).save()
    assert "TransactWriteItems" not in sent_operations(requests_sent)


@atomic_engine
def test_a_retry_with_the_same_token_writes_nothing_twice():
    def block(token):
        with transaction.atomic(token=token):
            for title in ("a", "b"):
                note = Note(board="b", title=title, id=ids[title])
                note.save()

    ids = {"a": 9001, "b": 9002}
    block("order-42")
    block("order-42")  # the same request again: a success, nothing written twice
    assert notes() == ["a", "b"]
    with pytest.raises(TransactionCanceled):
        block("another-request")  # without the token, the same writes are refused
    long_token = "x" * 100
    with transaction.atomic(token=long_token):
        Note.objects.create(board="c", title="hashed")
    assert notes("c") == ["hashed"]


@atomic_engine
def test_on_commit_runs_after_success_only():
    done = []
    with transaction.atomic() as tx:
        Note.objects.create(board="b", title="t")
        tx.on_commit(lambda: done.append("block"))
        transaction.on_commit(lambda: done.append("module"))
        assert done == []
    assert done == ["block", "module"]
    with pytest.raises(TransactionCanceled), transaction.atomic() as tx:
        Note.objects.create(board="b", title="t")
        tx.on_commit(lambda: done.append("never"))
    transaction.on_commit(lambda: done.append("outside a block: at once"))
    assert done == ["block", "module", "outside a block: at once"]


@atomic_engine
def test_nested_blocks_are_part_of_the_outer_one():
    Note.objects.create(board="b", title="taken")
    with pytest.raises(TransactionCanceled), transaction.atomic():
        Note.objects.create(board="b", title="outer")
        with transaction.atomic():
            Note.objects.create(board="b", title="inner")
        Note.objects.create(board="b", title="taken")  # cancels the inner block's too
    assert notes() == ["taken"]
    with (
        pytest.raises(UnsupportedOperation, match="no savepoints"),
        transaction.atomic(),
        transaction.atomic(savepoint=True),
    ):
        pass


@atomic_engine
def test_get_reads_a_snapshot_in_order():
    shelf = Shelf.objects.create(name="s")
    book = Book.objects.create(shelf=shelf, title="t")
    found = transaction.get(
        [book, (Shelf, [("id", shelf.pk)]), (Book, {"shelf": shelf.pk, "title": "x"})]
    )
    assert [type(item).__name__ if item else None for item in found] == ["Book", "Shelf", None]
    assert found[1].name == "s"
    assert Connector(Book).transact_get([[("shelf", shelf), ("title", "t")]]) == [book]


@atomic_engine
def test_the_connector_low_level_form():
    shelf = Shelf.objects.create(name="s")
    old = Book.objects.create(shelf=shelf, title="old")
    new = Book(shelf=shelf, title="new")
    Connector(Book).transact_write(
        [
            ("insert", new),
            ("delete", [("shelf", shelf), ("title", "old")]),
            ("check", shelf, {"name": "s"}),
        ]
    )
    assert [b.title for b in Book.objects.filter(shelf=shelf)] == ["new"]
    assert not new._state.adding
    with pytest.raises(TransactionCanceled):
        Connector(Book).transact_write([("update", old)])


def test_without_transactions_the_writes_go_one_by_one(caplog):
    """On an engine without transactions (dynalite), a block still writes, not atomically."""
    if atomic.supported():
        pytest.skip("this engine has transactions")
    Engine.supports_transactions = None
    with caplog.at_level(logging.WARNING), transaction.atomic():
        Note.objects.create(board="b", title="one")
        Note.objects.create(board="b", title="two")
    assert notes() == ["one", "two"]
    assert "not atomic" in caplog.text
    with pytest.raises(ItemAlreadyExists), transaction.atomic():
        Note.objects.create(board="b", title="three")
        Note.objects.create(board="b", title="one")
        Note.objects.create(board="b", title="four")
    assert notes() == ["one", "three", "two"], "written in order until the first failure"


# Cascades: a user's bookings go in one transaction (up to 99), or in resumable chunks.


def bookings_of(user, count):
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    Booking.objects.bulk_create(
        Booking(user=user, date_at=base + datetime.timedelta(seconds=n), name="n", address="a")
        for n in range(count)
    )


def engine_failing(request):
    """A rewrite answering in the engine's place: every attempt is a 500."""
    return error_response("InternalServerError", status=500)


@atomic_engine
@pytest.mark.django_db(transaction=True)  # the failed deletion rolls back SQL
def test_a_cascade_of_50_bookings_is_all_or_nothing(ada, faults):
    pk = ada.pk
    bookings_of(ada, 50)
    faults.rewrite("TransactWriteItems", engine_failing)
    with pytest.raises(EngineUnavailable):
        ada.delete()
    assert Booking.objects.filter(user=pk).count() == 50
    assert User.objects.filter(pk=pk).exists(), "the SQL deletion is rolled back too"
    faults.rewrite("TransactWriteItems", lambda request: None)
    ada.delete()
    assert Booking.objects.filter(user=pk).count() == 0
    assert faults.count("BatchWriteItem") == faults.count("DeleteItem") == 0


@atomic_engine
def test_a_cascade_whose_answer_is_lost_deletes_once_without_error(ada, faults):
    pk = ada.pk
    bookings_of(ada, 50)
    faults.lose("TransactWriteItems", b"BookingUserByDateAt")
    ada.delete()
    assert Booking.objects.filter(user=pk).count() == 0
    assert not User.objects.filter(pk=pk).exists()
    assert faults.count("TransactWriteItems") == 2


@atomic_engine
@pytest.mark.django_db(transaction=True)  # the failed deletion rolls back SQL
def test_a_larger_cascade_goes_in_chunks_a_new_attempt_finishes(ada, faults):
    pk = ada.pk
    bookings_of(ada, 150)
    chunks = []

    def fail_after_the_first(request):
        chunks.append(len(request["TransactItems"]))
        return engine_failing(request) if len(chunks) > 1 else None

    faults.rewrite("TransactWriteItems", fail_after_the_first)
    with pytest.raises(EngineUnavailable):
        ada.delete()
    assert chunks[0] == 99
    assert Booking.objects.filter(user=pk).count() == 150 - 99
    faults.rewrite("TransactWriteItems", lambda request: None)
    ada.delete()
    assert Booking.objects.filter(user=pk).count() == 0


@atomic_engine
def test_a_transaction_conflict_is_sent_again(faults):
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[TransactionConflict, None]",
        "CancellationReasons": [
            {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
            {"Code": "None"},
        ],
    }
    faults.answer("TransactWriteItems", lambda: json_response(400, body))
    with transaction.atomic():
        Note.objects.create(board="b", title="one")
        Note.objects.create(board="b", title="two")
    assert notes() == ["one", "two"]
    assert faults.count("TransactWriteItems") == 2
