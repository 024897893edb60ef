"""Integer ids allocated in DynamoDB, and the in-process id -> key cache.

Ids come in hi/lo blocks: one atomic ``ADD`` on a counter item reserves
``DYNAMODB_ID_BLOCK_SIZE`` ids for this process, so one counter write serves
many inserts and ids stay unique across processes (and below 2**53, so that
JavaScript clients read them exactly). The counters of every model live in
one small table, ``DYNAMODB_ID_COUNTER_TABLE``.

Key attributes never change after creation, so the key an id resolved to
can be cached in process; the cache is checked against the item read.
"""

import threading
from collections import OrderedDict

from . import client
from .conf import conf
from .exceptions import DynamoError

MAX_ID = 2**53 - 1
COUNTER_KEY = "counter"
COUNTER_VALUE = "last_id"

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
    """Reserve ``size`` ids on ``counter``; return the last one."""
    response = client.call(
        "update_item",
        TableName=counter_table_name(),
        Key={COUNTER_KEY: {"S": counter}},
        UpdateExpression="ADD #last :size",
        ExpressionAttributeNames={"#last": COUNTER_VALUE},
        ExpressionAttributeValues={":size": {"N": str(size)}},
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"][COUNTER_VALUE]["N"])


def allocate_ids(table_name, count=1):
    """``count`` new ids for a table (a list), reserving blocks as needed."""
    block_size = int(conf.ID_BLOCK_SIZE)
    key = (counter_table_name(), table_name)
    ids = []
    with _blocks_lock:
        while len(ids) < count:
            block = _blocks.get(key)
            if block is None or block[0] > block[1]:
                size = max(block_size, count - len(ids))
                last = _reserve(table_name, size)
                if last > MAX_ID:
                    raise DynamoError(f"The id counter of {table_name} passed 2**53.")
                block = _blocks[key] = [last - size + 1, last]
            taken = min(count - len(ids), block[1] - block[0] + 1)
            ids.extend(range(block[0], block[0] + taken))
            block[0] += taken
    return ids


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
        with self._lock:
            self._entries[(table_name, django_id)] = key
            self._entries.move_to_end((table_name, django_id))
            while len(self._entries) > int(conf.ID_CACHE_SIZE):
                self._entries.popitem(last=False)

    def discard(self, table_name, django_id):
        with self._lock:
            self._entries.pop((table_name, django_id), None)

    def clear(self):
        with self._lock:
            self._entries.clear()


key_cache = KeyCache()
