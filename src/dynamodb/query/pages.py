"""Listings read one page at a time, continued by opaque, expiring cursors.

Shared by the REST pagination and the admin's changelist, so that both page
the same way:

- ``window(queryset, size, start, direction)`` reads one page with one
  request, for one item more than the page holds: a Query that stops at its
  Limit returns a LastEvaluatedKey even when nothing is left (AWS, dynalite),
  so the extra item is what tells whether a next page exists. A backward
  page reads the partition in the other direction from its position; a Scan
  reads forward only, so it has no previous page.
- ``Cursors(salt)`` turns a position (a raw start key) and a direction into
  a token and back. A token also carries a fingerprint of the listing it was
  issued for (``fingerprint(queryset)``, a digest of the request the listing
  sends). It is encrypted and authenticated with Fernet (AES-128-CBC and
  HMAC-SHA256, ``cryptography``) under a key derived from the SECRET_KEY and
  the salt, so a client can neither read nor change it, and it expires
  ``DYNAMODB_CURSOR_MAX_AGE`` seconds after it was issued. A tampered,
  foreign or expired token is an ``InvalidCursor`` saying which.
"""

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.crypto import salted_hmac

from ..conf import conf
from ..exceptions import InvalidCursor
from .flows import Call, drive

# A Fernet token: URL-safe base64.
TOKEN = re.compile(r"[A-Za-z0-9_-]+={0,2}")
FORWARD = "n"
BACKWARD = "p"


@dataclass
class Window:
    """One page of a listing, and the positions its next and previous pages start from.

    A position of None with ``has_next`` (or ``has_previous``) means the
    listing's very beginning (or, backwards, its end).
    """

    items: list
    has_next: bool
    next_position: dict | None
    has_previous: bool
    previous_position: dict | None


def window(queryset, size, start=None, direction=None):
    """The page of ``size`` items from ``start`` in ``direction`` (None: the first page).

    One request. An engine that rejects the start key (not in this
    partition or index) raises ``EngineRejected``.
    """
    return drive(window_flow(queryset, size, start, direction))


def window_flow(queryset, size, start=None, direction=None):
    """``window`` as a flow (``query.flows``), for sync and async callers alike."""
    backward = direction == BACKWARD
    reading = queryset.reverse() if backward else queryset
    page = yield Call(reading, "page", {"size": size + 1, "cursor": start})
    read, continuation = page.items, page.cursor
    if len(read) > size:
        # The extra item proves there is more: continue after the page's last item.
        read = read[:size]
        continuation = queryset.cursor_for(read[-1])
    items = list(reversed(read)) if backward else read
    if backward:
        # Reading back from a position: there is always a way forward again.
        next_position = queryset.cursor_for(items[-1]) if items else continuation
        return Window(items, True, next_position, continuation is not None, continuation)
    # None as a backward position reads back from the end of the partition.
    previous_position = queryset.cursor_for(items[0]) if items else continuation
    has_previous = queryset.ordered and direction is not None
    return Window(items, continuation is not None, continuation, has_previous, previous_position)


def fingerprint(queryset):
    """A digest of what a listing reads (table, index, conditions, order)."""
    return hashlib.sha256(queryset.explain(format="json").encode()).hexdigest()[:32]


class Cursors:
    """Encrypted, expiring tokens of listing positions, for one purpose (``salt``)."""

    def __init__(self, salt):
        self.salt = salt

    def encode(self, position, direction, listing):
        """The token of ``position`` read in ``direction`` in the listing ``listing``."""
        payload = {"k": encode_key(position), "d": direction, "f": listing}
        text = json.dumps(payload, separators=(",", ":")).encode()
        return _fernet(settings.SECRET_KEY, self.salt).encrypt(text).decode()

    def decode(self, token, listing):
        """(start key, direction) of a token issued for the listing ``listing``."""
        fernet = _fernet(settings.SECRET_KEY, self.salt)
        try:
            if not TOKEN.fullmatch(token):  # base64 decoding alone ignores what follows "="
                raise ValueError("not a cursor")
            payload = json.loads(fernet.decrypt(token))
            start = decode_key(payload["k"])
            direction = payload["d"]
            issued_for = payload["f"]
        except (InvalidToken, ValueError, KeyError, TypeError):
            raise InvalidCursor("invalid") from None
        if time.time() - fernet.extract_timestamp(token) > conf.CURSOR_MAX_AGE:
            raise InvalidCursor("expired")
        if direction not in (FORWARD, BACKWARD):
            raise InvalidCursor("invalid")
        if issued_for != listing:
            raise InvalidCursor("foreign")
        return start, direction


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


@lru_cache(maxsize=8)
def _fernet(secret_key, salt):
    """The cipher of one purpose's cursors: a key derived from the SECRET_KEY and the salt."""
    key = salted_hmac(salt, "cursor-encryption", secret_key, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))
