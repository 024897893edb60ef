"""The service's middleware: request ids, and request bodies over the limit refused."""

import uuid

from django.conf import settings
from django.http import JsonResponse


class RequestIdMiddleware:
    """Every request gets an id (``request.request_id``), sent back as ``X-Request-ID``.

    Error bodies carry it too, and the log lines of the error: a client
    reports the id, an operator finds the details.
    """

    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response[self.header] = request.request_id
        return response


class RequestBodyLimitMiddleware:
    """413 with a JSON message for a declared body larger than the limit, whatever its type."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.API_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if length > limit:
            return JsonResponse(
                {"detail": f"Request body is {length} bytes; the limit is {limit} bytes."},
                status=413,
            )
        return self.get_response(request)
