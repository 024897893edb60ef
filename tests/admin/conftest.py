"""Fixtures of the admin's tests: empty tables per test, users with booking permissions,
bookings to list, and reading an admin page's messages and form errors."""

import datetime

import pytest
from django.contrib.messages import get_messages

from booking.models import Booking
from dynamodb.connector import Connector
from tests.api_helpers import create_api_user, grant

BASE = datetime.datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)
CHANGELIST = "/admin/booking/booking/"


def change_url(pk):
    return f"{CHANGELIST}{pk}/change/"


def delete_url(pk):
    return f"{CHANGELIST}{pk}/delete/"


def seed(user, count, start=0):
    """``count`` bookings of ``user``, a minute apart (each with its own microseconds)."""
    bookings = [
        Booking(
            user=user,
            date_at=BASE + datetime.timedelta(minutes=number, microseconds=number),
            date_for=BASE + datetime.timedelta(days=1, hours=number),
            address=f"{number} Main St",
            name=f"booking {number:03d}",
        )
        for number in range(start, start + count)
    ]
    return Connector(Booking).bulk_insert(bookings)


def texts(response):
    """The messages an admin response carries (shown by the next page), as strings."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_errors(response):
    """{field or "__all__": [messages]} of the change form a response shows."""
    return {
        name: list(errors) for name, errors in response.context["adminform"].form.errors.items()
    }


@pytest.fixture(autouse=True)
def _tables(dynamodb_tables):
    """Every test here runs against empty tables of its own (see tests/conftest.py)."""
    return dynamodb_tables


@pytest.fixture
def viewer(client):
    """A staff user with only ``view_booking``, logged in with ``client``."""
    user = grant(create_api_user("viewer", is_staff=True), "view_booking")
    client.force_login(user)
    return user
