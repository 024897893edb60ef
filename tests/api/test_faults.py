"""Engine outages and throttling over HTTP: a quick 503 with Retry-After, never a 500.

Faults are real or injected at the HTTP layer, below both transports: the
engine process is stopped, or ``faults`` (tests/faults.py) answers for it at
every attempt botocore makes, its retries and backoff included. Durations
are reported (tests/timing.py), bounded only against a hang.
"""

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.storage.tables import dynamo_models
from tests.api_helpers import BOOKINGS, booking_url, timed
from tests.faults import THROTTLED
from tests.timing import took

# Every test runs against both viewsets (tests/api/conftest.py: viewset).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("viewset")]


@pytest.fixture
def booking(ada):
    return Connector(Booking).insert(Booking(user=ada, name="Dinner", address="1 Main St"))


def assert_unavailable(response, elapsed, engine_url=None):
    assert response.status_code == 503, response.content
    took(elapsed, f"{response.wsgi_request.method} {response.wsgi_request.path} answered 503")
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    detail = response.json()["detail"]
    assert "unavailable" in detail or "busy" in detail
    # The engine's address and the table names are the operator's business (and the log's).
    assert Connector(Booking).schema.table_name not in response.content.decode()
    if engine_url is not None:
        assert engine_url.split("//")[1] not in response.content.decode()


def test_requests_during_an_outage_answer_503_quickly_and_recover(
    engine_outage, ada_client, booking
):
    detail_url = booking_url(booking.id)
    engine_outage.stop()
    try:
        assert_unavailable(*timed(ada_client.get, BOOKINGS), engine_outage.url)
        assert_unavailable(*timed(ada_client.get, detail_url), engine_outage.url)
        assert_unavailable(
            *timed(ada_client.post, BOOKINGS, {"name": "x", "address": "y"}, format="json"),
            engine_outage.url,
        )
        assert_unavailable(
            *timed(ada_client.patch, detail_url, {"name": "z"}, format="json"), engine_outage.url
        )
        assert_unavailable(*timed(ada_client.delete, detail_url), engine_outage.url)
        ready, elapsed = timed(ada_client.get, "/ready/")
        assert ready.status_code == 503
        took(elapsed, "/ready/ during an outage")
        assert ready.json()["status"] == "unavailable"
        assert ready["Retry-After"]
        assert ada_client.get("/health/").status_code == 200
    finally:
        engine_outage.start()
        for model in dynamo_models():
            Connector(model).create_table()
    # moto keeps its data in memory: the tables are back, empty.
    assert ada_client.get("/ready/").status_code == 200
    listing = ada_client.get(BOOKINGS)
    assert listing.status_code == 200
    assert listing.json()["results"] == []
    assert ada_client.get(detail_url).status_code == 404
    created = ada_client.post(BOOKINGS, {"name": "again", "address": "y"}, format="json")
    assert created.status_code == 201
    assert ada_client.get(booking_url(created.json()["id"])).status_code == 200


def test_missing_tables_are_503_and_not_ready(ada_client, dynamodb_tables):
    for model in dynamodb_tables:
        Connector(model).delete_table()
    try:
        response, elapsed = timed(ada_client.get, BOOKINGS)
        assert_unavailable(response, elapsed)
        ready = ada_client.get("/ready/")
        assert ready.status_code == 503
    finally:
        for model in dynamodb_tables:
            Connector(model).create_table()
    assert ada_client.get("/ready/").status_code == 200


def bookings():
    """The bytes naming the bookings' table in a request: a fault for its requests only."""
    return Connector(Booking).schema.table_name.encode()


def assert_throttled(response, elapsed):
    assert_unavailable(response, elapsed)
    assert "throttled" in response.json()["detail"].lower()


def test_a_throttled_list_is_503_with_retry_after(ada_client, booking, faults, settings):
    attempts = settings.DYNAMODB_MAX_ATTEMPTS
    for code in [THROTTLED, "ThrottlingException", "RequestLimitExceeded"]:
        sent = faults.count("Query", bookings())
        faults.error("Query", code, times=attempts, containing=bookings())
        response, elapsed = timed(ada_client.get, BOOKINGS)
        assert_throttled(response, elapsed)
        assert faults.count("Query", bookings()) - sent == attempts, code  # each retried
        assert ada_client.get(BOOKINGS).status_code == 200


def test_a_throttled_read_by_id_is_503_with_retry_after(ada_client, booking, faults, settings):
    detail_url = booking_url(booking.id)
    assert ada_client.get(detail_url).status_code == 200  # the id's key is now cached
    faults.throttle("GetItem", times=settings.DYNAMODB_MAX_ATTEMPTS, containing=bookings())
    response, elapsed = timed(ada_client.get, detail_url)
    assert_throttled(response, elapsed)
    assert faults.count("GetItem", bookings()) == 1 + settings.DYNAMODB_MAX_ATTEMPTS
    assert ada_client.get(detail_url).json()["name"] == "Dinner"


def test_a_throttled_write_is_503_and_writes_nothing(ada_client, booking, faults, settings):
    detail_url = booking_url(booking.id)
    assert ada_client.get(detail_url).status_code == 200
    faults.throttle("UpdateItem", times=settings.DYNAMODB_MAX_ATTEMPTS, containing=bookings())
    response, elapsed = timed(ada_client.patch, detail_url, {"name": "new"}, format="json")
    assert_throttled(response, elapsed)
    assert faults.count("UpdateItem", bookings()) == settings.DYNAMODB_MAX_ATTEMPTS
    assert ada_client.get(detail_url).json()["name"] == "Dinner"


def test_an_engine_failure_is_503_not_500(ada_client, booking, faults, settings):
    attempts = settings.DYNAMODB_MAX_ATTEMPTS
    faults.error("Query", "InternalServerError", status=500, times=attempts, containing=bookings())
    response, elapsed = timed(ada_client.get, BOOKINGS)
    assert_unavailable(response, elapsed)
    assert faults.count("Query", bookings()) == attempts
    assert ada_client.get(BOOKINGS).status_code == 200
