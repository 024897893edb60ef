"""The REST layer's mapping of dynamodb errors to HTTP responses, in one place.

validation (and a query DynamoDB cannot run) 400, not found 404, already
exists 409, version conflict 412, throttled or unavailable 503 with
Retry-After. Used by every DynamoViewset (and as
REST_FRAMEWORK["EXCEPTION_HANDLER"] for the rest of the API), so a client's
mistake or an engine outage is never a 500 page or a traceback.
"""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .. import exceptions

logger = logging.getLogger(__name__)

STATUSES = (
    (exceptions.UnsupportedOperation, status.HTTP_400_BAD_REQUEST),
    (exceptions.ItemNotFound, status.HTTP_404_NOT_FOUND),
    (exceptions.ItemAlreadyExists, status.HTTP_409_CONFLICT),
    (exceptions.VersionConflict, status.HTTP_412_PRECONDITION_FAILED),
    (exceptions.EngineRejected, status.HTTP_400_BAD_REQUEST),
)
UNAVAILABLE = (
    exceptions.Throttled,
    exceptions.EngineUnavailable,
    exceptions.TableNotFound,
    exceptions.DynamoError,
)


def exception_handler(exc, context):
    """DRF exception handler that knows the dynamodb errors."""
    if isinstance(exc, DjangoValidationError):
        return Response(validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    for error_class, code in STATUSES:
        if isinstance(exc, error_class):
            body = {"detail": str(exc)}
            if isinstance(exc, exceptions.VersionConflict):
                body["current_version"] = exc.current_version
            return Response(body, status=code)
    if isinstance(exc, UNAVAILABLE):
        logger.warning("DynamoDB unavailable: %s", exc)
        retry_after = getattr(exc, "retry_after", 5)
        # The cause (engine address, table names) is for the log, not for the client.
        state = "busy (throttled)" if isinstance(exc, exceptions.Throttled) else "unavailable"
        return Response(
            {"detail": f"The database is temporarily {state}; retry in {retry_after} s."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(retry_after)},
        )
    return drf_exception_handler(exc, context)


def validation_body(exc):
    """A Django ValidationError as DRF's field -> messages body."""
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
        for field, messages in exc.message_dict.items()
    }
