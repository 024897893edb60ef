"""Engine outages and throttling over HTTP: a quick 503 with Retry-After, never a 500.

Faults are real or injected below the connector: the engine process is
stopped, or botocore's Stubber answers for the engine.
"""

import pytest
from botocore.stub import Stubber

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.storage.tables import dynamo_models
from dynamodb.wire import client
from tests.api_helpers import BOOKINGS, booking_url, timed

pytestmark = pytest.mark.django_db

QUICK = 5.0  # seconds


@pytest.fixture
def booking(ada):
    return Connector(Booking).insert(Booking(user=ada, name="Dinner", address="1 Main St"))


def assert_unavailable(response, elapsed, engine_url=None):
    assert response.status_code == 503, response.content
    assert elapsed < QUICK, f"took {elapsed:.2f}s"
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    detail = response.json()["detail"]
    assert "unavailable" in detail or "busy" in detail
    # The engine's address and the table names are the operator's business (and the log's).
    assert Connector(Booking).schema.table_name not in response.content.decode()
    if engine_url is not None:
        assert engine_url.split("//")[1] not in response.content.decode()


@pytest.fixture
def engine_outage(dynamodb_engine):
    """Stops the engine in the test; restarts it and recreates the tables afterwards."""
    yield dynamodb_engine
    if dynamodb_engine.process is None:
        dynamodb_engine.start()
        for model in dynamo_models():
            Connector(model).create_table()


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
        assert elapsed < QUICK
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


THROTTLED = "ProvisionedThroughputExceededException"


def stub_errors(operation, code, count=1, status=400):
    stubber = Stubber(client.get_client())
    for _ in range(count):
        stubber.add_client_error(operation, service_error_code=code, http_status_code=status)
    return stubber


def assert_throttled(response, elapsed):
    assert_unavailable(response, elapsed)
    assert "throttled" in response.json()["detail"].lower()


def test_a_throttled_list_is_503_with_retry_after(ada_client, booking):
    for code in [THROTTLED, "ThrottlingException", "RequestLimitExceeded"]:
        with stub_errors("query", code) as stubber:
            response, elapsed = timed(ada_client.get, BOOKINGS)
            stubber.assert_no_pending_responses()
        assert_throttled(response, elapsed)
        assert ada_client.get(BOOKINGS).status_code == 200


def test_a_throttled_read_by_id_is_503_with_retry_after(ada_client, booking):
    detail_url = booking_url(booking.id)
    assert ada_client.get(detail_url).status_code == 200  # the id's key is now cached
    with stub_errors("get_item", THROTTLED) as stubber:
        response, elapsed = timed(ada_client.get, detail_url)
        stubber.assert_no_pending_responses()
    assert_throttled(response, elapsed)
    assert ada_client.get(detail_url).json()["name"] == "Dinner"


def test_a_throttled_write_is_503_and_writes_nothing(ada_client, booking):
    detail_url = booking_url(booking.id)
    assert ada_client.get(detail_url).status_code == 200
    stubber = Stubber(client.get_client())
    stubber.add_response(
        "get_item",
        client.get_client().get_item(
            TableName=Connector(Booking).schema.table_name,
            Key={"user": {"N": str(booking.user_id)}, "date_at": {"N": booking_date(booking)}},
        ),
    )
    stubber.add_client_error("update_item", service_error_code=THROTTLED, http_status_code=400)
    with stubber:
        response, elapsed = timed(ada_client.patch, detail_url, {"name": "new"}, format="json")
        stubber.assert_no_pending_responses()
    assert_throttled(response, elapsed)
    assert ada_client.get(detail_url).json()["name"] == "Dinner"


def booking_date(booking):
    raw = Connector(Booking).schema.by_name["date_at"].to_dynamo(booking.date_at)
    return str(raw)


def test_an_engine_failure_is_503_not_500(ada_client, booking):
    with stub_errors("query", "InternalServerError", status=500) as stubber:
        response, elapsed = timed(ada_client.get, BOOKINGS)
        stubber.assert_no_pending_responses()
    assert_unavailable(response, elapsed)
