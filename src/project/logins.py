"""Failed logins: locked out before the password hash runs, on every way in.

django-axes counts failed logins per client address and per username, in
Django's cache (so in DynamoDB in production, shared by every process), and
its authentication backend refuses a locked-out login before any password
hasher runs: a flood of wrong passwords costs a cache read each, not
PBKDF2's ~230 ms. This module gives axes what the project needs:

- the client address as DRF's throttles see it (``NUM_PROXIES`` decides how
  much of ``X-Forwarded-For`` to trust), so that a spoofed header escapes
  neither the throttle nor the lockout;
- the lockout answer: 429 with ``Retry-After`` (JSON under /api/, else
  Django's page), for Basic, session, admin and token logins alike;
- a refusal of the development password when DEBUG is off.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

API_PREFIX = "/api/"
# Passwords of the development superuser: never valid where DEBUG is off.
DEV_PASSWORDS = frozenset({"admin"})


def client_address(request):
    """The client's address, trusting ``NUM_PROXIES`` proxies' X-Forwarded-For (DRF's rule)."""
    return BaseThrottle().get_ident(getattr(request, "_request", request))


def lockout_seconds():
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request, original_response=None, credentials=None):
    """429 with Retry-After: the lockout lasts AXES_COOLOFF_TIME after the last failure."""
    seconds = lockout_seconds()
    message = f"Too many failed logins: try again in {seconds} s."
    headers = {"Retry-After": str(seconds)}
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=429, headers=headers)
    return HttpResponse(message, status=429, headers=headers, content_type="text/plain")


def refuse_in_drf(sender, request, **kwargs):
    """``user_locked_out`` inside DRF's authentication (Basic, token login): a 429 now.

    DRF authenticates inside its view, so AxesMiddleware would never see the
    flag axes sets on DRF's request; raising Throttled there gives DRF's own
    429 with Retry-After. Other logins (admin, session) get the middleware's.
    """
    if isinstance(request, Request):
        raise Throttled(wait=lockout_seconds(), detail="Too many failed logins.")


class LockoutBackend(AxesStandaloneBackend):
    """axes' lockout check, for logins over HTTP only.

    A login without a request (a management command, the test client's
    ``login()``) is no attempt from a client address: nothing to count or lock.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class RefuseDevPasswordBackend:
    """Refuses the development superuser's password when DEBUG is off, hashing nothing.

    Placed before the model backend: raising PermissionDenied stops Django's
    ``authenticate`` for this attempt (and counts as a failed login).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password in DEV_PASSWORDS and not settings.DEBUG:
            raise PermissionDenied("The development password is refused where DEBUG is off.")
        return None
