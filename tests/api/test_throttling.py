"""DRF throttling for anonymous and authenticated clients."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from project.settings import REST_FRAMEWORK
from tests.api_helpers import BOOKINGS, client_for

# Every test runs against both viewsets (tests/api/conftest.py: viewset).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("viewset")]


@pytest.fixture
def rates(settings):
    def set_rates(anon, user):
        settings.REST_FRAMEWORK = {
            **REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user},
        }
        cache.clear()

    yield set_rates
    cache.clear()


def test_the_project_throttles_by_default():
    assert REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"]
    assert REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"]
    assert len(REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]) == 2


def test_an_authenticated_user_is_throttled_per_user(rates, ada, bob):
    rates(anon=None, user="3/minute")
    api = client_for(ada)
    statuses = [api.get(BOOKINGS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get(BOOKINGS)
    assert int(refused.headers["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"].lower()
    other = client_for(bob)
    assert other.get(BOOKINGS).status_code == 200


def test_anonymous_clients_are_throttled(rates):
    rates(anon="2/minute", user=None)
    api = APIClient()
    statuses = [api.get("/api/schema/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
