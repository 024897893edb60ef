"""Idempotent creates: a POST retried with the same ``Idempotency-Key`` gets the first result.

The first request with a key stores a pending record (a conditional insert,
so two concurrent requests cannot both proceed), runs the create, and stores
its response. A retry with the same key and body gets that response again
(201 with the same item, header ``Idempotent-Replayed: true``) instead of a
second item or a 409; the same key with another body is a 422; a retry while
the first is still running is a 409 with ``Retry-After``. A create that fails
before its item is sent forgets its key, so the client may retry it.

The item and its record's response are written in one DynamoDB transaction
(``insert``): both or neither, so no crash can leave a created item without
the record that answers its retries. A transaction that ended unanswered
leaves the record as it is: it holds the response (a retry replays it) or is
still pending, and a retry creates the item once its lease is over.

On an engine without transactions (dynalite), a create whose outcome is
unknown (the engine timed out: the item may have been stored) must neither
forget its key, or a retry would store a second item, nor keep it pending
forever. So right before the item is sent, the record notes which item it
will be (its key and id), and a pending record holds a lease:
``DYNAMODB_IDEMPOTENCY_LEASE`` seconds, longer than a request can last, or
ended at once by a request that fails after sending its item. A retry that
finds a pending record whose lease is over settles it: the noted item is
stored, so the retry gets it (201, replayed), or it is not, so the retry
creates it anew. (The lease also settles a record whose request died
between the claim and the transaction.)
"""

import contextlib
import datetime
import hashlib
import json
import time

from boto3.dynamodb.conditions import Attr
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ..conf import conf
from ..exceptions import (
    ConditionFailed,
    DynamoError,
    EngineRejected,
    ItemAlreadyExists,
    ItemNotFound,
    TransactionCanceled,
)
from ..models import IdempotencyKey
from ..query.flows import Call, Run
from ..storage import atomic, items, writes
from ..storage.connector import Connector
from ..storage.expressions import exact_key
from ..wire.marshalling import serialize

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# The body of a pending record: {PENDING: {"until": lease end (epoch seconds), "item": ...}}.
PENDING = "pending"


