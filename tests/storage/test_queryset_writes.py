"""Model.objects writes on a real engine: nothing overwritten, nothing lost, Django's counts."""

import datetime
import threading

import pytest
from django.db.models import F
from django.db.models.signals import post_delete, pre_delete

from booking.models import Booking
from dynamodb.exceptions import (
    BulkCreateConflict,
    InvalidBatchItem,
    ItemAlreadyExists,
    UnsupportedOperation,
    ValidationError,
)
from dynamodb.wire import client
from tests.testapp.models import Book, Note, Shelf

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def operations(sent):
    return [name for name, _ in sent]


def test_create_inserts_and_never_overwrites(requests_sent):
    note = Note.objects.create(board="b", title="t", body="first")
    assert note.pk is not None and not note._state.adding
    with pytest.raises(ItemAlreadyExists):
        Note.objects.create(board="b", title="t", body="second")
    assert Note.objects.get(board="b", title="t").body == "first"
    puts = [params for name, params in requests_sent if name == "PutItem"]
    assert all("attribute_not_exists" in params["ConditionExpression"] for params in puts)


def test_get_or_create_reads_then_creates():
    note, created = Note.objects.get_or_create(board="b", title="t", defaults={"body": "new"})
    assert created and note.body == "new"
    again, created = Note.objects.get_or_create(board="b", title="t", defaults={"body": "other"})
    assert not created and again.pk == note.pk and again.body == "new"
    with pytest.raises(Exception, match="Invalid field name"):
        Note.objects.get_or_create(board="b", title="u", defaults={"nope": 1})


def test_get_or_create_is_race_safe():
    """Eight threads at once: one item, one creator, everyone gets it."""
    results, errors = [], []
    barrier = threading.Barrier(8)

    def attempt(n):
        barrier.wait()
        try:
            results.append(
                Note.objects.get_or_create(board="race", title="one", defaults={"stars": n})
            )
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(created for _, created in results) == 1
    assert len({note.pk for note, _ in results}) == 1
    assert Note.objects.filter(board="race").count() == 1


def test_update_or_create():
    note, created = Note.objects.update_or_create(board="b", title="t", defaults={"stars": 1})
    assert created and note.stars == 1
    note, created = Note.objects.update_or_create(
        board="b", title="t", defaults={"stars": 5}, create_defaults={"stars": 9}
    )
    assert not created and note.stars == 5
    assert Note.objects.get(board="b", title="t").stars == 5
    fresh, created = Note.objects.update_or_create(
        board="b", title="u", defaults={"stars": 5}, create_defaults={"stars": 9}
    )
    assert created and fresh.stars == 9


def test_update_or_create_checks_the_version(ada):
    booking = Booking.objects.create(user=ada, date_at=T0, name="n", address="a")
    updated, created = Booking.objects.update_or_create(
        user=ada, date_at=T0, defaults={"name": "renamed"}
    )
    assert not created and updated.version == booking.version + 1
    assert Booking.objects.get(user=ada, date_at=T0).name == "renamed"


def test_bulk_create_never_overwrites_and_reports_exactly(requests_sent):
    Note.objects.create(board="b", title="taken", body="original")
    notes = [Note(board="b", title=title) for title in ("one", "taken", "two")]
    requests_sent.clear()
    with pytest.raises(BulkCreateConflict) as conflict:
        Note.objects.bulk_create(notes)
    assert conflict.value.existing == [notes[1]]
    assert conflict.value.written == [notes[0], notes[2]]
    assert "position" in str(conflict.value) and "1 (board=b, title=taken)" in str(conflict.value)
    assert Note.objects.get(board="b", title="taken").body == "original"
    assert notes[1]._state.adding and notes[1].pk is None
    assert not notes[0]._state.adding and notes[0].pk is not None
    assert "BatchWriteItem" not in operations(requests_sent)
    # One counter write served the three ids.
    counter_writes = [p for n, p in requests_sent if n == "UpdateItem"]
    assert len(counter_writes) <= 1


def test_bulk_create_can_ignore_conflicts():
    Note.objects.create(board="b", title="taken")
    notes = Note.objects.bulk_create(
        [Note(board="b", title="taken"), Note(board="b", title="new")], ignore_conflicts=True
    )
    assert notes[0]._state.adding and not notes[1]._state.adding
    assert Note.objects.filter(board="b").count() == 2


def test_bulk_create_validates_everything_before_sending(requests_sent):
    notes = [Note(board="b", title="ok"), Note(board="", title="x")]
    with pytest.raises(InvalidBatchItem, match="Instance 1"):
        Note.objects.bulk_create(notes)
    assert requests_sent == [] and notes[0].pk is None
    with pytest.raises(UnsupportedOperation, match="would overwrite"):
        Note.objects.bulk_create([Note(board="b", title="t")], update_conflicts=True)


