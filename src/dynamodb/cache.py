"""Django's cache on DynamoDB: what every process and instance must share, without Redis.

    CACHES = {"default": {"BACKEND": "dynamodb.cache.DynamoDBCache"}}

Throttle counters, login lockouts and sessions in a per-process cache are per
process: N workers allow N times a rate. Here they live in DynamoDB, the one
store every instance already shares (decision 16), as ``CacheEntry`` items
(table ``DynamoCache``, prefixed and created like every other table).

Django's semantics, with these choices:

- Expiry is checked on every read: an entry past its ``expires_at`` is a miss
  on any engine. DynamoDB's TTL deletes it later (within days on AWS; never on
  an engine without TTL, where the next write replaces it). Expiry compares the
  processes' wall clocks.
- ``add`` is one conditional put (the key is absent or expired): of concurrent
  adds, in any processes, exactly one stores its value.
- An ``int`` (not a bool) of at most 38 digits is a DynamoDB number, so that
  ``incr``/``decr`` are one atomic ``ADD``, keeping the entry's expiry (as
  memcached and Redis do). Every other value is pickled. ``incr`` of a missing
  or expired key raises ValueError, as Django's; of any other value (None, a
  float, a str) TypeError, and the value is unchanged: an ADD cannot apply to
  it, and a read-modify-write would not be atomic. An ``incr`` whose answer is
  lost and that botocore resends may count twice.
- A timeout of 0 or less deletes the key (``set``, ``set_many``, ``touch``);
  ``add`` then stores nothing and says whether the key was free.
- ``clear()`` deletes every entry of the table, of every KEY_PREFIX and version,
  as Django's database cache empties its table: a Scan, then batch deletes.
- A key DynamoDB cannot hold (over 2048 bytes of UTF-8, not text) is an
  InvalidCacheKey before any request; Django's warnings about keys memcached
  would refuse still apply.
- A value whose item would pass 400 KB raises ``dynamodb.exceptions.ValidationError``;
  ``set`` deletes the key's old value first, so that no stale value is served
  (as memcached does for ``cached_db`` sessions), ``set_many`` returns such keys.

OPTIONS: ``CONSISTENT_READ`` (default True: a read sees every write made before
it, in any process; False halves the read cost), ``PICKLE_PROTOCOL`` (default
``pickle.HIGHEST_PROTOCOL``). ``MAX_ENTRIES`` and ``CULL_FREQUENCY`` are accepted
and ignored: a table has no size to cull to. There is no ``LOCATION``: the table
is ``CacheEntry``'s; separate caches with KEY_PREFIX.
"""

import datetime
import pickle
import time
from decimal import Decimal

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache, InvalidCacheKey
from django.core.exceptions import ImproperlyConfigured

from .constants import MAX_NUMBER_DIGITS, MAX_PARTITION_KEY_BYTES
from .exceptions import ConditionFailed, ValidationError
from .models import CacheEntry
from .storage import batch, items
from .storage.expressions import expression_params
from .storage.paging import Pager
from .storage.schema import schema_for
from .storage.steps import run
from .wire.marshalling import deserialize, serialize
from .wire.requests import Request

OPTIONS = frozenset({"CONSISTENT_READ", "PICKLE_PROTOCOL", "MAX_ENTRIES", "CULL_FREQUENCY"})
KEY, VALUE, NUMBER, EXPIRES = (
    CacheEntry._meta.get_field(name).column for name in ("key", "value", "number", "expires_at")
)
NUMBER_LIMIT = 10**MAX_NUMBER_DIGITS
# The entry is there and unexpired / absent or expired (":now" is the caller's clock).
LIVE = "attribute_exists(#k) AND (attribute_not_exists(#e) OR #e > :now)"
FREE = "attribute_not_exists(#k) OR #e <= :now"
MISSING = object()


