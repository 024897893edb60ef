"""Any Django view that finds DynamoDB down, throttling or missing a table answers 503.

The REST API (``rest/errors.py``) and the admin's pages (``admin/errors.py``)
answer with bodies of their own; this middleware covers every other view: a
project's own views over ``Model.objects``, and the admin's autocomplete, which
Django's AdminSite serves rather than a ModelAdmin.
"""

import logging

from django.http import JsonResponse
from django.utils.deprecation import MiddlewareMixin

from .exceptions import UNAVAILABLE, Throttled

logger = logging.getLogger(__name__)


class EngineUnavailableMiddleware(MiddlewareMixin):
    """503 with Retry-After and a JSON message saying how long to wait, never a 500."""

    def process_exception(self, request, exception):
        if not isinstance(exception, UNAVAILABLE):
            return None
        retry_after = getattr(exception, "retry_after", 5)
        state = "busy (throttled)" if isinstance(exception, Throttled) else "unavailable"
        logger.warning("DynamoDB %s during %s: %s", state, request.path, exception)
        return JsonResponse(
            {"detail": f"The database is temporarily {state}; retry in {retry_after} s."},
            status=503,
            headers={"Retry-After": str(retry_after)},
        )
