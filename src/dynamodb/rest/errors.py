"""The REST layer's mapping of dynamodb errors to HTTP responses, in one place.

validation (and a query DynamoDB cannot run) 400, not found 404, already
exists 409, version conflict 412, throttled or unavailable 503 with
Retry-After. Used by every DynamoViewset (and as
REST_FRAMEWORK["EXCEPTION_HANDLER"] for the rest of the API), so a client's
mistake or an engine outage is never a 500 page or a traceback.
"""

import logging
import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .. import exceptions

logger = logging.getLogger(__name__)

# What a client is told of each error. The exception's own text (which names
# models, tables, keys and the engine's words) goes to the log, under the
# request id the response carries.
MESSAGES = (
    (exceptions.UnsupportedOperation, 400, "This request needs a query DynamoDB cannot run."),
    (exceptions.EngineRejected, 400, "The database refused this request."),
    (exceptions.ItemNotFound, 404, "Not found."),
    (
        exceptions.ItemAlreadyExists,
        409,
        "An item with this key already exists; nothing was overwritten.",
    ),
)
# Any other engine error is a 503 too: the request may succeed later.
UNAVAILABLE = (*exceptions.UNAVAILABLE, exceptions.DynamoError)


def request_id(context):
    """The request's id (set by project's RequestIdMiddleware), or a new one for the log."""
    request = context.get("request")
    return getattr(request, "request_id", None) or uuid.uuid4().hex


def exception_handler(exc, context):
    """DRF exception handler that knows the dynamodb errors."""
    if isinstance(exc, DjangoValidationError):
        return Response(validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.VersionConflict):
        body = {
            "detail": f"The item changed: the current version is {exc.current_version}.",
            "current_version": exc.current_version,
        }
        return Response(body, status=status.HTTP_412_PRECONDITION_FAILED)
    for error_class, code, message in MESSAGES:
        if isinstance(exc, error_class):
            identifier = request_id(context)
            logger.info("%s (request %s): %s", error_class.__name__, identifier, exc)
            return Response({"detail": message, "request_id": identifier}, status=code)
    if isinstance(exc, UNAVAILABLE):
        identifier = request_id(context)
        logger.warning("DynamoDB unavailable (request %s): %s", identifier, exc)
        retry_after = getattr(exc, "retry_after", 5)
        state = "busy (throttled)" if isinstance(exc, exceptions.Throttled) else "unavailable"
        return Response(
            {
                "detail": f"The database is temporarily {state}; retry in {retry_after} s.",
                "request_id": identifier,
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(retry_after)},
        )
    if isinstance(exc, Http404):
        exc = NotFound()  # never the model or lookup an Http404 was raised with
    return drf_exception_handler(exc, context)


def validation_body(exc):
    """A Django ValidationError as DRF's field -> messages body."""
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
        for field, messages in exc.message_dict.items()
    }
