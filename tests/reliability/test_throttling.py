"""Throttling answered below botocore's retry handler, through the REST layer in process.

``ProvisionedThroughputExceededException`` comes back as DynamoDB sends it
(HTTP 400 and its JSON), injected at urllib3 (``wire.Wire``), below both
transports: a transient throttle is retried by botocore to success, a
persistent one is a 503 with Retry-After and writes nothing. botocore's
backoff is really slept (up to 1 s, then 2 s), so these run on the suite's
transport only (``DYNAMODB_TEST_TRANSPORT=boto3`` for the boto3 one).
"""

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from tests.api_helpers import BOOKINGS, timed
from tests.reliability.wire import Wire, throttled

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dynamodb_tables")]

ATTEMPTS = 3
QUICK = 5.0  # seconds: botocore's backoff for throttling is under 1 s, then under 2 s


@pytest.fixture
def transport(settings):
    settings.DYNAMODB_MAX_ATTEMPTS = ATTEMPTS
    return settings.DYNAMODB_TRANSPORT


@pytest.fixture
def wire(monkeypatch):
    return Wire(monkeypatch)


def test_transient_throttling_is_retried_to_success(transport, wire, ada_client, ada, figures):
    wire.answer("PutItem", throttled, times=2)
    created, elapsed = timed(
        ada_client.post, BOOKINGS, {"name": "n", "address": "a"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert elapsed < QUICK
    assert wire.sent["PutItem"] == ATTEMPTS  # two throttled, the third stored it
    (stored,) = Connector(Booking).select([("user", ada)])
    assert (stored.pk, stored.name, stored.version) == (created.json()["id"], "n", 1)
    read = ada_client.get(f"{BOOKINGS}{stored.pk}/")
    assert read.status_code == 200 and read.json() == created.json()
    figures.update(transport=transport, requests=sum(wire.sent.values()), throttled=2, errors=0)


def test_persistent_throttling_is_503_with_retry_after_and_writes_nothing(
    transport, wire, ada_client, ada, figures
):
    wire.answer("PutItem", throttled, times=ATTEMPTS)
    response, elapsed = timed(
        ada_client.post, BOOKINGS, {"name": "n", "address": "a"}, format="json"
    )
    assert response.status_code == 503, response.content
    assert elapsed < QUICK
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"]
    assert wire.sent["PutItem"] == ATTEMPTS
    assert Connector(Booking).count() == 0
    # Once the engine has capacity again, the same request succeeds.
    assert (
        ada_client.post(BOOKINGS, {"name": "n", "address": "a"}, format="json").status_code == 201
    )
    assert Connector(Booking).count([("user", ada)]) == 1
    figures.update(
        transport=transport, requests=sum(wire.sent.values()), throttled=ATTEMPTS, errors=1
    )
