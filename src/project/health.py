"""Liveness and readiness endpoints for load balancers and compose healthchecks.

Answered by ``ProbeMiddleware`` ahead of everything else: a probe addresses
the container by its IP (the image's HEALTHCHECK uses 127.0.0.1, a load
balancer the task's address), which ALLOWED_HOSTS rightly leaves out, and
speaks plain HTTP behind a TLS redirect.
"""

import logging
import threading
import time

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dynamodb.storage.health import ping_tables

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def health(request):
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


class ReadyState:
    """The last answer of the tables' check and when it was made (one per process)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked_at = None
        self.problem = None

    def problem_now(self):
        """The current problem (None: ready), checked at most every READY_CACHE_SECONDS."""
        with self.lock:
            now = time.monotonic()
            fresh = self.checked_at is not None and (
                now - self.checked_at < settings.READY_CACHE_SECONDS
            )
            if not fresh:
                self.problem = ping_tables()
                self.checked_at = now
            return self.problem


readiness = ReadyState()


@never_cache
@require_safe
def ready(request):
    """DynamoDB answers within a short timeout and every model's table exists.

    The answer is reused for READY_CACHE_SECONDS, so that probes, however
    many and whoever sends them, cost DynamoDB one check per process and period.
    """
    problem = readiness.problem_now()
    if problem:
        # The details (engine address, table names) go to the log, not to anonymous callers.
        logger.warning("Not ready: %s", problem)
        return JsonResponse(
            {"status": "unavailable", "dynamodb": "unavailable"},
            status=503,
            headers={"Retry-After": "5"},
        )
    return JsonResponse({"status": "ok", "dynamodb": "ok"})


class ProbeMiddleware:
    """Answer GET/HEAD /health/ and /ready/ before host validation and HTTPS redirects.

    Neither reveals anything a caller could use, so they answer whatever the
    Host header or scheme; every other path goes through the full stack.
    """

    probes = {"/health/": health, "/ready/": ready}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = self.probes.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        return probe(request)
