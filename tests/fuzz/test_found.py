"""What fuzzing the API found, pinned as plain tests (they run without the fuzz marker)."""

import pytest
from rest_framework.test import APIClient

from booking.models import Booking
from dynamodb.connector import Connector
from tests.api_helpers import BOOKINGS

pytestmark = pytest.mark.django_db


TAGS_THAT_ARE_NOT_VERSIONS = [
    "\u00b2",  # "²".isdigit() is true, int("²") raises
    '"\u00b9"',
    'W/"\u00b3"',
    '"\u0663"',  # an Arabic-Indic digit: int() reads it as 3
    '"' + "9" * 5000 + '"',  # int() refuses more than 4300 digits
    '"' + "9" * 39 + '"',  # more digits than a DynamoDB number holds
]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_an_if_match_that_is_not_an_ascii_version_is_a_400(ada, ada_client, method):
    booking = Connector(Booking).insert(Booking(user=ada, name="Dinner", address="1 Main St"))
    body = {"name": "Lunch", "address": "2 Main St"}
    for tag in TAGS_THAT_ARE_NOT_VERSIONS:
        response = getattr(ada_client, method)(
            f"{BOOKINGS}{booking.id}/", body, format="json", HTTP_IF_MATCH=tag
        )
        assert response.status_code == 400, (tag[:10], response.content)
        assert "If-Match" in response.json()["detail"]
    current = ada_client.get(f"{BOOKINGS}{booking.id}/")["ETag"]
    assert getattr(ada_client, method)(
        f"{BOOKINGS}{booking.id}/", body, format="json", HTTP_IF_MATCH=current
    ).status_code in (200, 204)


@pytest.mark.parametrize(
    "query",
    [
        {"date_at__gt": "9999-12-31T23:59:59.999999Z", "date_at__lt": "9999-12-31T23:59:59Z"},
        {"date_for__gt": "9999-12-31T23:59:59.999999Z", "date_for__lte": "9999-12-31T23:59:59Z"},
        {"date_at__gte": "0001-01-01T00:00:00Z", "date_at__lt": "0001-01-01T00:00:00Z"},
    ],
)
def test_an_exclusive_bound_at_the_end_of_the_datetimes_is_a_400(ada_client, query):
    """gt the largest datetime (lt the smallest) used to overflow into a 500."""
    response = ada_client.get(BOOKINGS, query)
    assert response.status_code == 400, response.content
    assert set(response.json()) <= set(query)


def test_a_url_no_api_route_matches_is_a_json_404(ada_client):
    response = ada_client.get(f"{BOOKINGS}not-an-id/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_url_outside_the_api_keeps_djangos_404_page():
    response = APIClient().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
