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

from . import client
from .conf import conf
from .exceptions import ConditionFailed, DynamoError

MAX_ID = 2**53 - 1
COUNTER_KEY = "counter"
COUNTER_VALUE = "last_id"
COUNTER_EPOCH = "epoch"
# Seconds a reserved block is used without checking that its counter is still the same.
BLOCK_CHECK_SECONDS = 1.0

_blocks = {}
_blocks_lock = threading.Lock()


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
    """Reserve ``size`` ids on ``counter``; return the last one and the counter's epoch."""
    response = client.call(
        "update_item",
        TableName=counter_table_name(),
        Key={COUNTER_KEY: {"S": counter}},
        UpdateExpression="ADD #last :size SET #epoch = if_not_exists(#epoch, :epoch)",
        ExpressionAttributeNames={"#last": COUNTER_VALUE, "#epoch": COUNTER_EPOCH},
        ExpressionAttributeValues={":size": {"N": str(size)}, ":epoch": {"S": uuid.uuid4().hex}},
        ReturnValues="ALL_NEW",
    )
    attributes = response["Attributes"]
    return int(attributes[COUNTER_VALUE]["N"]), attributes[COUNTER_EPOCH]["S"]


def _epoch(counter):
    """The counter's current epoch (None when the counter item does not exist)."""
    item = client.call(
        "get_item",
        TableName=counter_table_name(),
        Key={COUNTER_KEY: {"S": counter}},
        ConsistentRead=True,
        ProjectionExpression="#epoch",
        ExpressionAttributeNames={"#epoch": COUNTER_EPOCH},
    ).get("Item")
    return None if item is None or COUNTER_EPOCH not in item else item[COUNTER_EPOCH]["S"]


def _still_current(table_name, block):
    """Whether a block was reserved on the counter as it is now (checked once a while)."""
    now = time.monotonic()
    if now - block[3] < BLOCK_CHECK_SECONDS:
        return True
    if _epoch(table_name) != block[2]:
        return False
    block[3] = now
    return True


def allocate_ids(table_name, count=1):
    """``count`` new ids for a table (a list), reserving blocks as needed."""
    block_size = int(conf.ID_BLOCK_SIZE)
    key = (counter_table_name(), table_name)
    ids = []
    with _blocks_lock:
        while len(ids) < count:
            block = _blocks.get(key)
            if block is not None and not _still_current(table_name, block):
                block = None  # reserved before the counter was recreated
            if block is None or block[0] > block[1]:
                size = max(block_size, count - len(ids))
                last, epoch = _reserve(table_name, size)
                if last > MAX_ID:
                    raise DynamoError(f"The id counter of {table_name} passed 2**53.")
                # [next id, last id, the counter's epoch, when the block was last checked]
                block = _blocks[key] = [last - size + 1, last, epoch, time.monotonic()]
            taken = min(count - len(ids), block[1] - block[0] + 1)
            ids.extend(range(block[0], block[0] + taken))
            block[0] += taken
    return ids


def reserve_through(table_name, last_id):
    """Never allocate ``last_id`` or a smaller id of a table again (ids written explicitly).

    Moves the shared counter up to ``last_id`` (never down) and drops the part
    of this process's reserved block at or below it. Blocks other processes
    reserved earlier are out of reach: load data before they insert.
    """
    with _blocks_lock:
        block = _blocks.get((counter_table_name(), table_name))
        if block is not None and block[0] <= last_id:
            block[0] = last_id + 1
    with contextlib.suppress(ConditionFailed):  # the counter is already past it
        client.call(
            "update_item",
            TableName=counter_table_name(),
            Key={COUNTER_KEY: {"S": table_name}},
            UpdateExpression="SET #last = :last",
            ConditionExpression="attribute_not_exists(#last) OR #last < :last",
            ExpressionAttributeNames={"#last": COUNTER_VALUE},
            ExpressionAttributeValues={":last": {"N": str(last_id)}},
        )


def forget_blocks():
    """Drop the reserved blocks of this process (after tables were recreated)."""
    with _blocks_lock:
        _blocks.clear()


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
        size = int(conf.ID_CACHE_SIZE)
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