class DynamoDBCache(BaseCache):
    """Django's cache API on the ``CacheEntry`` table (see the module's docstring)."""

    def __init__(self, location, params):
        super().__init__(params)
        if location:
            raise ImproperlyConfigured(
                "DynamoDBCache takes no LOCATION: its table is DYNAMODB_TABLE_PREFIX + "
                f"{CacheEntry.table_name!r}. Separate caches with KEY_PREFIX."
            )
        options = params.get("OPTIONS") or {}
        if unknown := set(options) - OPTIONS:
            raise ImproperlyConfigured(
                f"DynamoDBCache has no OPTIONS {sorted(unknown)}; it takes {sorted(OPTIONS)}."
            )
        self._consistent = bool(options.get("CONSISTENT_READ", True))
        self._protocol = options.get("PICKLE_PROTOCOL", pickle.HIGHEST_PROTOCOL)

    def validate_key(self, key):
        """Refuse what DynamoDB cannot key on, then Django's portability warnings."""
        try:
            size = len(key.encode("utf-8"))
        except (AttributeError, UnicodeEncodeError):
            raise InvalidCacheKey(f"Cache key {key!r} is not text DynamoDB can store.") from None
        if not 0 < size <= MAX_PARTITION_KEY_BYTES:
            shown = repr(key) if len(key) <= 60 else f"{key[:60]!r}..."
            raise InvalidCacheKey(
                f"Cache key {shown} is {size} bytes of UTF-8; DynamoDB keys hold 1 to "
                f"{MAX_PARTITION_KEY_BYTES}."
            )
        super().validate_key(key)

    # Reads: an expired entry is a miss.

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        raw = _call("get_item", Key=_key(key), ConsistentRead=self._consistent).get("Item")
        value = _decoded(raw, time.time())
        return default if value is MISSING else value

    def get_many(self, keys, version=None):
        made = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not made:
            return {}
        raws = run(batch.get_raw(_schema(), [_key(key) for key in made], self._consistent))
        now = time.time()
        values = ((key, _decoded(raw, now)) for key, raw in zip(made.values(), raws, strict=True))
        return {key: value for key, value in values if value is not MISSING}

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        raw = _call(
            "get_item",
            Key=_key(key),
            ConsistentRead=self._consistent,
            **expression_params(ProjectionExpression=[KEY, EXPIRES]),
        ).get("Item")
        return _live(raw, time.time())

    # Writes.

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        expires = self.get_backend_timeout(timeout)
        if _gone(expires):
            self._delete(key)
            return
        entry = self._entry(key, value, expires)
        try:
            item = serialize(items.validated_item(_schema(), entry))
        except ValidationError:
            self._delete(key)  # no stale value outlives a failed set (cached_db sessions)
            raise
        _call("put_item", Item=item)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """Store ``value`` only if the key is absent or expired: one conditional write."""
        key = self.make_and_validate_key(key, version=version)
        expires = self.get_backend_timeout(timeout)
        free = _condition(FREE, time.time(), "#k", "#e")
        if _gone(expires):
            # Expired at once: nothing to store; only a live entry makes the add fail.
            return _applied("delete_item", Key=_key(key), **free)
        item = serialize(items.validated_item(_schema(), self._entry(key, value, expires)))
        return _applied("put_item", sent=item, Item=item, **free)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        """BatchWriteItem (with storage.batch's retries); returns the keys too large to store."""
        made = [(self.make_and_validate_key(key, version=version), key) for key in data]
        expires = self.get_backend_timeout(timeout)
        if _gone(expires):
            self._delete_many([key for key, _original in made])
            return []
        schema = _schema()
        entries, refused = [], []
        for key, original in made:
            entry = self._entry(key, data[original], expires)
            try:
                items.validated_item(schema, entry)
            except ValidationError:
                refused.append((key, original))
                continue
            entries.append(entry)
        if refused:  # as set(): no stale value outlives a failed write
            self._delete_many([key for key, _original in refused])
        if entries:
            run(batch.bulk_insert(schema, entries))
        return [original for _key, original in refused]

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        """Give a live entry a new expiry; False when there is none."""
        key = self.make_and_validate_key(key, version=version)
        expires = self.get_backend_timeout(timeout)
        live = _condition(LIVE, time.time(), "#k", "#e")
        if _gone(expires):
            return _applied("delete_item", Key=_key(key), **live)
        if expires is None:
            return _applied("update_item", Key=_key(key), UpdateExpression="REMOVE #e", **live)
        live["ExpressionAttributeValues"][":x"] = _epoch(expires)
        return _applied("update_item", Key=_key(key), UpdateExpression="SET #e = :x", **live)

    def incr(self, key, delta=1, version=None):
        """One atomic ADD on a live integer entry, keeping its expiry (see the module)."""
        original, key = key, self.make_and_validate_key(key, version=version)
        if not isinstance(delta, int):
            raise TypeError(f"incr() and decr() take an integer delta, not {delta!r}.")
        params = _condition(f"{LIVE} AND attribute_exists(#n)", time.time(), "#k", "#e", "#n")
        params["ExpressionAttributeValues"][":d"] = {"N": str(int(delta))}
        try:
            response = _call(
                "update_item",
                Key=_key(key),
                UpdateExpression="ADD #n :d",
                ReturnValues="ALL_NEW",  # UPDATED_NEW omits an ADD of 0
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **params,
            )
        except ConditionFailed as error:
            if not _live(_stored(error, key), time.time()):
                raise ValueError(f"Key '{original}' not found") from None
            raise TypeError(
                f"Key '{original}' holds a value incr() and decr() cannot add to: only int "
                f"values of at most {MAX_NUMBER_DIGITS} digits are counters."
            ) from None
        return int(Decimal(response["Attributes"][NUMBER]["N"]))

    def delete(self, key, version=None):
        return self._delete(self.make_and_validate_key(key, version=version))

    def delete_many(self, keys, version=None):
        self._delete_many([self.make_and_validate_key(key, version=version) for key in keys])

    def clear(self):
        """Delete every entry of the table (every KEY_PREFIX and version): O(table)."""
        run(_clear(_schema()))

    def _entry(self, key, value, expires):
        """The CacheEntry of a value: an int in ``number`` (so that ADD applies), else pickled."""
        entry = CacheEntry(key=key)
        if expires is not None:
            entry.expires_at = datetime.datetime.fromtimestamp(expires, datetime.UTC)
        if type(value) is int and -NUMBER_LIMIT < value < NUMBER_LIMIT:
            entry.number = value
        else:
            entry.value = pickle.dumps(value, self._protocol)
        return entry

    def _delete(self, key):
        """Delete a made key; whether a live entry was there."""
        old = _call("delete_item", Key=_key(key), ReturnValues="ALL_OLD").get("Attributes")
        return _live(old, time.time())

    def _delete_many(self, keys):
        keys = list(dict.fromkeys(keys))  # a batch must not name a key twice
        if keys:
            run(batch.delete(_schema(), [_key(key) for key in keys]))


