"""Plain helpers shared by the API tests: the routes' URLs, users and authenticated clients."""

import time

from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

BOOKINGS = "/api/dynamo/booking/"
EVERY = "/api/test/everyfield/"


def booking_url(pk):
    return f"{BOOKINGS}{pk}/"


def every_url(pk):
    return f"{EVERY}{pk}/"


BOOKING_PERMISSIONS = ["view_booking", "add_booking", "change_booking", "delete_booking"]


def create_api_user(username, **extra):
    return User.objects.create_user(username, password=f"{username}-password", **extra)


def grant(user, *codenames):
    """Give a user some of booking's model permissions (a fresh instance: perms are cached)."""
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="booking", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)


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
