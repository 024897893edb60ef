"""Liveness and readiness endpoints for load balancers and compose healthchecks."""

import logging

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


@never_cache
@require_safe
def ready(request):
    """DynamoDB answers within a short timeout and every model's table exists."""
    problem = ping_tables()
    if problem:
        # The details (engine address, table names) go to the log, not to anonymous callers.
        logger.warning("Not ready: %s", problem)
        return JsonResponse(
            {"status": "unavailable", "dynamodb": "unavailable"},
            status=503,
            headers={"Retry-After": "5"},
        )
    return JsonResponse({"status": "ok", "dynamodb": "ok"})