def test_update_sets_fields_on_each_match_and_counts(requests_sent):
    for n in range(4):
        Note.objects.create(board="b", title=f"t{n}", stars=n)
    Note.objects.create(board="other", title="t9", stars=1)
    requests_sent.clear()
    assert Note.objects.filter(board="b", stars__gte=2).update(body="popular") == 2
    assert [n.body for n in Note.objects.filter(board="b")] == ["", "", "popular", "popular"]
    updates = [params for name, params in requests_sent if name == "UpdateItem"]
    assert len(updates) == 2
    assert all("attribute_exists" in params["ConditionExpression"] for params in updates)
    assert Note.objects.filter(board="b").update(stars=F("stars") + 10) == 4
    assert [n.stars for n in Note.objects.filter(board="b")] == [10, 11, 12, 13]
    assert Note.objects.filter(board="b", title="t0").update(stars=F("stars") - 3) == 1
    assert Note.objects.get(board="b", title="t0").stars == 7
    assert Note.objects.get(board="other", title="t9").stars == 1


def test_update_skips_items_changed_or_deleted_since_they_were_read():
    Note.objects.create(board="b", title="a", stars=1)
    Note.objects.create(board="b", title="c", stars=1)
    queryset = Note.objects.filter(board="b", stars=1)
    matched = list(queryset)
    table = Note.objects.all().query.schema.table_name
    # Between update()'s read and its writes, nothing changes here; but a write's
    # condition repeats the filter: an item that no longer matches is left alone.
    client.call(
        "update_item",
        TableName=table,
        Key={"board": {"S": "b"}, "title": {"S": "c"}},
        UpdateExpression="SET stars = :s",
        ExpressionAttributeValues={":s": {"N": "5"}},
    )
    assert len(matched) == 2
    assert queryset.update(body="one star") == 1
    assert Note.objects.get(board="b", title="c").body == ""


def test_update_refuses_keys_and_unknown_fields():
    Note.objects.create(board="b", title="a")
    with pytest.raises(ValidationError, match="immutable"):
        Note.objects.filter(board="b").update(title="z")
    with pytest.raises(ValidationError, match="no field 'nope'"):
        Note.objects.filter(board="b").update(nope=1)
    with pytest.raises(UnsupportedOperation, match="F\\('stars'\\) \\+ n"):
        Note.objects.filter(board="b").update(stars=F("stars") * 2)
    with pytest.raises(TypeError, match="slice"):
        Note.objects.filter(board="b")[:1].update(stars=1)


def test_update_moves_the_version_on(ada):
    booking = Booking.objects.create(user=ada, date_at=T0, name="n", address="a")
    assert Booking.objects.filter(user=ada).update(name="m") == 1
    stored = Booking.objects.get(user=ada, date_at=T0)
    assert (stored.name, stored.version) == ("m", booking.version + 1)


def test_delete_batches_and_returns_djangos_counts(requests_sent):
    for n in range(30):
        Note.objects.create(board="b", title=f"t{n:02d}")
    Note.objects.create(board="keep", title="t")
    requests_sent.clear()
    assert Note.objects.filter(board="b", title__gte="t10").delete() == (20, {"testapp.Note": 20})
    assert operations(requests_sent).count("BatchWriteItem") == 1
    assert "DeleteItem" not in operations(requests_sent)
    assert Note.objects.filter(board="b").count() == 10
    assert Note.objects.filter(board="nothing").delete() == (0, {})
    with pytest.raises(TypeError):
        Note.objects.filter(board="b")[:3].delete()
    assert not hasattr(Note.objects, "delete")


def test_delete_sends_signals_and_applies_on_delete():
    shelf = Shelf.objects.create(name="s")
    other = Shelf.objects.create(name="o")
    for n in range(3):
        Book.objects.create(shelf=shelf, title=f"t{n}")
    Book.objects.create(shelf=other, title="kept")
    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre", instance.name))

    def post(sender, instance, **kwargs):
        seen.append(("post", instance.name))

    pre_delete.connect(pre, sender=Shelf)
    post_delete.connect(post, sender=Shelf)
    try:
        counts = Shelf.objects.filter(pk__in=[shelf.pk]).delete()
    finally:
        pre_delete.disconnect(pre, sender=Shelf)
        post_delete.disconnect(post, sender=Shelf)
    assert counts == (4, {"testapp.Shelf": 1, "testapp.Book": 3})
    assert seen == [("pre", "s"), ("post", "s")]
    assert list(Book.objects.filter(shelf=shelf)) == []
    assert [b.title for b in Book.objects.filter(shelf=other)] == ["kept"]
    assert other.delete() == (2, {"testapp.Shelf": 1, "testapp.Book": 1})


def test_a_user_deleted_in_sql_deletes_their_items(ada):
    Booking.objects.create(user=ada, date_at=T0, name="n", address="a")
    Booking.objects.create(user=ada, date_at=T0.replace(hour=13), name="m", address="a")
    pk = ada.pk
    ada.delete()
    assert Booking.objects.filter(user=pk).count() == 0


def test_full_clean_reports_an_existing_key_and_a_missing_dynamodb_target(ada):
    Booking.objects.create(user=ada, date_at=T0, name="n", address="a")
    duplicate = Booking(user=ada, date_at=T0, name="n", address="a")
    with pytest.raises(Exception) as raised:
        duplicate.full_clean()
    assert "already exists" in str(raised.value)
    Booking(user=ada, date_at=T0.replace(hour=1), name="n", address="a").full_clean()
    shelf = Shelf.objects.create(name="s")
    Book(shelf=shelf, title="t").full_clean()
    orphan = Book(shelf=Shelf(name="never saved"), title="t")
    with pytest.raises(Exception, match="is not a valid choice"):
        orphan.full_clean()
