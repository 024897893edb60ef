"""DRF throttles whose rates are read per request, so settings overrides take effect.

DRF's own classes copy DEFAULT_THROTTLE_RATES once, at import. Counters live
in Django's cache: set CACHE_URL to a shared cache (Redis, Memcached) when
several gunicorn workers or hosts must share one budget.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class CurrentRatesMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(CurrentRatesMixin, AnonRateThrottle):
    """Requests without credentials, per client address."""


class UserThrottle(CurrentRatesMixin, UserRateThrottle):
    """Requests of an authenticated user, per user."""
