"""Idempotent creates with the Idempotency-Key header, stored in DynamoDB."""

import datetime
import threading

import pytest
from django.db import close_old_connections

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.models import IdempotencyKey
from tests.api_helpers import BOOKINGS, client_for

# Every test runs against both viewsets (tests/api/conftest.py: viewset).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("viewset")]

BODY = {"name": "Dinner", "address": "1 Main St", "date_for": "2026-12-24T19:00:00Z"}


def bookings_of(user):
    return list(Connector(Booking).select([("user", user)]))


def test_a_retry_with_the_same_key_returns_the_first_booking(ada):
    api = client_for(ada)
    first = api.post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    again = api.post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert [b.id for b in bookings_of(ada)] == [first.json()["id"]]


def test_without_a_key_two_posts_make_two_bookings(ada):
    api = client_for(ada)
    assert api.post(BOOKINGS, BODY, format="json").status_code == 201
    assert api.post(BOOKINGS, BODY, format="json").status_code == 201
    assert len(bookings_of(ada)) == 2


def test_another_key_creates_another_booking(ada):
    api = client_for(ada)
    api.post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    api.post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
    assert len(bookings_of(ada)) == 2


def test_the_same_key_with_another_body_is_422(ada):
    api = client_for(ada)
    api.post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    other = api.post(
        BOOKINGS, {**BODY, "name": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert other.status_code == 422
    assert "different request body" in other.json()["detail"]
    assert [b.name for b in bookings_of(ada)] == ["Dinner"]


def test_another_users_key_never_reaches_their_booking(ada, bob):
    first = client_for(ada).post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = client_for(bob).post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]
    assert theirs.json()["user"] == bob.pk
    assert len(bookings_of(ada)) == 1 and len(bookings_of(bob)) == 1


def test_a_failed_create_forgets_its_key(ada):
    api = client_for(ada)
    bad = api.post(BOOKINGS, {"name": "", "address": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    assert Connector(IdempotencyKey).count() == 0
    fixed = api.post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert fixed.status_code == 201


def test_a_bad_key_is_400_and_creates_nothing(ada):
    response = client_for(ada).post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert bookings_of(ada) == []


def test_keys_are_stored_in_dynamodb_and_expire(ada, settings):
    settings.DYNAMODB_IDEMPOTENCY_TTL = 3600
    client_for(ada).post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    (record,) = Connector(IdempotencyKey).all()
    assert record.key == f"booking.Booking:{ada.pk}:k"
    remaining = record.expires_at - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(minutes=59) < remaining <= datetime.timedelta(hours=1)
    # An expired record (DynamoDB's TTL deletes lazily) no longer replays.
    record.expires_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    Connector(IdempotencyKey).update(record, fields=["expires_at"])
    again = client_for(ada).post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert len(bookings_of(ada)) == 2


def test_concurrent_retries_create_one_booking(ada):
    """Ten simultaneous POSTs with one key: one booking; the others replay it or say wait."""
    statuses, ids = [], set()
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def post():
        barrier.wait()
        response = client_for(ada).post(BOOKINGS, BODY, format="json", HTTP_IDEMPOTENCY_KEY="race")
        with lock:
            statuses.append(response.status_code)
            if response.status_code == 201:
                ids.add(response.json()["id"])
        close_old_connections()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(statuses) == 10
    assert set(statuses) <= {201, 409}
    assert len(ids) == 1
    assert len(bookings_of(ada)) == 1
