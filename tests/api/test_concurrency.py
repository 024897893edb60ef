"""HTTP concurrency control: ETag from the version field, If-Match on writes."""

import datetime

import pytest
from django.contrib.auth.models import User

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.wire import client
from dynamodb.wire.marshalling import serialize
from tests.api_helpers import BOOKINGS, booking_url, client_for

# Every test runs against both viewsets (tests/api/conftest.py: viewset).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("viewset")]

WHEN = datetime.datetime(2026, 5, 6, 7, 8, 9, 101112, tzinfo=datetime.UTC)


@pytest.fixture
def booking(ada_client):
    response = ada_client.post(
        BOOKINGS, {"name": "Dinner", "address": "1 Main St", "date_at": WHEN}, format="json"
    )
    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'
    return response.json()


def stored(booking):
    return Connector(Booking).get_by_id(booking["id"])


def test_every_write_moves_the_etag(ada_client, booking):
    assert ada_client.get(booking_url(booking["id"])).headers["ETag"] == '"1"'
    patched = ada_client.patch(
        booking_url(booking["id"]), {"name": "Lunch"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patched.status_code == 200 and patched.headers["ETag"] == '"2"'
    assert patched.json()["version"] == 2
    put = ada_client.put(
        booking_url(booking["id"]),
        {"name": "Brunch", "address": "2 High St"},
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert put.status_code == 200 and put.headers["ETag"] == '"3"'
    assert stored(booking).version == 3 and stored(booking).name == "Brunch"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_stale_if_match_is_412_with_the_current_version(ada_client, booking, method):
    ada_client.patch(booking_url(booking["id"]), {"name": "Moved"}, format="json")
    body = {"name": "Stale", "address": "x"} if method != "delete" else None
    response = getattr(ada_client, method)(
        booking_url(booking["id"]), body, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert response.json()["current_version"] == 2
    assert "current version is 2" in response.json()["detail"]
    kept = stored(booking)
    assert kept is not None and kept.name == "Moved" and kept.version == 2


def test_weak_and_star_if_match_are_accepted(ada_client, booking):
    assert (
        ada_client.patch(
            booking_url(booking["id"]), {"name": "A"}, format="json", HTTP_IF_MATCH='W/"1"'
        ).status_code
        == 200
    )
    assert (
        ada_client.patch(
            booking_url(booking["id"]), {"name": "B"}, format="json", HTTP_IF_MATCH="*"
        ).status_code
        == 200
    )
    assert stored(booking).version == 3


def test_a_malformed_if_match_is_400(ada_client, booking):
    response = ada_client.patch(
        booking_url(booking["id"]), {"name": "A"}, format="json", HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 400
    assert "If-Match" in response.json()["detail"]
    assert stored(booking).name == "Dinner"


def test_delete_with_the_current_if_match(ada_client, booking):
    assert ada_client.delete(booking_url(booking["id"]), HTTP_IF_MATCH='"1"').status_code == 204
    assert stored(booking) is None


def test_a_write_between_read_and_write_is_412_not_lost(ada_client, booking, faults):
    """The conditional write catches a change made after the viewset read the item."""
    moved = []

    def another_writer_after_the_first_read(request):
        if moved:
            return None

        def after(answer):
            moved.append(True)
            # Another writer bumps the version right after our (first) read.
            client.get_client().update_item(
                TableName=request["TableName"],
                Key=request["Key"],
                UpdateExpression="SET #v = #v + :one, #n = :n",
                ExpressionAttributeNames={"#v": "version", "#n": "name"},
                ExpressionAttributeValues=serialize({":one": 1, ":n": "Theirs"}),
            )

        return after

    faults.rewrite("GetItem", another_writer_after_the_first_read)
    response = ada_client.patch(booking_url(booking["id"]), {"address": "Mine"}, format="json")
    assert moved, "the viewset read the item"
    assert response.status_code == 412
    kept = stored(booking)
    assert kept.name == "Theirs" and kept.address == "1 Main St" and kept.version == 2


def test_without_if_match_a_write_never_resurrects_a_deleted_booking(ada_client, booking):
    other = client_for(User.objects.get(username="ada"))
    instance = stored(booking)
    Connector(Booking).delete(instance)
    for method, body in (("put", {"name": "Back", "address": "x"}), ("patch", {"name": "Back"})):
        assert (
            getattr(other, method)(booking_url(booking["id"]), body, format="json").status_code
            == 404
        )
    assert stored(booking) is None
    assert Connector(Booking).count([("user", instance.user_id)]) == 0


def test_an_item_stored_without_a_version_gets_one_on_its_first_replace(ada_client, booking):
    instance = stored(booking)
    key = serialize(
        {
            "user": instance.user_id,
            "date_at": Connector(Booking).schema.by_name["date_at"].to_dynamo(instance.date_at),
        }
    )
    client.get_client().update_item(
        TableName=Connector(Booking).schema.table_name, Key=key, UpdateExpression="REMOVE version"
    )
    response = ada_client.put(
        booking_url(booking["id"]), {"name": "Upgraded", "address": "x"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.headers["ETag"] == '"1"' and stored(booking).version == 1
