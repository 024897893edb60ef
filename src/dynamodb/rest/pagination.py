"""Cursor pagination over DynamoDB's LastEvaluatedKey, in DRF's response shape.

One DynamoDB request per page (``query.pages.window``: one item more than
the page holds tells whether a next page exists, so an unfiltered listing
never ends on an empty page, as DRF's CursorPagination). Filters, which
DynamoDB applies after the Limit (on a Scan, sort-key conditions are filters
too), and the 1 MB cap of a response can still make any page short, the
last one even empty.

A cursor carries a start key (which holds the partition: a user's id, a
sort-key value), a direction and a fingerprint of the listing (partition,
conditions, order) it was issued for, encrypted, authenticated and expiring
(``query.pages.Cursors``): a client can neither read nor change it. A
tampered, truncated, foreign or expired cursor is a 400 saying which, never
a page of other data.

``previous`` works for partition listings (Query) by reading the partition
in the other direction from the page's first item; it is ``null`` for
whole-table listings (Scan), which DynamoDB reads in one direction only.
"""

from collections import OrderedDict

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ..exceptions import EngineRejected, InvalidCursor
from ..query import pages
from ..query.flows import adrive, drive
from ..query.pages import BACKWARD, FORWARD


class DynamoCursorPagination(BasePagination):
    """Cursor pagination of a DynamoViewset's list."""

    # Query parameter carrying the cursor.
    cursor_query_param = "cursor"
    # Query parameter a client may use to choose the page size...
    page_size_query_param = "page_size"
    # ...within these bounds: larger requests are clamped to the maximum.
    page_size = 25
    max_page_size = 100
    # The cursors of this API: encrypted under a key derived for this purpose only.
    cursors = pages.Cursors("dynamodb.pagination.cursor")
    invalid_cursor_message = "Invalid cursor: use the next or previous link of a listing."
    foreign_cursor_message = "This cursor belongs to another listing (other user or filters)."
    expired_cursor_message = "This cursor has expired: start the listing again from its first page."

    def paginate_queryset(self, queryset, request, view=None):
        """The page of items this request asks for (one DynamoDB request)."""
        return drive(self.paginate_flow(queryset, request))

    async def apaginate_queryset(self, queryset, request, view=None):
        """``paginate_queryset`` from async code (``AsyncDynamoViewset``)."""
        return await adrive(self.paginate_flow(queryset, request))

    def paginate_flow(self, queryset, request):
        self.request = request
        self.queryset = queryset
        self.fingerprint = pages.fingerprint(queryset)
        self.page_size = self.get_page_size(request)
        start, direction = self.decode_cursor(request)
        try:
            window = yield from pages.window_flow(queryset, self.page_size, start, direction)
        except EngineRejected as error:
            if start is None:
                raise
            # The engine rejects a start key that is not in this partition or index.
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from error
        self.has_next, self.next_position = window.has_next, window.next_position
        self.has_previous = window.has_previous
        self.previous_position = window.previous_position
        return window.items

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["Use a positive integer."]})
        return min(size, self.max_page_size)

    # Cursors

    def encode_cursor(self, position, direction):
        token = self.cursors.encode(position, direction, self.fingerprint)
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.page_size_query_param, self.page_size)
        return replace_query_param(url, self.cursor_query_param, token)

    def decode_cursor(self, request):
        """(start key, direction) of the request's cursor; (None, None) for the first page."""
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None, None
        try:
            return self.cursors.decode(token, self.fingerprint)
        except InvalidCursor as error:
            message = {
                "expired": self.expired_cursor_message,
                "foreign": self.foreign_cursor_message,
            }.get(error.reason, self.invalid_cursor_message)
            raise ValidationError({self.cursor_query_param: [message]}) from None

    def get_next_link(self):
        if not self.has_next:
            return None
        if self.next_position is None:
            # Forward from the very beginning: the first page, which has no cursor.
            url = self.request.build_absolute_uri()
            return remove_query_param(url, self.cursor_query_param)
        return self.encode_cursor(self.next_position, FORWARD)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        return self.encode_cursor(self.previous_position, BACKWARD)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous page's next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page (default {self.page_size}, "
                f"at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
