"""Throttling answered below botocore's retry handler, through the REST layer in process.

``ProvisionedThroughputExceededException`` comes back as DynamoDB sends it
(HTTP 400 and its JSON), injected at the HTTP layer (``faults``,
tests/faults.py), below both transports; each test runs on each. A transient
throttle is retried by botocore to success; a persistent one is a 503 with
Retry-After that writes nothing. botocore's backoff is really slept (up to
1 s, then 2 s): the durations are reported (tests/timing.py).
"""

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from tests.api_helpers import BOOKINGS, timed
from tests.timing import took

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dynamodb_tables")]

ATTEMPTS = 3


@pytest.fixture(params=["boto3", "lean"])
def transport(request, settings):
    settings.DYNAMODB_TRANSPORT = request.param
    settings.DYNAMODB_MAX_ATTEMPTS = ATTEMPTS
    return request.param


def test_transient_throttling_is_retried_to_success(transport, faults, ada_client, ada, figures):
    faults.throttle("PutItem", times=2)
    created, elapsed = timed(
        ada_client.post, BOOKINGS, {"name": "n", "address": "a"}, format="json"
    )
    assert created.status_code == 201, created.content
    took(elapsed, f"a POST throttled twice, then stored ({transport})")
    assert faults.count("PutItem") == ATTEMPTS  # two throttled, the third stored it
    (stored,) = Connector(Booking).select([("user", ada)])
    assert (stored.pk, stored.name, stored.version) == (created.json()["id"], "n", 1)
    read = ada_client.get(f"{BOOKINGS}{stored.pk}/")
    assert read.status_code == 200 and read.json() == created.json()
    figures.update(
        transport=transport,
        requests=len(faults.sent),
        throttled=2,
        errors=0,
        seconds=round(elapsed, 2),
    )


def test_persistent_throttling_is_503_with_retry_after_and_writes_nothing(
    transport, faults, ada_client, ada, figures
):
    faults.throttle("PutItem", times=ATTEMPTS)
    response, elapsed = timed(
        ada_client.post, BOOKINGS, {"name": "n", "address": "a"}, format="json"
    )
    assert response.status_code == 503, response.content
    took(elapsed, f"a POST throttled at every attempt ({transport})")
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"]
    assert faults.count("PutItem") == ATTEMPTS
    assert Connector(Booking).count() == 0
    # Once the engine has capacity again, the same request succeeds.
    assert (
        ada_client.post(BOOKINGS, {"name": "n", "address": "a"}, format="json").status_code == 201
    )
    assert Connector(Booking).count([("user", ada)]) == 1
    figures.update(
        transport=transport,
        requests=len(faults.sent),
        throttled=ATTEMPTS,
        errors=1,
        seconds=round(elapsed, 2),
    )
