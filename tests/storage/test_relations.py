"""ForeignKey on_delete from DynamoDB items to SQL rows, applied by the dynamodb app."""

import datetime
import decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import DynamoError
from dynamodb.wire import client
from tests.testapp.models import EveryField, Owner, Pledge

BASE = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=datetime.UTC)


def book(user, count, name):
    connector = Connector(Booking)
    for i in range(count):
        moment = BASE + datetime.timedelta(microseconds=i)
        connector.insert(Booking(user=user, date_at=moment, name=f"{name}{i}", address="a"))


@pytest.mark.django_db
def test_deleting_a_user_deletes_their_bookings_only(django_user_model):
    leaving = django_user_model.objects.create_user(username="leaving")
    staying = django_user_model.objects.create_user(username="staying")
    book(leaving, 30, "l")  # more than one BatchWriteItem of 25
    book(staying, 3, "s")
    leaving_ids = [b.pk for b in Connector(Booking).select([("user", leaving)])]
    assert len(leaving_ids) == 30
    leaving_pk = leaving.pk

    leaving.delete()

    connector = Connector(Booking)
    assert not django_user_model.objects.filter(pk=leaving_pk).exists()
    assert connector.count([("user", leaving_pk)]) == 0
    assert [b.name for b in connector.select([("user", staying)])] == ["s0", "s1", "s2"]
    assert connector.count() == 3
    assert all(connector.get_by_id(pk) is None for pk in leaving_ids[:3])


@pytest.mark.django_db
def test_deleting_a_user_without_bookings(django_user_model):
    other = django_user_model.objects.create_user(username="other")
    book(other, 2, "o")
    lonely = django_user_model.objects.create_user(username="lonely")
    lonely.delete()
    assert Connector(Booking).count([("user", other)]) == 2


@pytest.mark.django_db
def test_deleting_users_through_a_queryset(django_user_model):
    first = django_user_model.objects.create_user(username="first")
    second = django_user_model.objects.create_user(username="second")
    kept = django_user_model.objects.create_user(username="kept")
    for user in (first, second, kept):
        book(user, 2, user.username)

    django_user_model.objects.filter(username__in=["first", "second"]).delete()

    assert Connector(Booking).count([("user", first.pk)]) == 0
    assert Connector(Booking).count([("user", second.pk)]) == 0
    assert Connector(Booking).count([("user", kept)]) == 2


@pytest.mark.django_db(transaction=True)
def test_deleting_an_owner_with_a_pledge_is_protected():
    owner = Owner.objects.create(name="protected")
    free = Owner.objects.create(name="free")
    Connector(Pledge).insert(Pledge(owner=owner, amount=decimal.Decimal("10.50")))
    Connector(EveryField).insert(EveryField(owner=owner, created=BASE))

    with pytest.raises(ProtectedError):
        owner.delete()

    assert Owner.objects.filter(pk=owner.pk).exists()
    (pledge,) = Connector(Pledge).select([("owner", owner)])
    assert pledge.amount == decimal.Decimal("10.50")
    # Nothing was cascaded either: the deletion was refused before it started.
    assert Connector(EveryField).count([("owner", owner)]) == 1

    free.delete()
    assert not Owner.objects.filter(pk=free.pk).exists()

    Connector(Pledge).delete(pledge)
    owner.delete()
    assert not Owner.objects.filter(pk=owner.pk).exists()
    assert Connector(EveryField).count() == 0


@pytest.mark.django_db
def test_deleting_a_reviewer_sets_null(django_user_model):
    reviewer = django_user_model.objects.create_user(username="reviewer")
    other = django_user_model.objects.create_user(username="other-reviewer")
    owner = Owner.objects.create(name="o")
    connector = Connector(EveryField)
    for i, who in enumerate([reviewer, reviewer, other, None]):
        connector.insert(
            EveryField(owner=owner, created=BASE + datetime.timedelta(seconds=i), reviewer=who)
        )

    reviewer.delete()

    items = list(connector.select([("owner", owner)]))
    assert len(items) == 4  # nothing deleted
    assert [e.reviewer_id for e in items] == [None, None, other.pk, None]
    raw = client.call("scan", TableName=connector.schema.table_name)["Items"]
    assert sum("reviewer" in item for item in raw) == 1
    # The attribute is gone rather than set to NULL, so isnull finds the items.
    assert connector.count([("owner", owner)], filter=[("reviewer__isnull", True)]) == 3
    assert get_user_model().objects.filter(pk=other.pk).exists()


@pytest.mark.django_db
def test_deleting_an_owner_cascades_to_its_items():
    owner = Owner.objects.create(name="leaving")
    owner_pk = owner.pk
    staying = Owner.objects.create(name="staying")
    connector = Connector(EveryField)
    for i in range(3):
        connector.insert(EveryField(owner=owner, created=BASE + datetime.timedelta(seconds=i)))
    connector.insert(EveryField(owner=staying, created=BASE, char="stays"))

    owner.delete()

    assert connector.count([("owner", owner_pk)]) == 0
    assert [e.char for e in connector.select([("owner", staying)])] == ["stays"]
    assert Owner.objects.filter(pk=staying.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_dynamodb_failure_rolls_the_sql_deletion_back(django_user_model):
    user = django_user_model.objects.create_user(username="kept-by-failure")
    book(user, 2, "b")
    # The engine loses the table: the cascade cannot run.
    client.call("delete_table", TableName=Connector(Booking).schema.table_name)

    with pytest.raises(DynamoError):
        user.delete()

    assert django_user_model.objects.filter(pk=user.pk).exists()
    Connector(Booking).create_table()


@pytest.mark.django_db
def test_a_protected_error_leaves_the_enclosing_transaction_usable():
    owner = Owner.objects.create(name="protected")
    Connector(Pledge).insert(Pledge(owner=owner, amount=decimal.Decimal("1.00")))
    with pytest.raises(ProtectedError):
        owner.delete()
    # As with Django's own PROTECT, the caller (an admin view, ATOMIC_REQUESTS) carries on.
    assert Owner.objects.filter(pk=owner.pk).exists()
