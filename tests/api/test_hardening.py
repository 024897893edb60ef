"""The service's hardening, over the test client: lockouts, cursors, readiness, idempotency."""

import base64
import contextlib
import datetime
import re
import time
import urllib.parse
import zlib

import pytest
from django.contrib.auth.models import User
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIClient

from booking.models import Booking
from dynamodb.rest.async_viewsets import AsyncDynamoViewset
from dynamodb.rest.viewsets import DynamoViewset
from tests.api_helpers import BOOKINGS, client_for
from tests.testapp.models import EveryField
from tests.testapp.serializers import EveryFieldSerializer

# Every test runs against both viewsets (tests/api/conftest.py: viewset).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("viewset")]

PASSWORD = "a-right-password"
LIMIT = 5


@pytest.fixture
def lockout(settings):
    """The lockout after LIMIT failures, lasting 2 s."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = datetime.timedelta(seconds=2)
    return settings.AXES_COOLOFF_TIME


@pytest.fixture
def grace():
    return User.objects.create_user("grace", password=PASSWORD)


def basic(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_failed_basic_logins_lock_out_then_the_right_password_works_again(lockout, grace):
    client = APIClient()
    statuses = [
        client.get(BOOKINGS, **basic("grace", "wrong")).status_code for _ in range(LIMIT + 3)
    ]
    assert statuses == [401] * (LIMIT - 1) + [429] * 4
    locked = client.get(BOOKINGS, **basic("grace", PASSWORD))
    assert locked.status_code == 429, "the right password is refused too while locked out"
    assert int(locked["Retry-After"]) == 2
    assert "Too many failed logins" in locked.json()["detail"]
    time.sleep(lockout.total_seconds() + 0.2)
    assert client.get(BOOKINGS, **basic("grace", PASSWORD)).status_code == 200


def test_a_lockout_holds_for_the_username_from_other_addresses(lockout, grace):
    for n in range(LIMIT):
        APIClient(REMOTE_ADDR=f"10.0.0.{n}").get(BOOKINGS, **basic("grace", "wrong"))
    elsewhere = APIClient(REMOTE_ADDR="10.9.9.9").get(BOOKINGS, **basic("grace", PASSWORD))
    assert elsewhere.status_code == 429


def test_a_lockout_holds_for_the_address_across_usernames(lockout, grace):
    client = APIClient(REMOTE_ADDR="10.1.1.1")
    for n in range(LIMIT):
        client.get(BOOKINGS, **basic(f"guess-{n}", "wrong"))
    assert client.get(BOOKINGS, **basic("grace", PASSWORD)).status_code == 429
    assert APIClient(REMOTE_ADDR="10.2.2.2").get(
        BOOKINGS, **basic("grace", PASSWORD)
    ).status_code == (200)


def test_a_forged_forwarded_for_does_not_escape_the_lockout(lockout, grace):
    client = APIClient(REMOTE_ADDR="10.3.3.3")
    for n in range(LIMIT):
        client.get(BOOKINGS, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}", **basic(f"x{n}", "wrong"))
    forged = client.get(BOOKINGS, HTTP_X_FORWARDED_FOR="8.8.8.8", **basic("grace", PASSWORD))
    assert forged.status_code == 429


def test_every_way_in_is_locked_out(lockout, grace):
    ways = {
        "session": lambda: APIClient().post(
            "/api-auth/login/", {"username": "grace", "password": "wrong"}
        ),
        "admin": lambda: APIClient().post(
            "/admin/login/", {"username": "grace", "password": "wrong"}
        ),
        "token": lambda: APIClient().post(
            "/api/auth/token/", {"username": "grace", "password": "wrong"}, format="json"
        ),
    }
    for name, attempt in ways.items():
        APIClient().get(BOOKINGS)  # nothing counts without credentials
        answers = [attempt() for _ in range(LIMIT)]
        assert answers[-1].status_code == 429, name
        assert int(answers[-1]["Retry-After"]) == 2, name
        time.sleep(lockout.total_seconds() + 0.2)
    token = APIClient().post(
        "/api/auth/token/", {"username": "grace", "password": PASSWORD}, format="json"
    )
    assert token.status_code == 200 and token.json()["token"]


def test_the_development_password_is_refused_where_debug_is_off(settings):
    User.objects.create_superuser("admin", password="admin")
    settings.DEBUG = False
    assert APIClient().get(BOOKINGS, **basic("admin", "admin")).status_code == 401
    settings.DEBUG = True
    assert APIClient().get(BOOKINGS, **basic("admin", "admin")).status_code == 200


def ada_listing(ada, count=3):
    for n in range(count):
        Booking.objects.create(user=ada, name=f"b{n}", address="a")
    return client_for(ada).get(BOOKINGS, {"page_size": 1}).json()["next"]


def cursor_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["cursor"][0]


def readable_parts(cursor):
    """What a client could read of a cursor: each base64 part, decompressed if it can be."""
    parts = []
    for part in re.split(r"[.:]", cursor):
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        parts.append(raw)
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(raw))
    return parts


def test_a_cursor_reveals_nothing_of_its_listing(ada):
    cursor = cursor_of(ada_listing(ada))
    for part in readable_parts(cursor):
        for secret in (b'"user"', b'"date_at"', b'"k"', b'"d"'):
            assert secret not in part


def test_a_cursor_expires(ada, settings):
    settings.DYNAMODB_CURSOR_MAX_AGE = 1
    next_url = ada_listing(ada)
    assert client_for(ada).get(next_url).status_code == 200
    time.sleep(2.1)  # Fernet counts whole seconds
    expired = client_for(ada).get(next_url)
    assert expired.status_code == 400
    assert "expired" in expired.json()["cursor"][0]


def test_ready_reuses_its_answer_for_a_few_seconds(settings, dynamodb_tables):
    from dynamodb.connector import Connector
    from project.health import readiness

    settings.READY_CACHE_SECONDS = 1.5
    readiness.checked_at = None  # this process's answer of an earlier test is not this one's
    assert APIClient().get("/ready/").status_code == 200
    Connector(Booking).delete_table()
    assert APIClient().get("/ready/").status_code == 200, "the answer of a moment ago"
    time.sleep(1.6)
    assert APIClient().get("/ready/").status_code == 503
    Connector(Booking).create_table()


class OpenItemsAPI:
    """Items any client may create: AllowAny, shared (owner_field None)."""

    queryset = EveryField.objects.all()
    serializer_class = EveryFieldSerializer
    owner_field = None
    permission_classes = [AllowAny]
    lookup_value_converter = "int"


class OpenItems(OpenItemsAPI, DynamoViewset):
    """With sync handlers."""


class AsyncOpenItems(OpenItemsAPI, AsyncDynamoViewset):
    """With async handlers."""


router = SimpleRouter(use_regex_path=False)
router.register("api/open/sync", OpenItems, basename="open-sync")
router.register("api/open/async", AsyncOpenItems, basename="open-async")
urlpatterns = router.urls


@pytest.mark.urls("tests.api.test_hardening")
def test_an_anonymous_idempotency_key_is_refused_and_creates_nothing(viewset):
    from tests.testapp.models import Owner

    items = f"/api/open/{viewset}/"
    owner = Owner.objects.create(name="o")
    refused = APIClient().post(
        items, {"owner": str(owner.pk)}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert refused.status_code == 400
    assert "authenticated" in refused.json()["Idempotency-Key"][0]
    assert EveryField.objects.filter(owner=owner).count() == 0
    created = APIClient().post(items, {"owner": str(owner.pk)}, format="json")
    assert created.status_code == 201


def test_an_error_body_names_no_model_and_carries_the_request_id(ada):
    response = client_for(ada).get(f"{BOOKINGS}999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert len(response["X-Request-ID"]) == 32
