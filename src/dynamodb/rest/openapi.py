"""What the OpenAPI schema (drf-spectacular) says of every DynamoViewset, beyond its 2xx bodies.

Loaded by the app when drf-spectacular is installed. Each operation also
documents:

- the error responses the REST layer produces (``dynamodb.handlers`` and
  DRF): 400 with messages per field or parameter, 401, 403, 404, 409, 412
  with the current version, 413, 415, 422, 429 and 503 with ``Retry-After``;
- the request headers it reads (``If-Match`` on writes to an item,
  ``Idempotency-Key`` on create) and the ``ETag`` it answers with.

A response a view declares itself with ``@extend_schema(responses=...)`` wins.
"""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import MAX_KEY_LENGTH

COMPONENTS = {
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationErrors": {
        "type": "object",
        "description": "The messages of each invalid field, query parameter or header "
        "(non_field_errors: of the whole body); or detail, when the request could not be read.",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "minProperties": 1,
    },
    "VersionConflict": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "current_version": {"type": "integer", "nullable": True},
        },
        "required": ["detail", "current_version"],
    },
}
# status: (component, description)
ERRORS = {
    400: ("ValidationErrors", "Invalid body, query parameter or header."),
    401: ("ErrorDetail", "No valid credentials."),
    403: ("ErrorDetail", "Not allowed (e.g. a session without its CSRF token)."),
    404: ("ErrorDetail", "No such item, or another user's."),
    409: (
        "ErrorDetail",
        "An item with this key exists; or a request with this Idempotency-Key is in progress.",
    ),
    412: ("VersionConflict", "If-Match names another version than the stored one."),
    413: ("ErrorDetail", "The request body is too large."),
    415: ("ErrorDetail", "Unsupported Content-Type."),
    422: ("ErrorDetail", "This Idempotency-Key was used with another body."),
    429: ("ErrorDetail", "Too many requests: retry after Retry-After seconds."),
    503: ("ErrorDetail", "The database is unavailable or throttled: retry after Retry-After."),
}
EVERY_OPERATION = (401, 403, 429, 503)
ACTION_ERRORS = {
    "list": (400,),
    "create": (400, 409, 413, 415, 422),
    "retrieve": (404,),
    "update": (400, 404, 412, 413, 415),
    "partial_update": (400, 404, 412, 413, 415),
    "destroy": (400, 404, 412),
}
WRITES_TO_AN_ITEM = ("update", "partial_update", "destroy")
ANSWERS_WITH_AN_ETAG = ("create", "retrieve", "update", "partial_update")


class DynamoSchemaMixin:
    """Mixed into the project's AutoSchema class for the operations of a DynamoViewset."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        action = getattr(self.view, "action", None)
        if action in WRITES_TO_AN_ITEM:
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    {"type": "string", "pattern": '^(\\*|(W/)?"[0-9]+")$'},
                    OpenApiParameter.HEADER,
                    description='Write only if the item is at this version (its ETag, e.g. "3"); '
                    "412 otherwise.",
                )
            )
        if action == "create":
            parameters += [
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    {"type": "string", "pattern": f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"},
                    OpenApiParameter.HEADER,
                    description="A retry with the same key and body gets the first response. "
                    f"1 to {MAX_KEY_LENGTH} printable characters: a UUID is ideal.",
                ),
                OpenApiParameter(
                    "Idempotent-Replayed",
                    str,
                    OpenApiParameter.HEADER,
                    response=[201],
                    description="true when this is the stored response of an earlier request.",
                ),
            ]
        if action in ANSWERS_WITH_AN_ETAG and self.view.get_connector().schema.version is not None:
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description="The item's version, for If-Match.",
                )
            )
        parameters += [
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                response=[503],
                required=True,
                description="Seconds to wait before retrying.",
            ),
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                response=[409, 429],
                description="Seconds to wait before retrying.",
            ),
        ]
        return parameters

    def get_response_serializers(self):
        declared = super().get_response_serializers()
        action = getattr(self.view, "action", None)
        errors = {
            code: self.error_response(code)
            for code in sorted(EVERY_OPERATION + ACTION_ERRORS.get(action, ()))
        }
        if isinstance(declared, dict):
            codes = {str(code[0] if isinstance(code, tuple) else code) for code in declared}
            return {
                **{code: error for code, error in errors.items() if str(code) not in codes},
                **declared,
            }
        if self.method == "DELETE":
            success = {204: None}
        elif self.method == "POST" and action == "create":
            success = {201: declared}
        else:
            success = {200: declared}
        return {**success, **errors}

    def error_response(self, code):
        name, description = ERRORS[code]
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=COMPONENTS[name], object=name
        )
        self.registry.register_on_missing(component)
        return OpenApiResponse(response=component.ref, description=description)


class DynamoViewsetExtension(OpenApiViewExtension):
    """Every DynamoViewset, documented with DynamoSchemaMixin over its own schema class."""

    target_class = "dynamodb.rest.viewsets.DynamoGenericViewSet"
    match_subclasses = True

    def view_replacement(self):
        inspector = self.target.schema
        if not isinstance(inspector, AutoSchema) or isinstance(inspector, DynamoSchemaMixin):
            return self.target
        schema_class = type(
            f"Dynamo{type(inspector).__name__}", (DynamoSchemaMixin, type(inspector)), {}
        )
        return type(
            self.target.__name__,
            (self.target,),
            {
                "schema": schema_class(),
                "__doc__": self.target.__doc__,
                "__module__": self.target.__module__,
            },
        )
