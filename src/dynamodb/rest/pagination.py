"""Cursor pagination over DynamoDB's LastEvaluatedKey, in DRF's response shape.

One DynamoDB request per page, for one item more than the page holds: a
Query that stops at its Limit returns a LastEvaluatedKey even when nothing
is left (AWS, dynalite), so the extra item is what tells whether a next page
exists, and an unfiltered listing never ends on an empty page (as DRF's
CursorPagination). Filters, which DynamoDB applies after the Limit (on a
Scan, sort-key conditions are filters too), and the 1 MB cap of a response
can still make any page short, the last one even empty.

A cursor carries a start key (which holds the partition: a user's id, a
sort-key value), a direction and a fingerprint of the listing (partition,
conditions, order) it was issued for. It is encrypted and authenticated with
Fernet (AES-128-CBC and HMAC-SHA256, ``cryptography``) under a key derived
from the SECRET_KEY, so a client can neither read nor change it, and it
expires ``DYNAMODB_CURSOR_MAX_AGE`` seconds after it was issued. A tampered,
truncated, foreign or expired cursor is a 400 saying which, never a page of
other data.

``previous`` works for partition listings (Query) by reading the partition
in the other direction from the page's first item; it is ``null`` for
whole-table listings (Scan), which DynamoDB reads in one direction only.

It paginates the viewset's filtered DynamoQuerySet with ``page()`` (one
request) and ``cursor_for()``; a cursor is bound to the listing through a
digest of the request that QuerySet sends (``explain()``).
"""

import base64
import hashlib
import json
import re
import time
from collections import OrderedDict
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.crypto import salted_hmac
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ..conf import conf
from ..exceptions import EngineRejected
from ..query.flows import Call, adrive, drive

# A Fernet token: URL-safe base64.
TOKEN = re.compile(r"[A-Za-z0-9_-]+={0,2}")
FORWARD = "n"
BACKWARD = "p"


def encode_key(key):
    """A raw DynamoDB key as JSON-able data (binary values in base64)."""
    if key is None:
        return None
    encoded = {}
    for name, value in key.items():
        ((kind, raw),) = value.items()
        encoded[name] = [kind, base64.b64encode(raw).decode() if kind == "B" else raw]
    return encoded


def decode_key(data):
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("not a key")
    key = {}
    for name, (kind, raw) in data.items():
        if kind not in ("S", "N", "B") or not isinstance(raw, str):
            raise ValueError("not a key")
        key[name] = {kind: base64.b64decode(raw) if kind == "B" else raw}
    return key


class DynamoCursorPagination(BasePagination):
    """Cursor pagination of a DynamoViewset's list."""

    # Query parameter carrying the cursor.
    cursor_query_param = "cursor"
    # Query parameter a client may use to choose the page size...
    page_size_query_param = "page_size"
    # ...within these bounds: larger requests are clamped to the maximum.
    page_size = 25
    max_page_size = 100
    # Salt of the cursors' encryption key: cursors are valid only for this purpose.
    signing_salt = "dynamodb.pagination.cursor"
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
        self.fingerprint = self.listing_fingerprint(queryset)
        self.page_size = self.get_page_size(request)
        start, direction = self.decode_cursor(request)
        is_scan = not queryset.ordered
        backward = direction == BACKWARD
        reading = queryset.reverse() if backward else queryset
        try:
            page = yield Call(reading, "page", {"size": self.page_size + 1, "cursor": start})
        except EngineRejected as error:
            if start is None:
                raise
            # The engine rejects a start key that is not in this partition or index.
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from error
        read, continuation = page.items, page.cursor
        if len(read) > self.page_size:
            # The extra item proves there is more: continue after the page's last item.
            read = read[: self.page_size]
            continuation = self.item_key(read[-1])
        items = list(reversed(read)) if backward else read
        if backward:
            # Reading back from a position: there is always a way forward again.
            self.has_previous = continuation is not None
            self.previous_position = continuation
            self.has_next = True
            self.next_position = self.item_key(items[-1]) if items else continuation
        else:
            self.has_next = continuation is not None
            self.next_position = continuation
            # None as a backward position reads back from the end of the partition.
            self.has_previous = not is_scan and direction is not None
            self.previous_position = self.item_key(items[0]) if items else continuation
        return items

    @staticmethod
    def listing_fingerprint(queryset):
        """A digest of what the listing reads (table, index, conditions, order)."""
        return hashlib.sha256(queryset.explain(format="json").encode()).hexdigest()[:32]

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

    def item_key(self, instance):
        """The raw key of an instance in the queried table or index (a start key)."""
        return self.queryset.cursor_for(instance)

    # Cursors

    def encode_cursor(self, position, direction):
        payload = {"k": encode_key(position), "d": direction, "f": self.fingerprint}
        text = json.dumps(payload, separators=(",", ":")).encode()
        token = _fernet(settings.SECRET_KEY, self.signing_salt).encrypt(text).decode()
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.page_size_query_param, self.page_size)
        return replace_query_param(url, self.cursor_query_param, token)

    def decode_cursor(self, request):
        """(start key, direction) of the request's cursor; (None, None) for the first page."""
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None, None
        fernet = _fernet(settings.SECRET_KEY, self.signing_salt)
        try:
            if not TOKEN.fullmatch(token):  # base64 decoding alone ignores what follows "="
                raise ValueError("not a cursor")
            payload = json.loads(fernet.decrypt(token))
            start = decode_key(payload["k"])
            direction = payload["d"]
            fingerprint = payload["f"]
        except (InvalidToken, ValueError, KeyError, TypeError):
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from None
        if time.time() - fernet.extract_timestamp(token) > conf.CURSOR_MAX_AGE:
            raise ValidationError({self.cursor_query_param: [self.expired_cursor_message]})
        if direction not in (FORWARD, BACKWARD):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        if fingerprint != self.fingerprint:
            raise ValidationError({self.cursor_query_param: [self.foreign_cursor_message]})
        return start, direction

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


@lru_cache(maxsize=4)
def _fernet(secret_key, salt):
    """The cursors' cipher: a key derived from the SECRET_KEY for this purpose only."""
    key = salted_hmac(salt, "cursor-encryption", secret_key, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))
