"""Django's model API on a DynamoCompatibleModel: save, delete, refresh, validation, no ORM."""

import datetime

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import ItemAlreadyExists, ItemNotFound, VersionConflict
from dynamodb.exceptions import ValidationError as DynamoValidationError
from dynamodb.wire import client
from tests.testapp.models import EveryField, Note, Owner

BASE = datetime.datetime(2024, 3, 1, 8, 0, 0, 250000, tzinfo=datetime.UTC)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="grace")


def stored(booking):
    return Connector(Booking).get([("user", booking.user_id), ("date_at", booking.date_at)])


@pytest.mark.django_db
def test_save_inserts_then_updates(user):
    booking = Booking(user=user, date_at=BASE, name="first", address="here")
    assert booking._state.adding
    booking.save()
    assert booking.pk is not None
    assert not booking._state.adding
    assert stored(booking).name == "first"

    booking.name = "renamed"
    booking.save()  # an update, not a second insert
    assert Connector(Booking).count([("user", user)]) == 1
    assert (stored(booking).name, stored(booking).pk) == ("renamed", booking.pk)


@pytest.mark.django_db
def test_save_of_a_new_instance_never_overwrites(user):
    Booking(user=user, date_at=BASE, name="first", address="a").save()
    with pytest.raises(ItemAlreadyExists):
        Booking(user=user, date_at=BASE, name="second", address="b").save()
    with pytest.raises(ItemAlreadyExists):
        Booking(user=user, date_at=BASE, name="third", address="c").save(force_insert=True)
    assert stored(Booking(user=user, date_at=BASE)).name == "first"


@pytest.mark.django_db
def test_save_of_a_loaded_instance_updates(user):
    Booking(user=user, date_at=BASE, name="first", address="a").save()
    loaded = Connector(Booking).get([("user", user), ("date_at", BASE)])
    assert not loaded._state.adding
    loaded.address = "elsewhere"
    loaded.save()
    assert stored(loaded).address == "elsewhere"
    assert Connector(Booking).count([("user", user)]) == 1


@pytest.mark.django_db
def test_save_with_force_update_never_creates(user):
    booking = Booking(id=77, user=user, date_at=BASE, name="ghost", address="a")
    with pytest.raises(ItemNotFound):
        booking.save(force_update=True)
    assert stored(booking) is None
    # Without an id there is nothing to update: refused before any request.
    with pytest.raises(DynamoValidationError):
        Booking(user=user, date_at=BASE, name="ghost", address="a").save(force_update=True)
    assert stored(booking) is None


@pytest.mark.django_db
def test_save_with_update_fields_is_partial(user):
    booking = Booking(user=user, date_at=BASE, name="name", address="address")
    booking.save()
    raw_key = {"user": {"N": str(user.pk)}, "date_at": {"N": f"{BASE.timestamp():.6f}"}}
    client.call(
        "update_item",
        TableName=Connector(Booking).schema.table_name,
        Key=raw_key,
        UpdateExpression="SET #a = :a",
        ExpressionAttributeNames={"#a": "address"},
        ExpressionAttributeValues={":a": {"S": "changed elsewhere"}},
    )
    booking.name = "new name"
    booking.address = "stale address"
    booking.save(update_fields=["name"])

    again = stored(booking)
    assert (again.name, again.address) == ("new name", "changed elsewhere")

    # As in Django, an empty update_fields saves nothing (and is no error).
    booking.name = "not saved"
    booking.save(update_fields=[])
    assert stored(booking).name == "new name"
    booking.save(update_fields=("name",))
    assert stored(booking).name == "not saved"


@pytest.mark.django_db
def test_save_of_a_deleted_item_does_not_recreate_it(user):
    booking = Booking(user=user, date_at=BASE, name="n", address="a")
    booking.save()
    Connector(Booking).delete(booking)
    booking.name = "back?"
    with pytest.raises(ItemNotFound):
        booking.save()
    with pytest.raises(ItemNotFound):
        booking.save(update_fields=["name"])
    assert stored(booking) is None


@pytest.mark.django_db
def test_delete(user):
    keep = Booking(user=user, date_at=BASE, name="keep", address="a")
    keep.save()
    gone = Booking(user=user, date_at=BASE + datetime.timedelta(microseconds=1), name="x")
    gone.address = "b"
    gone.save()

    assert gone.delete() == (1, {"booking.Booking": 1})
    assert stored(gone) is None
    assert stored(keep).name == "keep"
    assert Connector(Booking).get_by_id(gone.pk) is None
    with pytest.raises(ItemNotFound):
        gone.delete()


