"""Plain helpers shared by the API tests: the routes' URLs and an authenticated client."""

import time

from rest_framework.test import APIClient

BOOKINGS = "/api/dynamo/booking/"
EVERY = "/api/test/everyfield/"


def booking_url(pk):
    return f"{BOOKINGS}{pk}/"


def every_url(pk):
    return f"{EVERY}{pk}/"


def client_for(user):
    """An APIClient authenticated as ``user`` with force_authenticate (no password or token)."""
    api_client = APIClient()
    api_client.force_authenticate(user)
    return api_client


def timed(send, *args, **kwargs):
    """(what ``send(*args, **kwargs)`` returns, the seconds it took)."""
    started = time.monotonic()
    response = send(*args, **kwargs)
    return response, time.monotonic() - started
