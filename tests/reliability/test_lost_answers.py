"""A write reaches the engine but its answer is lost, and botocore sends it again.

The answer is dropped at the HTTP layer (``faults.lose``, tests/faults.py:
urllib3 raises a read timeout after the engine answered), on both
transports. The resent put meets the item its first attempt stored: that is
the insert's own success, not a conflict; a real conflict is still one.
"""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import ItemAlreadyExists
from dynamodb.storage import atomic
from tests.api_helpers import BOOKINGS
from tests.testapp.models import Note

pytestmark = pytest.mark.usefixtures("dynamodb_tables")


@pytest.fixture(params=["boto3", "lean"])
def transport(request, settings):
    settings.DYNAMODB_TRANSPORT = request.param
    settings.DYNAMODB_MAX_ATTEMPTS = 2
    return request.param


def test_an_insert_whose_answer_was_lost_succeeds_once(transport, faults, figures):
    connector = Connector(Note)
    faults.lose("PutItem")
    note = connector.insert(Note(board="b", title="t", body="mine"))
    assert faults.count("PutItem") == 2  # the lost one, then botocore's resend
    assert not note._state.adding
    (stored,) = connector.select([("board", "b")])
    assert (stored.pk, stored.title, stored.body) == (note.pk, "t", "mine")
    assert connector.get_by_id(note.pk).body == "mine"
    # Another insert of that key is a conflict, as ever: nothing is overwritten.
    with pytest.raises(ItemAlreadyExists):
        connector.insert(Note(board="b", title="t", body="theirs"))
    assert connector.get([("board", "b"), ("title", "t")]).body == "mine"
    figures.update(transport=transport, requests=len(faults.sent), answers_lost=1)


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "k-1"], ids=["plain", "idempotent"])
def test_a_post_whose_answer_was_lost_is_201_not_409(transport, faults, key, figures):
    user = User.objects.create_user("ada")
    api = APIClient()
    api.force_authenticate(user)
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    # A keyed create claims its key (a PutItem), then writes the booking and the key's
    # response in one transaction (on an engine without transactions, two more writes).
    booking_write = "TransactWriteItems" if key and atomic.supported() else "PutItem"
    faults.lose(booking_write, b"BookingUserByDateAt")
    if key is not None:
        faults.lose("PutItem", b"DynamoIdempotencyKeys")
    created = api.post(BOOKINGS, {"name": "n", "address": "a"}, format="json", **headers)
    assert created.status_code == 201, created.content
    # Each write whose answer was lost is sent twice.
    assert faults.count(booking_write, b"BookingUserByDateAt") == 2
    assert faults.count("PutItem", b"DynamoIdempotencyKeys") == (0 if key is None else 2)
    (stored,) = Connector(Booking).select([("user", user)])
    assert stored.pk == created.json()["id"]
    if key is not None:
        again = api.post(BOOKINGS, {"name": "n", "address": "a"}, format="json", **headers)
        assert (again.status_code, again.json()) == (201, created.json())
        assert Connector(Booking).count([("user", user)]) == 1
    figures.update(transport=transport, requests=len(faults.sent), bookings=1)
