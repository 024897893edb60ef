"""Integer ids allocated in DynamoDB, and the in-process id -> key cache.

Ids come in hi/lo blocks: one atomic ``ADD`` on a counter item reserves
``DYNAMODB_ID_BLOCK_SIZE`` ids for this process, so one counter write serves
many inserts and ids stay unique across processes (and below 2**53, so that
JavaScript clients read them exactly). The counters of every model live in
one small table, ``DYNAMODB_ID_COUNTER_TABLE``.

A block belongs to one life of its counter item: the item carries a random
``epoch``, set when it is created. When the tables are recreated under a
running service (an in-memory engine restarted, ``createdynamotables`` after a
``--delete``), the counter starts again from zero, so a block reserved before
would hand out ids that others are given again. A block not checked for
``BLOCK_CHECK_SECONDS`` is therefore checked (one GetItem) before its next id
is used, and dropped when the counter's epoch changed.

Key attributes never change after creation, so the key an id resolved to
can be cached in process; the cache is checked against the item read.
"""

import contextlib
import threading
import time
import uuid
from collections import OrderedDict

from ..conf import conf
from ..exceptions import ConditionFailed, DynamoError, ValidationError
from ..wire.marshalling import serialize_value
from ..wire.requests import Request
from .compiler import compile_read, id_read
from .paging import Pager
from .steps import Sleep

MAX_ID = 2**53 - 1
COUNTER_KEY = "counter"
COUNTER_VALUE = "last_id"
COUNTER_EPOCH = "epoch"
# Seconds a reserved block is used without checking that its counter is still the same.
BLOCK_CHECK_SECONDS = 1.0

# (counter table, model table) -> [next id, last id, the counter's epoch, when last checked]
_blocks = {}
# Held only around the blocks' bookkeeping, never while a request is out.
_blocks_lock = threading.Lock()
# Per counter: held by the one caller reserving (or checking) its block.
_reserving = {}
# Seconds a caller waits between looks at a block another caller is reserving.
RESERVE_WAIT = 0.001


def counter_table_name():
    return f"{conf.TABLE_PREFIX}{conf.ID_COUNTER_TABLE}"