@pytest.mark.django_db
def test_refresh_from_db(user):
    booking = Booking(user=user, date_at=BASE, name="original", address="a")
    booking.save()
    other = Connector(Booking).get_by_id(booking.pk)
    other.name = "changed"
    other.save()

    booking.address = "local change"
    booking.refresh_from_db(fields=["name"])
    assert (booking.name, booking.address) == ("changed", "local change")
    booking.refresh_from_db()
    assert (booking.name, booking.address) == ("changed", "a")

    other.delete()
    with pytest.raises(Booking.DoesNotExist):
        booking.refresh_from_db()


@pytest.mark.django_db
def test_versioned_model_save_and_delete():
    owner = Owner.objects.create(name="o")
    item = EveryField(owner=owner, created=BASE, char="a")
    item.save()
    assert item.version == 1
    stale = Connector(EveryField).get([("owner", owner), ("created", BASE)])
    item.char = "b"
    item.save()
    assert item.version == 2
    stale.char = "c"
    with pytest.raises(VersionConflict):
        stale.save()
    with pytest.raises(VersionConflict):
        stale.delete()
    item.delete()
    assert Connector(EveryField).count() == 0


@pytest.mark.django_db
def test_full_clean_without_touching_booking_sql(user):
    booking = Booking(user=user, date_at=BASE, name="n", address="a")
    with CaptureQueriesContext(connection) as queries:
        booking.full_clean()
    # Only the ForeignKey's own check reads the user; nothing asks SQL about bookings.
    assert all("booking" not in query["sql"].lower() for query in queries.captured_queries)
    assert len(queries.captured_queries) <= 1
    assert Connector(Booking).count() == 0

    invalid = Booking(user=user, date_at=BASE, name="", address="x" * 256)
    with pytest.raises(DjangoValidationError) as raised:
        invalid.full_clean()
    assert set(raised.value.message_dict) == {"name", "address"}


def test_full_clean_needs_no_database_at_all():
    # No django_db mark: any SQL query would fail the test.
    booking = Booking(user_id=1, date_at=BASE, name="n", address="a")
    booking.full_clean(exclude=["user"])
    with pytest.raises(DjangoValidationError) as raised:
        Booking(user_id=1, date_at=BASE, name="n").full_clean(exclude=["user"])
    assert set(raised.value.message_dict) == {"address"}


def test_note_save_allocates_an_id_and_get_by_id_finds_it():
    note = Note(board="b", title="t", body="hello")
    note.save()
    assert isinstance(note.pk, int)
    assert Connector(Note).get_by_id(note.pk).body == "hello"
    assert str(Connector(Note).get_by_id(note.pk)) == f"Note object ({note.pk})"


@pytest.mark.django_db
def test_save_sends_django_signals_with_created(user):
    from django.db.models.signals import post_save, pre_save

    seen = []

    def pre(sender, instance, update_fields, **kwargs):
        seen.append(("pre", instance.pk, update_fields))

    def post(sender, instance, created, update_fields, **kwargs):
        seen.append(("post", instance.pk, created, update_fields))

    pre_save.connect(pre, sender=Booking)
    post_save.connect(post, sender=Booking)
    try:
        booking = Booking(user=user, name="n", address="a")
        booking.save()
        booking.name = "m"
        booking.save(update_fields=["name"])
    finally:
        pre_save.disconnect(pre, sender=Booking)
        post_save.disconnect(post, sender=Booking)
    assert seen == [
        ("pre", None, None),
        ("post", booking.pk, True, None),
        ("pre", booking.pk, frozenset({"name"})),
        ("post", booking.pk, False, frozenset({"name"})),
    ]


@pytest.mark.django_db
def test_already_exists_message_is_readable(user):
    booking = Connector(Booking).insert(Booking(user=user, name="n", address="a"))
    with pytest.raises(ItemAlreadyExists) as caught:
        Connector(Booking).insert(
            Booking(user=user, date_at=booking.date_at, name="x", address="a")
        )
    assert "datetime.datetime(" not in str(caught.value)
    assert str(booking.date_at) in str(caught.value)
