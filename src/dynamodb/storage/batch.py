"""Batch writes and reads: BatchWriteItem and BatchGetItem in DynamoDB's chunk sizes.

DynamoDB takes at most 25 writes or 100 keys per request (AWS rejects more;
moto accepts them) and may leave part of a request unprocessed
(``UnprocessedItems`` / ``UnprocessedKeys``) when a partition is hot or a
response passes 16 MB. That is a normal answer, not an error: what is left is
resent here after an exponential backoff with full jitter, a bounded number of
times (``DYNAMODB_BATCH_*`` settings), and then the call fails naming every
item it could not handle. A batch never drops an item silently.

The Connector's ``bulk_insert``, ``batch_get`` and ``batch_delete`` run these
steps (see ``steps``); so does the QuerySet's ``in_bulk`` and ``delete``.
"""

import random

from django.core.exceptions import ValidationError as DjangoValidationError

from .. import constants
from ..conf import conf
from ..exceptions import BatchGetFailed, BatchWriteFailed, DynamoError, InvalidBatchItem
from ..wire.marshalling import deserialize_value, serialize
from ..wire.requests import Request
from . import ids, items
from .expressions import exact_key, expression_params
from .steps import Sleep

MAX_WRITE_ITEMS = 25
MAX_GET_KEYS = 100


def bulk_insert(schema, instances):
    """Steps: validate every instance, allocate the missing ids, write them all; return the list.

    Nothing is sent when an instance is invalid (``InvalidBatchItem`` names
    its position and field). BatchWriteItem takes no condition, so an item
    with the same key is overwritten. On ``BatchWriteFailed`` the written
    instances are saved (``_state.adding`` is False) and the others keep
    their allocated ids, so that sending them again writes the same items.
    """
    instances = list(instances)
    validated, _saved = yield from prepare_all(schema, instances)
    requests = [{"PutRequest": {"Item": serialize(item)}} for item in validated]
    unwritten, error = yield from _write(schema.table_name, requests)
    failed = {_identity(schema, _request_key(request)) for request in unwritten}
    written = []
    for instance, request in zip(instances, requests, strict=True):
        sent = request["PutRequest"]["Item"]
        if not failed or _identity(schema, sent) not in failed:
            instance._state.adding = False
            written.append(sent)
    items.remember_ids(schema, written)
    if unwritten:
        raise _write_failed(schema, unwritten, error, "written") from error
    return instances


def prepare_all(schema, instances):
    """Steps: validate every instance, then allocate the missing ids in one block.

    Returns each instance's item and the id and version it had (for
    ``items.restore``). Ids given explicitly (loaded data) move the counter
    past them, so that it never hands them out again. Nothing is sent for an
    invalid batch, and on any failure the instances get their values back.
    """
    validated, missing_ids, saved = _validated_items(schema, instances)
    pk = schema.pk
    try:
        if pk.field.get_internal_type() in constants.AUTO_FIELDS:
            fresh = set(missing_ids)
            given = [item[pk.attribute] for n, item in enumerate(validated) if n not in fresh]
            if given:
                yield from ids.reserve_through(schema.table_name, int(max(given)))
        if missing_ids:
            new_ids = yield from ids.allocate(schema.table_name, len(missing_ids))
            for position, new_id in zip(missing_ids, new_ids, strict=True):
                setattr(instances[position], pk.attname, new_id)
                validated[position][pk.attribute] = pk.to_dynamo(new_id)
    except BaseException:
        _restore(instances, saved)
        raise
    return validated, saved


def _validated_items(schema, instances):
    """Each instance's item, the positions of those needing an id, and the values to restore.

    As ``Connector.insert`` does, an instance without an id is validated with
    the largest id, so that no id is reserved for a batch that is refused; on
    refusal every instance gets its id and version back.
    """
    validated, missing_ids, saved = [], [], []
    try:
        for position, instance in enumerate(instances):
            try:
                item, needs_id, values = items.prepare_new(schema, instance)
            except DjangoValidationError as error:
                reason = "; ".join(error.messages)
                raise InvalidBatchItem(position, getattr(error, "field", None), reason) from error
            validated.append(item)
            saved.append(values)
            if needs_id:
                missing_ids.append(position)
        _check_unique(schema, instances, validated, set(missing_ids))
    except Exception:
        _restore(instances, saved)
        raise
    return validated, missing_ids, saved


def _restore(instances, saved):
    """Give the instances the id and version they had before bulk_insert set them.

    In reverse, so that an instance given twice gets its first (original) values.
    """
    for instance, values in reversed(list(zip(instances, saved, strict=False))):
        items.restore(instance, values)


def _check_unique(schema, instances, validated, fresh):
    """Refuse two items with one key (DynamoDB rejects the whole request) or one id.

    A fresh id is unique by construction, so a key made of it is not compared.
    """
    key_attributes = schema.table.key_attributes()
    seen = {}
    for position, item in enumerate(validated):
        compared = []
        if position not in fresh or schema.pk.attribute not in key_attributes:
            compared.append(("key", tuple(item[name] for name in key_attributes)))
        if position not in fresh:
            compared.append(("id", item[schema.pk.attribute]))
        for kind, value in compared:
            first = seen.setdefault((kind, value), position)
            if first != position:
                if kind == "id":
                    field, described = schema.pk.name, f"{schema.pk.name}={value}"
                else:
                    field, described = None, items.describe_key(schema, instances[position])
                raise InvalidBatchItem(
                    position,
                    field,
                    f"its {kind} ({described}) is already in the batch",
                    duplicate_of=first,
                )