def _schema():
    return schema_for(CacheEntry)


def _key(key):
    return {KEY: {"S": key}}


def _epoch(moment):
    """Epoch seconds as a DynamoDB number, as the DateTimeField codec stores them."""
    return {"N": f"{moment:.6f}"}


def _gone(expires):
    """Whether an expiry (None: never) is already past: a timeout of 0 or less."""
    return expires is not None and expires <= time.time()


def _live(raw, now):
    """Whether a raw item is an unexpired entry."""
    if not raw:
        return False
    expires = raw.get(EXPIRES)
    return expires is None or float(expires["N"]) > now


def _decoded(raw, now):
    """The value of a raw item, or MISSING when it is absent or expired."""
    if not _live(raw, now):
        return MISSING
    if NUMBER in raw:
        return int(Decimal(raw[NUMBER]["N"]))
    return pickle.loads(raw[VALUE]["B"])


def _condition(expression, now, *names):
    """A ConditionExpression with its placeholders (DynamoDB refuses unused ones)."""
    columns = {"#k": KEY, "#e": EXPIRES, "#n": NUMBER}
    return {
        "ConditionExpression": expression,
        "ExpressionAttributeNames": {name: columns[name] for name in names},
        "ExpressionAttributeValues": {":now": _epoch(now)},
    }


def _call(operation, **params):
    """Send one request to the cache's table through the storage layer's driver."""
    return run(_one(Request(operation, {"TableName": _schema().table_name, **params})))


def _one(request):
    return (yield request)


def _applied(operation, sent=None, **params):
    """Whether a conditional write applied.

    When its answer was lost and botocore resent it, the condition fails on
    what the first attempt stored: a put that finds exactly its own item applied.
    (Only then is the item read: a failed add does not ship the stored value back.)
    """
    try:
        _call(operation, **params)
    except ConditionFailed as error:
        if sent is None or not error.retry_attempts:
            return False
        stored = _stored(error, sent[KEY]["S"])
        return stored is not None and deserialize(stored) == deserialize(sent)
    return True


def _stored(error, key):
    """The raw item a failed condition met: the engine's answer, or a consistent read.

    AWS returns it (ReturnValuesOnConditionCheckFailure); dynalite does not.
    """
    if error.item is not None:
        return error.item
    return _call("get_item", Key=_key(key), ConsistentRead=True).get("Item")


def _clear(schema):
    """Steps: scan the table's keys page by page, deleting each page in batches."""
    scan = {"TableName": schema.table_name, "ConsistentRead": True}
    pager = Pager(Request("scan", {**scan, **expression_params(ProjectionExpression=[KEY])}))
    while (request := pager.next_request()) is not None:
        keys = pager.feed((yield request))
        if keys:
            yield from batch.delete(schema, keys)