def idempotency_key(request):
    """The request's Idempotency-Key, checked, or None.

    Keys are kept per user: an anonymous client (a viewset open to
    ``AllowAny``) has no key space of its own, so its key is refused.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not request.user.is_authenticated:
        raise ValidationError(
            {HEADER: ["Only an authenticated client may send an Idempotency-Key."]}
        )
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            {HEADER: [f"Use 1 to {MAX_KEY_LENGTH} printable characters (a UUID is ideal)."]}
        )
    return key


def fingerprint(data):
    """A digest of the request body: the same key must come with the same body."""
    if hasattr(data, "lists"):
        data = dict(data.lists())
    encoded = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def as_json(value):
    """``value`` as JSON gives it back (datetimes, UUIDs and decimals as strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


class IdempotentCreate:
    """Runs one create under an Idempotency-Key.

    Its methods are flows (``query.flows``): the sync and the async viewset
    drive the same logic.
    """

    def __init__(self, view, request, key):
        self.view = view
        self.connector = Connector(IdempotencyKey)
        self.record_key = f"{view.get_model_class()._meta.label}:{request.user.pk}:{key}"
        self.fingerprint = fingerprint(request.data)
        self.record = None
        self.pending = {}  # the pending state: lease end and, once known, the planned item
        self.remembered = False  # the response was written with the item
        self.in_transaction = False  # the item and its response were sent in one transaction

    def run(self, create):
        """Flow: the stored response for a known key, else the ``create`` flow's, remembered."""
        try:
            replay = yield from self.claim()
        except Exception:
            # The pending record may be stored, but no item was sent: it may go.
            yield from self.forget(quietly=True)
            raise
        if replay is not None:
            return replay
        try:
            response = yield from create
        except (ItemAlreadyExists, EngineRejected):
            yield from self.forget()  # the engine refused the item: nothing was stored
            raise
        except Exception:
            if "item" in self.pending:
                yield from self.release()  # the item was sent and may be stored: a retry finds out
            elif not self.in_transaction:
                yield from self.forget()
            # Else the transaction's outcome is unknown: the record holds the response
            # (it was written), or it is pending with no item noted and its lease ends.
            # Either way it is left alone: a retry replays, or creates once the lease ends.
            raise
        if not status.is_success(response.status_code):
            yield from self.forget()
        elif not self.remembered:
            yield from self.remember(response)
        return response

    def insert(self, connector, instance, response_body):
        """Flow: insert the item; with transactions, together with the record of its response.

        ``response_body(instance)`` is the body the create answers with. On an
        engine without transactions, the record notes the item first (``plan``)
        and the response is remembered after the create.
        """
        if not (yield Call(atomic, "supported", {})):
            yield Call(connector, "insert", {"instance": instance, "before_write": self.plan})
            return
        # The response names the item's id and version: given to it before the transaction.
        saved = yield Run(writes.ready_to_insert(connector.schema, instance))
        self.record.status_code = status.HTTP_201_CREATED
        self.record.body = as_json(response_body(instance))
        actions = [("insert", instance), ("update", self.record, ["status_code", "body"])]
        self.in_transaction = True
        try:
            yield Call(connector, "transact_write", {"actions": actions})
        except TransactionCanceled as canceled:
            # Cancelled: nothing of it was written, so the record may go.
            self.in_transaction = False
            items.restore(instance, saved)
            self.record.status_code, self.record.body = None, {PENDING: self.pending}
            raise atomic.first_error(canceled) from canceled
        self.remembered = True

    def claim(self):
        """Flow: store a pending record; or the response a previous request with the key got."""
        self.pending = {"until": time.time() + conf.IDEMPOTENCY_LEASE}
        record = IdempotencyKey(
            key=self.record_key,
            fingerprint=self.fingerprint,
            expires_at=timezone.now() + datetime.timedelta(seconds=conf.IDEMPOTENCY_TTL),
            body={PENDING: self.pending},
        )
        for _attempt in range(3):
            self.record = record
            try:
                yield Call(self.connector, "insert", {"instance": record})
                return None
            except ItemAlreadyExists:
                self.record = None
                existing = yield Call(self.connector, "get", {"key_tuple_list": self.key_list()})
            if existing is None:
                continue
            if existing.expires_at <= timezone.now():
                yield from self.delete(existing)
                continue
            if existing.status_code is not None or existing.fingerprint != self.fingerprint:
                return self.replay(existing)
            pending = (existing.body or {}).get(PENDING, {})
            if pending.get("until", 0) > time.time():
                return self.replay(existing)
            settled = yield from self.settle(existing, pending.get("item"))
            if settled is not None:
                return settled
            yield from self.delete(existing)
        raise ItemAlreadyExists("This Idempotency-Key is being reused concurrently; retry.")

    def key_list(self):
        return [("key", self.record_key)]

    def replay(self, existing):
        if existing.fingerprint != self.fingerprint:
            return Response(
                {"detail": f"This {HEADER} was used with a different request body."},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        if existing.status_code is None:
            return Response(
                {"detail": f"A request with this {HEADER} is still in progress; retry later."},
                status=status.HTTP_409_CONFLICT,
                headers={"Retry-After": "1"},
            )
        return Response(
            existing.body,
            status=existing.status_code,
            headers={"Idempotent-Replayed": "true"},
        )

    def plan(self, instance):
        """Steps: note in the pending record the item about to be sent (an insert's hook)."""
        schema = self.view.get_connector().schema
        key = serialize(exact_key(schema, instance.get_key_list()))
        self.pending = {**self.pending, "item": {"id": as_json(instance.pk), "key": key}}
        self.record.body = {PENDING: self.pending}
        return writes.update_fields(self.connector.schema, self.record, ["body"])

    def settle(self, existing, item):
        """Flow: the response of a create whose request ended unanswered, if its item is stored.

        Stored as that request's response, so that every later retry gets it too.
        """
        if item is None:
            return None
        connector = self.view.get_connector()
        key_list = items.key_list_of(connector.schema, item["key"])
        found = yield Call(connector, "get", {"key_tuple_list": key_list})
        if found is None or as_json(found.pk) != item["id"]:
            return None
        existing.status_code = status.HTTP_201_CREATED
        serializer = self.view.get_serializer(found)
        existing.body = as_json((yield Call(self.view, "serialized", {"serializer": serializer})))
        yield Call(
            self.connector, "update", {"instance": existing, "fields": ["status_code", "body"]}
        )
        return self.replay(existing)

    def remember(self, response):
        """Flow: store the create's response in the record."""
        self.record.status_code = response.status_code
        self.record.body = as_json(response.data)
        try:
            fields = ["status_code", "body"]
            yield Call(self.connector, "update", {"instance": self.record, "fields": fields})
        except DynamoError:
            yield from self.release()
            raise

    def release(self):
        """Flow: end the lease of a create that failed after sending its item (a retry settles it).

        If even this write fails, the lease ends on its own.
        """
        self.pending = {**self.pending, "until": 0}
        self.record.status_code = None
        self.record.body = {PENDING: self.pending}
        with contextlib.suppress(DynamoError):
            fields = ["status_code", "body"]
            yield Call(self.connector, "update", {"instance": self.record, "fields": fields})

    def forget(self, quietly=False):
        """Flow: delete this request's record (no item was sent), so that the client may retry."""
        if self.record is None:
            return
        try:
            yield from self.delete(self.record)
        except DynamoError:
            if not quietly:
                raise

    def delete(self, record):
        """Flow: delete this very record, not one another request stored since under the key."""
        schema = self.connector.schema
        expires_at = schema.by_name["expires_at"]
        same_record = Attr(expires_at.attribute).eq(expires_at.to_dynamo(record.expires_at))
        with contextlib.suppress(ConditionFailed, ItemNotFound):
            yield Run(writes.delete(schema, [("key", record.key)], condition=same_record))