def counter_table_definition():
    return {
        "TableName": counter_table_name(),
        "KeySchema": [{"AttributeName": COUNTER_KEY, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": COUNTER_KEY, "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _reserve(counter, size):
    """Steps: reserve ``size`` ids on ``counter``; return the last one and the counter's epoch."""
    response = yield Request(
        "update_item",
        {
            "TableName": counter_table_name(),
            "Key": {COUNTER_KEY: {"S": counter}},
            "UpdateExpression": "ADD #last :size SET #epoch = if_not_exists(#epoch, :epoch)",
            "ExpressionAttributeNames": {"#last": COUNTER_VALUE, "#epoch": COUNTER_EPOCH},
            "ExpressionAttributeValues": {
                ":size": {"N": str(size)},
                ":epoch": {"S": uuid.uuid4().hex},
            },
            "ReturnValues": "ALL_NEW",
        },
    )
    attributes = response["Attributes"]
    return int(attributes[COUNTER_VALUE]["N"]), attributes[COUNTER_EPOCH]["S"]


def _epoch(counter):
    """Steps: the counter's current epoch (None when the counter item does not exist)."""
    response = yield Request(
        "get_item",
        {
            "TableName": counter_table_name(),
            "Key": {COUNTER_KEY: {"S": counter}},
            "ConsistentRead": True,
            "ProjectionExpression": "#epoch",
            "ExpressionAttributeNames": {"#epoch": COUNTER_EPOCH},
        },
    )
    item = response.get("Item")
    return None if item is None or COUNTER_EPOCH not in item else item[COUNTER_EPOCH]["S"]


def _take(block, wanted):
    """Up to ``wanted`` ids from a block (under the lock)."""
    taken = min(wanted, block[1] - block[0] + 1)
    ids = list(range(block[0], block[0] + taken))
    block[0] += taken
    return ids


def allocate(table_name, count=1):
    """Steps: ``count`` new ids for a table (a list), reserving blocks as needed.

    One caller at a time reserves a block for a counter; the others wait
    (``Sleep`` steps, so neither a thread nor an event loop is blocked) and
    take their ids from it. A block unchecked for ``BLOCK_CHECK_SECONDS`` has
    its counter's epoch read before its next id is used, and is dropped when
    the counter was recreated.
    """
    key = (counter_table_name(), table_name)
    ids = []
    while len(ids) < count:
        with _blocks_lock:
            block = _blocks.get(key)
            fresh = block is not None and time.monotonic() - block[3] < BLOCK_CHECK_SECONDS
            if fresh and block[0] <= block[1]:
                ids += _take(block, count - len(ids))
                continue
            reserving = _reserving.setdefault(key, threading.Lock())
        if not reserving.acquire(blocking=False):
            yield Sleep(RESERVE_WAIT)  # another thread or task is reserving: use its block
            continue
        try:
            yield from _refill(key, table_name, count - len(ids))
        finally:
            reserving.release()
    return ids


def _refill(key, table_name, wanted):
    """Steps: make the counter's block usable: check its epoch, or reserve a new one."""
    with _blocks_lock:
        block = _blocks.get(key)
    if block is not None and block[0] <= block[1]:
        if time.monotonic() - block[3] < BLOCK_CHECK_SECONDS:
            return  # refilled by the caller that held the reservation before
        epoch = yield from _epoch(table_name)
        with _blocks_lock:
            if epoch == block[2]:
                block[3] = time.monotonic()
                return
            del _blocks[key]  # reserved before the counter was recreated
    size = max(conf.ID_BLOCK_SIZE, wanted)
    last, epoch = yield from _reserve(table_name, size)
    if last > MAX_ID:
        raise DynamoError(f"The id counter of {table_name} passed 2**53.")
    with _blocks_lock:
        _blocks[key] = [last - size + 1, last, epoch, time.monotonic()]


def reserve_through(table_name, last_id):
    """Steps: never allocate ``last_id`` or a smaller id of a table again (ids written explicitly).

    Moves the shared counter up to ``last_id`` (never down) and drops the part
    of this process's reserved block at or below it. Blocks other processes
    reserved earlier are out of reach: load data before they insert.
    """
    with _blocks_lock:
        block = _blocks.get((counter_table_name(), table_name))
        if block is not None and block[0] <= last_id:
            block[0] = last_id + 1
    with contextlib.suppress(ConditionFailed):  # the counter is already past it
        yield Request(
            "update_item",
            {
                "TableName": counter_table_name(),
                "Key": {COUNTER_KEY: {"S": table_name}},
                "UpdateExpression": "SET #last = :last",
                "ConditionExpression": "attribute_not_exists(#last) OR #last < :last",
                "ExpressionAttributeNames": {"#last": COUNTER_VALUE},
                "ExpressionAttributeValues": {":last": {"N": str(last_id)}},
            },
        )


def forget_blocks():
    """Drop the reserved blocks of this process (after tables were recreated)."""
    with _blocks_lock:
        _blocks.clear()


def key_for_id(schema, value):
    """Steps: the raw key of the item whose id (DynamoDB value) is ``value``, or None.

    From the in-process cache, else through the id index (or, for a model
    whose id is its partition key, the table), and then cached.
    """
    if schema.pk is schema.table.partition and schema.table.sort is None:
        return {schema.pk.attribute: serialize_value(value)}  # the id is the key
    raw = key_cache.get(schema.table_name, value)
    if raw is not None:
        return raw
    pager = Pager(compile_read(id_read(schema, value)), limit=1)
    found = None
    while found is None and (request := pager.next_request()) is not None:
        items = pager.feed((yield request))
        found = items[0] if items else None
    if found is None:
        return None
    raw = {name: found[name] for name in schema.table.key_attributes()}
    key_cache.put(schema.table_name, value, raw)
    return raw


def id_value(schema, django_id):
    """The DynamoDB value of an id given by a caller (a ValidationError when it is none)."""
    if django_id is None or isinstance(django_id, bool):
        raise ValidationError(schema.pk.name, f"{django_id!r} is not an id.")
    return schema.pk.to_dynamo(django_id)


class KeyCache:
    """A bounded LRU map of id -> raw key, per table."""

    def __init__(self):
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, table_name, django_id):
        with self._lock:
            key = self._entries.get((table_name, django_id))
            if key is not None:
                self._entries.move_to_end((table_name, django_id))
            return key

    def put(self, table_name, django_id, key):
        self.put_many(table_name, [(django_id, key)])

    def put_many(self, table_name, entries):
        """Remember (id, raw key) pairs, in order (the last ones are the most recent)."""
        size = conf.ID_CACHE_SIZE
        with self._lock:
            for django_id, key in entries:
                self._entries[(table_name, django_id)] = key
                self._entries.move_to_end((table_name, django_id))
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def discard(self, table_name, django_id):
        with self._lock:
            self._entries.pop((table_name, django_id), None)

    def clear(self):
        with self._lock:
            self._entries.clear()


key_cache = KeyCache()