def batch_get(schema, key_tuple_lists, consistent=True):
    """Steps: the item (or None) of each key tuple list, in request order; duplicates allowed.

    Each distinct key is requested once, 100 per BatchGetItem request.
    """
    keys = []
    for position, requested in enumerate(key_tuple_lists):
        try:
            keys.append(serialize(exact_key(schema, requested)))
        except DjangoValidationError as error:
            reason = "; ".join(error.messages)
            raise InvalidBatchItem(position, getattr(error, "field", None), reason) from error
    found = yield from get_raw(schema, keys, consistent)
    return [None if item is None else schema.instance(item) for item in found]


def get_raw(schema, keys, consistent=True, projected=None):
    """Steps: the raw item (or None) of each raw key, in order; 100 keys per request."""
    wanted = {}
    for key in keys:
        wanted.setdefault(_identity(schema, key), key)
    unique = list(wanted.values())
    table = schema.table_name
    found = {}

    def send(pending):
        request = {"Keys": pending, "ConsistentRead": consistent}
        if projected is not None:
            request.update(expression_params(ProjectionExpression=list(projected)))
        response = yield Request("batch_get_item", {"RequestItems": {table: request}})
        for item in response.get("Responses", {}).get(table, []):
            found[_identity(schema, item)] = item
        return response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])

    for start in range(0, len(unique), MAX_GET_KEYS):
        left, error = yield from _send_with_retries(send, unique[start : start + MAX_GET_KEYS])
        if error is not None:
            raise error  # a read has nothing half-done to report: the engine's own error
        if left:
            failed = [
                items.key_list_of(schema, key) for key in left + unique[start + MAX_GET_KEYS :]
            ]
            raise BatchGetFailed(
                f"{len(failed)} keys of {schema.label} were not read: "
                f"DynamoDB left them unprocessed {conf.BATCH_MAX_ATTEMPTS} times: "
                f"{_describe(failed)}.",
                failed,
            )
    return [found.get(_identity(schema, key)) for key in keys]


def put_raw(schema, raw_items):
    """Steps: put raw items, 25 per request, overwriting; BatchWriteFailed names those left."""
    unwritten, error = yield from _write(
        schema.table_name, [{"PutRequest": {"Item": item}} for item in raw_items]
    )
    if unwritten:
        raise _write_failed(schema, unwritten, error, "written") from error


def delete(schema, raw_keys):
    """Steps: delete items by raw key (as the client returns them), 25 per request."""
    try:
        unwritten, error = yield from _write(
            schema.table_name, [{"DeleteRequest": {"Key": key}} for key in raw_keys]
        )
    finally:
        ids.key_cache.clear()
    if unwritten:
        raise _write_failed(schema, unwritten, error, "deleted") from error


def _write(table_name, requests):
    """Steps: write requests in chunks of 25; return (those not written, the error or None).

    Stops at the first chunk that cannot be completed: the rest is not sent.
    """

    def send(pending):
        response = yield Request("batch_write_item", {"RequestItems": {table_name: pending}})
        return response.get("UnprocessedItems", {}).get(table_name, [])

    for start in range(0, len(requests), MAX_WRITE_ITEMS):
        left, error = yield from _send_with_retries(send, requests[start : start + MAX_WRITE_ITEMS])
        if left:
            return left + requests[start + MAX_WRITE_ITEMS :], error
    return [], None


def _send_with_retries(send, pending):
    """Steps: send ``pending`` and resend what the engine leaves unprocessed, with backoff.

    ``send(pending)`` are the steps of one request, returning the unprocessed part. At most
    ``DYNAMODB_BATCH_MAX_ATTEMPTS`` requests; before each resend, a random
    sleep of up to ``BACKOFF_BASE * 2**n`` seconds, capped at ``BACKOFF_MAX``
    (full jitter: concurrent writers spread out instead of retrying in step).
    Returns (what is left, the error that stopped it or None).
    """
    base, cap = conf.BATCH_BACKOFF_BASE, conf.BATCH_BACKOFF_MAX
    for attempt in range(conf.BATCH_MAX_ATTEMPTS):
        if attempt:
            yield Sleep(random.uniform(0, min(cap, base * 2 ** (attempt - 1))))
        try:
            pending = yield from send(pending)
        except DynamoError as error:
            return pending, error
        if not pending:
            break
    return pending, None


def _write_failed(schema, unwritten, error, done):
    failed = [items.key_list_of(schema, _request_key(request)) for request in unwritten]
    why = (
        f"the request failed: {error}"
        if error is not None
        else f"DynamoDB left them unprocessed {conf.BATCH_MAX_ATTEMPTS} times"
    )
    return BatchWriteFailed(
        f"{len(failed)} items of {schema.label} were not {done} ({why}): {_describe(failed)}.",
        failed,
    )


def _request_key(request):
    if "PutRequest" in request:
        return request["PutRequest"]["Item"]
    return request["DeleteRequest"]["Key"]


def _identity(schema, item):
    """A hashable identity of an item's key, equal for equal DynamoDB keys."""
    return tuple(deserialize_value(item[name]) for name in schema.table.key_attributes())


def _describe(key_tuple_lists):
    return "; ".join(", ".join(f"{name}={value}" for name, value in key) for key in key_tuple_lists)
