"""dynamodb.cache.DynamoDBCache: Django's cache API on DynamoDB, over a real engine.

The behaviours follow the list of Django's own backend tests (tests/cache/tests.py,
BaseCacheTests), plus what DynamoDB adds: conditional add, atomic incr, expiry on
read (dynalite has no TTL), key sizes, and processes sharing counters and throttles.
"""

import asyncio
import os
import pickle
import subprocess
import sys
import threading
import time
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import CacheKeyWarning, InvalidCacheKey, caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.test import RequestFactory
from rest_framework.settings import api_settings

from dynamodb.cache import DynamoDBCache
from dynamodb.conf import conf
from dynamodb.exceptions import ValidationError
from dynamodb.models import CacheEntry
from dynamodb.storage.schema import schema_for
from dynamodb.wire import client
from project.throttling import AnonThrottle
from tests.engine import selected_engine_class
from tests.testapp.models import Note

ROOT = Path(__file__).resolve().parents[2]
BACKEND = "dynamodb.cache.DynamoDBCache"
MONTH = 60 * 60 * 24 * 30
# Expiry tests: a short timeout, and a sleep that outlasts it.
SHORT = 0.6
PAST_SHORT = 1.0


# moto's server (5.2) runs concurrent requests in threads and applies a conditional put
# or an ADD to one item as an unguarded read-modify-write: two adds may both win, an
# increment may be lost. AWS and dynalite apply writes to an item one at a time.
needs_atomic_items = pytest.mark.skipif(
    selected_engine_class().name == "moto",
    reason="moto's server does not serialize concurrent writes to one item",
)


def custom_key_func(key, key_prefix, version):
    return "CUSTOM-" + "-".join([key_prefix, str(version), key])


@pytest.fixture(autouse=True)
def dynamo_caches(settings):
    """A DynamoDB cache as "default", and others sharing its table as Django's tests have."""
    settings.CACHES = {
        "default": {"BACKEND": BACKEND},
        "prefix": {"BACKEND": BACKEND, "KEY_PREFIX": "cacheprefix"},
        "v2": {"BACKEND": BACKEND, "VERSION": 2},
        "custom_key": {"BACKEND": BACKEND, "KEY_FUNCTION": custom_key_func},
        "custom_key2": {"BACKEND": BACKEND, "KEY_FUNCTION": f"{__name__}.custom_key_func"},
        "eventual": {"BACKEND": BACKEND, "OPTIONS": {"CONSISTENT_READ": False}},
    }
    return settings.CACHES


@pytest.fixture
def cache():
    return caches["default"]


def raw_item(key):
    """The item of a made cache key as stored, read around the cache."""
    table = schema_for(CacheEntry).table_name
    return client.call(
        "get_item", TableName=table, Key={"key": {"S": key}}, ConsistentRead=True
    ).get("Item")


def stored_keys():
    table = schema_for(CacheEntry).table_name
    return sorted(item["key"]["S"] for item in client.call("scan", TableName=table)["Items"])


# Basics: set, get, add, delete, has_key.


def test_a_value_set_is_got_and_a_missing_key_gives_the_default(cache):
    cache.set("key", "value")
    assert cache.get("key") == "value"
    assert cache.get("does_not_exist") is None
    assert cache.get("does_not_exist", "bang!") == "bang!"


def test_a_cached_none_is_a_value_not_a_miss(cache):
    cache.set("null", None)
    assert cache.get("null", default="default") is None
    assert cache.has_key("null") is True
    assert "null" in cache


def test_add_stores_only_when_the_key_is_absent(cache):
    assert cache.add("addkey1", "value") is True
    assert cache.add("addkey1", "newvalue") is False
    assert cache.get("addkey1") == "value"


def test_add_replaces_an_expired_entry(cache):
    cache.set("expire2", "very quickly", SHORT)
    assert cache.add("expire2", "too soon") is False
    time.sleep(PAST_SHORT)
    assert cache.add("expire2", "newvalue") is True
    assert cache.get("expire2") == "newvalue"


def in_threads(count, work):
    """Run ``work(n)`` in ``count`` threads at once (each with its cache and client)."""
    results, errors = {}, []
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait()
        try:
            results[n] = work(n)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@needs_atomic_items
def test_of_concurrent_adds_exactly_one_stores_its_value():
    results = in_threads(8, lambda n: caches["default"].add("lock", n))
    winners = [n for n, added in results.items() if added]
    assert len(winners) == 1
    assert caches["default"].get("lock") == winners[0]


def test_an_add_whose_answer_was_lost_and_resent_reports_its_own_write(cache, faults):
    faults.lose("PutItem", b"DynamoCache")  # stored, but the answer never arrives
    assert cache.add("lock", "mine") is True  # botocore resent it: the condition met our item
    assert faults.count("PutItem") == 2
    assert cache.add("lock", "theirs") is False
    assert cache.get("lock") == "mine"


def test_delete_says_whether_a_live_entry_was_deleted(cache):
    cache.set_many({"key1": "spam", "key2": "eggs"})
    assert cache.delete("key1") is True
    assert cache.get("key1") is None
    assert cache.get("key2") == "eggs"
    assert cache.delete("key1") is False
    assert cache.delete("nonexistent_key") is False
    cache.set("expired", "gone", SHORT)
    time.sleep(PAST_SHORT)
    assert cache.delete("expired") is False


def test_has_key_and_in_see_live_entries_only(cache):
    cache.set("hello1", "goodbye1")
    cache.set("no_expiry", "here", None)
    cache.set("short", "lived", SHORT)
    assert cache.has_key("hello1") is True
    assert cache.has_key("goodbye1") is False
    assert cache.has_key("no_expiry") is True
    assert "hello1" in cache and "goodbye1" not in cache
    time.sleep(PAST_SHORT)
    assert cache.has_key("short") is False


def test_key_prefix_separates_caches_sharing_the_table(cache):
    cache.set("somekey", "value")
    assert caches["prefix"].has_key("somekey") is False
    caches["prefix"].set("somekey", "value2")
    assert cache.get("somekey") == "value"
    assert caches["prefix"].get("somekey") == "value2"
    assert stored_keys() == [":1:somekey", "cacheprefix:1:somekey"]


def test_custom_key_functions_make_their_own_keys(cache):
    cache.set("answer1", 42)
    assert caches["custom_key"].get("answer1") is None
    assert caches["custom_key2"].get("answer1") is None
    caches["custom_key"].set("answer2", 42)
    assert cache.get("answer2") is None
    assert caches["custom_key"].get("answer2") == 42
    assert caches["custom_key2"].get("answer2") == 42
    assert "CUSTOM--1-answer2" in stored_keys()


# Values: integers as numbers, everything else pickled.


class Point:
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return isinstance(other, Point) and other.x == self.x


def double(n):
    return 2 * n


@pytest.mark.parametrize(
    "value",
    [
        "this is a string",
        "Iñtërnâtiônàlizætiøn",
        42,
        -(10**37),
        10**38,  # beyond a DynamoDB number: pickled
        True,
        3.25,
        Decimal("1.10"),
        [1, 2, 3, 4],
        (1, 2, 3, 4),
        {"A": 1, "B": 2},
        {1, 2},
        b"\x00\xff bytes",
        Point(3),
        double,
        Point,
    ],
    ids=lambda value: type(value).__name__,
)
def test_values_of_every_type_come_back_equal(cache, value):
    cache.set("value", value)
    got = cache.get("value")
    assert got == value and type(got) is type(value)


def test_an_int_is_a_dynamodb_number_and_any_other_value_is_pickled(cache):
    cache.set("int", 7)
    cache.set("bool", True)
    cache.set("text", "7")
    assert raw_item(":1:int")["number"] == {"N": "7"} and "value" not in raw_item(":1:int")
    assert pickle.loads(raw_item(":1:bool")["value"]["B"]) is True
    assert pickle.loads(raw_item(":1:text")["value"]["B"]) == "7"


def test_unicode_keys_and_values_through_set_add_and_set_many(cache):
    stuff = {
        "ascii": "ascii_value",
        "unicode_ascii": "Iñtërnâtiônàlizætiøn1",
        "Iñtërnâtiônàlizætiøn": "Iñtërnâtiônàlizætiøn2",
        "ascii2": {"x": 1},
    }
    for key, value in stuff.items():
        cache.set(key, value)
        assert cache.get(key) == value
    for key, value in stuff.items():
        assert cache.delete(key) is True
        assert cache.add(key, value) is True
        assert cache.get(key) == value
    cache.delete_many(stuff)
    assert cache.get_many(stuff) == {}
    assert cache.set_many(stuff) == []
    assert cache.get_many(stuff) == stuff


def test_binary_strings_through_set_add_and_set_many(cache):
    compressed = zlib.compress(b"value_to_be_compressed")
    cache.set("binary1", compressed)
    assert cache.add("binary1-add", compressed) is True
    cache.set_many({"binary1-set_many": compressed})
    for key in ("binary1", "binary1-add", "binary1-set_many"):
        assert zlib.decompress(cache.get(key)) == b"value_to_be_compressed"


def test_a_model_instance_loaded_from_dynamodb_comes_back_whole(cache):
    note = Note.objects.create(board="b", title="Well?", body="the body", stars=3)
    loaded = Note.objects.get(board="b", title="Well?")
    cache.set("note", loaded)
    cached = cache.get("note")
    assert (cached.pk, cached.board, cached.body, cached.stars) == (note.pk, "b", "the body", 3)
    assert cached._state.adding is False


def test_an_unpicklable_value_raises_and_stores_nothing(cache):
    class Unpicklable:
        def __reduce__(self):
            raise pickle.PickleError("no")

    with pytest.raises(pickle.PickleError):
        cache.set("unpicklable", Unpicklable())
    with pytest.raises(pickle.PickleError):
        cache.add("unpicklable", Unpicklable())
    assert stored_keys() == []


def test_a_value_too_large_for_an_item_raises_and_leaves_no_stale_value(cache):
    big = os.urandom(420 * 1024)
    cache.set("session", "old")
    with pytest.raises(ValidationError, match="400|409600"):
        cache.set("session", big)
    assert cache.get("session") is None  # not the old value
    with pytest.raises(ValidationError):
        cache.add("other", big)
    cache.set_many({"a": "old", "b": "old"})
    assert cache.set_many({"a": big, "b": "new", "c": "new"}) == ["a"]
    assert cache.get_many(["a", "b", "c"]) == {"b": "new", "c": "new"}


# incr and decr: one atomic ADD.


def test_incr_and_decr_add_to_an_integer(cache):
    cache.set("answer", 41)
    assert cache.incr("answer") == 42
    assert cache.get("answer") == 42
    assert cache.incr("answer", 10) == 52
    assert cache.incr("answer", -10) == 42
    assert cache.decr("answer") == 41
    assert cache.decr("answer", 10) == 31
    assert cache.decr("answer", -11) == 42
    assert cache.get("answer") == 42


def test_incr_and_decr_of_a_missing_or_expired_key_raise_value_error(cache):
    cache.set("expired", 1, SHORT)
    time.sleep(PAST_SHORT)
    for key in ("does_not_exist", "expired"):
        for operation in (cache.incr, cache.decr):
            with pytest.raises(ValueError, match=f"Key '{key}' not found"):
                operation(key)
    with pytest.raises(ValueError):
        cache.incr("does_not_exist", -1)
    assert cache.get("does_not_exist") is None  # an incr never creates an entry


@pytest.mark.parametrize("value", [None, "1", 1.5, True, 10**40, [1]], ids=repr)
def test_incr_of_a_value_that_is_not_a_counter_raises_type_error_and_changes_nothing(cache, value):
    cache.set("value", value)
    with pytest.raises(TypeError, match="cannot add to"):
        cache.incr("value")
    with pytest.raises(TypeError):
        cache.decr("value")
    assert cache.get("value") == value


def test_incr_takes_an_integer_delta_only(cache):
    cache.set("answer", 1)
    with pytest.raises(TypeError, match="integer delta"):
        cache.incr("answer", 0.5)
    assert cache.get("answer") == 1


def test_incr_keeps_the_entry_expiry(cache):
    cache.set("counter", 1, SHORT)
    expires = raw_item(":1:counter")["expires_at"]
    assert cache.incr("counter") == 2
    assert cache.decr("counter", 5) == -3
    assert raw_item(":1:counter")["expires_at"] == expires
    time.sleep(PAST_SHORT)
    assert cache.get("counter") is None


@needs_atomic_items
def test_incr_is_atomic_under_concurrent_increments(cache):
    cache.set("hits", 0)
    counted = in_threads(6, lambda n: [caches["default"].incr("hits") for _ in range(25)])
    assert cache.get("hits") == 150
    seen = sorted(value for values in counted.values() for value in values)
    assert seen == list(range(1, 151))  # each ADD saw its own total


def test_incr_counts_exactly_up_to_38_digits(cache):
    near = 10**38 - 1
    cache.set("big", near - 1)
    assert cache.incr("big") == near
    assert cache.get("big") == near


# Many keys at once: BatchGetItem and BatchWriteItem.


def test_get_many_returns_the_live_entries_found_in_one_request(cache, requests_sent):
    cache.set_many({"a": "a", "b": "b", "c": "c", "d": "d", "x": None, "y": 1})
    cache.set("expired", "expired", SHORT)
    time.sleep(PAST_SHORT)
    del requests_sent[:]
    assert cache.get_many(["a", "c", "d"]) == {"a": "a", "c": "c", "d": "d"}
    assert cache.get_many(iter(["a", "b", "e", "expired"])) == {"a": "a", "b": "b"}
    assert cache.get_many(["x", "y", "a", "a"]) == {"x": None, "y": 1, "a": "a"}
    assert [operation for operation, _params in requests_sent] == ["BatchGetItem"] * 3
    assert cache.get_many([]) == {}


def test_get_many_reads_more_keys_than_one_batch_holds(cache):
    data = {f"k{n}": n for n in range(130)}
    assert cache.set_many(data) == []
    assert cache.get_many(data) == data


def test_set_many_writes_every_key_and_returns_an_empty_list(cache, requests_sent):
    assert cache.set_many({"key1": "spam", "key2": "eggs"}) == []
    assert cache.get("key1") == "spam" and cache.get("key2") == "eggs"
    assert [operation for operation, _params in requests_sent][:1] == ["BatchWriteItem"]
    assert cache.set_many({}) == []


def test_set_many_takes_a_timeout(cache):
    cache.set_many({"key1": "spam", "key2": "eggs"}, SHORT)
    cache.set_many({"key3": "ham"}, None)
    assert cache.get_many(["key1", "key2", "key3"]) == {
        "key1": "spam",
        "key2": "eggs",
        "key3": "ham",
    }
    time.sleep(PAST_SHORT)
    assert cache.get_many(["key1", "key2", "key3"]) == {"key3": "ham"}


def test_delete_many_deletes_the_keys_given_in_one_request(cache, requests_sent):
    cache.set_many({"key1": "spam", "key2": "eggs", "key3": "ham"})
    del requests_sent[:]
    assert cache.delete_many(["key1", "key2", "key1", "missing"]) is None
    assert [operation for operation, _params in requests_sent] == ["BatchWriteItem"]
    assert cache.get_many(["key1", "key2", "key3"]) == {"key3": "ham"}
    assert cache.delete_many([]) is None


def test_clear_empties_the_table_of_every_prefix_and_version(cache):
    cache.set_many({f"k{n}": n for n in range(60)})
    cache.set("v2", 2, version=2)
    caches["prefix"].set("other", "prefix")
    cache.clear()
    assert stored_keys() == []
    assert cache.get("k1") is None and caches["prefix"].get("other") is None
    cache.clear()  # an empty table is fine


# Timeouts.


def test_a_timeout_over_30_days_is_relative_not_a_timestamp(cache):
    cache.set("key1", "eggs", MONTH + 1)
    assert cache.add("key2", "ham", MONTH + 1) is True
    cache.set_many({"key3": "sausage", "key4": "lobster bisque"}, MONTH + 1)
    assert cache.get_many(["key1", "key2", "key3", "key4"]) == {
        "key1": "eggs",
        "key2": "ham",
        "key3": "sausage",
        "key4": "lobster bisque",
    }
    expires = float(raw_item(":1:key1")["expires_at"]["N"])
    assert abs(expires - (time.time() + MONTH + 1)) < 60


def test_a_none_timeout_never_expires_and_stores_no_expiry(cache):
    cache.set("key1", "eggs", None)
    assert cache.add("key2", "ham", None) is True
    assert cache.add("key1", "new eggs", None) is False
    cache.set_many({"key3": "sausage"}, None)
    assert cache.get_many(["key1", "key2", "key3"]) == {
        "key1": "eggs",
        "key2": "ham",
        "key3": "sausage",
    }
    assert "expires_at" not in raw_item(":1:key1")
    cache.set("key5", "belgian fries", timeout=SHORT)
    assert cache.touch("key5", timeout=None) is True
    assert "expires_at" not in raw_item(":1:key5")
    time.sleep(PAST_SHORT)
    assert cache.get("key5") == "belgian fries"


@pytest.mark.parametrize("timeout", [0, -1, -0.5])
def test_a_zero_or_negative_timeout_expires_at_once(cache, timeout):
    cache.set("key1", "old")
    cache.set("key1", "eggs", timeout)
    assert cache.get("key1") is None
    assert cache.add("key2", "ham", timeout) is True
    assert cache.get("key2") is None
    cache.set("key6", "live")
    assert cache.add("key6", "ham", timeout) is False  # a live entry: the add fails
    assert cache.get("key6") == "live"
    cache.set_many({"key3": "old", "key4": "old"})
    assert cache.set_many({"key3": "sausage", "key4": "lobster bisque"}, timeout) == []
    assert cache.get_many(["key3", "key4"]) == {}
    cache.set("key5", "belgian fries", timeout=5)
    assert cache.touch("key5", timeout=timeout) is True
    assert cache.get("key5") is None
    assert cache.touch("key5", timeout=timeout) is False
    assert stored_keys() == [":1:key6"]


def test_a_float_timeout_works(cache):
    cache.set("key1", "spam", 100.2)
    assert cache.get("key1") == "spam"


def test_the_default_timeout_comes_from_the_settings(settings):
    settings.CACHES = {
        "default": {"BACKEND": BACKEND},
        "forever": {"BACKEND": BACKEND, "TIMEOUT": None},
        "brief": {"BACKEND": BACKEND, "TIMEOUT": 1},
    }
    caches["default"].set("five_minutes", 1)
    caches["forever"].set("forever", 1)
    caches["brief"].set("brief", 1)
    expires = float(raw_item(":1:five_minutes")["expires_at"]["N"])
    assert abs(expires - (time.time() + 300)) < 30
    assert "expires_at" not in raw_item(":1:forever")
    time.sleep(1.2)
    assert caches["brief"].get("brief") is None
    assert caches["forever"].get("forever") == 1


def test_an_expired_entry_is_a_miss_while_its_item_is_still_stored(cache):
    """Expiry is checked on read: TTL removes items late (AWS) or never (dynalite)."""
    for key in ("expire1", "expire2", "expire3"):
        cache.set(key, "very quickly", SHORT)
    time.sleep(PAST_SHORT)
    assert raw_item(":1:expire1") is not None
    assert cache.get("expire1") is None
    assert cache.get("expire1", "default") == "default"
    assert cache.has_key("expire3") is False
    assert caches["eventual"].get("expire2") is None


def test_touch_gives_a_live_entry_a_new_timeout(cache):
    cache.set("expire1", "very quickly", timeout=SHORT)
    assert cache.touch("expire1", timeout=SHORT + 1.5) is True
    time.sleep(PAST_SHORT)
    assert cache.has_key("expire1") is True
    time.sleep(1.5)
    assert cache.has_key("expire1") is False
    assert cache.touch("expire1") is False  # expired: nothing to touch
    assert cache.touch("nonexistent") is False


def test_touch_without_a_timeout_uses_the_default(cache):
    cache.set("expire1", "very quickly", timeout=SHORT)
    assert cache.touch("expire1") is True
    time.sleep(PAST_SHORT)
    assert cache.get("expire1") == "very quickly"


@pytest.mark.needs_ttl
def test_the_table_has_dynamodb_ttl_on_the_expiry_attribute(cache):
    description = client.call("describe_time_to_live", TableName=schema_for(CacheEntry).table_name)[
        "TimeToLiveDescription"
    ]
    assert description["AttributeName"] == "expires_at"
    assert description["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    cache.set("key", "value", 60)
    assert float(raw_item(":1:key")["expires_at"]["N"]) > time.time() + 50


# Keys.

OPERATIONS = [
    ("add", lambda key: [key, 1]),
    ("get", lambda key: [key]),
    ("set", lambda key: [key, 1]),
    ("incr", lambda key: [key]),
    ("decr", lambda key: [key]),
    ("touch", lambda key: [key]),
    ("delete", lambda key: [key]),
    ("has_key", lambda key: [key]),
    ("get_many", lambda key: [["b", key]]),
    ("set_many", lambda key: [{"b": 2, key: 1}]),
    ("delete_many", lambda key: [["b", key]]),
    ("get_or_set", lambda key: [key, 1]),
]


@pytest.mark.filterwarnings("ignore::django.core.cache.CacheKeyWarning")
@pytest.mark.parametrize("operation, arguments", OPERATIONS, ids=[op for op, _ in OPERATIONS])
def test_a_key_over_2048_bytes_is_refused_before_any_request(
    cache, requests_sent, operation, arguments
):
    key = "é" * 1023  # ":1:" + 2046 bytes
    with pytest.raises(InvalidCacheKey, match="2049 bytes"):
        getattr(cache, operation)(*arguments(key))
    assert requests_sent == []


@pytest.mark.filterwarnings("ignore::django.core.cache.CacheKeyWarning")
def test_a_key_of_2048_bytes_is_stored(cache):
    key = "a" * 2045  # ":1:" + 2045 bytes
    cache.set(key, "longest")
    assert cache.get(key) == "longest"
    assert cache.incr_version(key) == 2 and cache.get(key, version=2) == "longest"


def test_a_key_that_is_not_valid_text_is_refused(cache):
    with pytest.raises(InvalidCacheKey, match="not text"):
        cache.set("\ud800", 1)
    cache.key_func = lambda key, prefix, version: 42
    with pytest.raises(InvalidCacheKey, match="not text"):
        cache.get("answer")


@pytest.mark.parametrize(
    "key, warning",
    [
        ("key with spaces and 清", "characters that will cause errors if used with memcached"),
        ("a" * 251, "longer than 250"),
    ],
    ids=["characters", "length"],
)
@pytest.mark.parametrize("operation, arguments", OPERATIONS, ids=[op for op, _ in OPERATIONS])
def test_keys_memcached_would_refuse_warn_as_django_warns(
    cache, operation, arguments, key, warning
):
    cache.key_func = lambda key, *args: key
    with pytest.warns(CacheKeyWarning):
        cache.set(key, 1)
    with pytest.warns(CacheKeyWarning, match=warning):
        getattr(cache, operation)(*arguments(key))


# Versions.


def test_versions_separate_get_set_add_and_has_key(cache):
    v2 = caches["v2"]
    cache.set("answer1", 42)
    assert (cache.get("answer1", version=1), cache.get("answer1", version=2)) == (42, None)
    assert (v2.get("answer1"), v2.get("answer1", version=1)) == (None, 42)
    v2.set("answer2", 37)
    assert (cache.get("answer2"), cache.get("answer2", version=2)) == (None, 37)
    assert cache.add("answer3", 42, version=2) is True
    assert cache.add("answer3", 37, version=2) is False
    assert cache.add("answer3", 37, version=1) is True
    assert (cache.get("answer3"), v2.get("answer3")) == (37, 42)
    assert cache.has_key("answer1", version=1) and not cache.has_key("answer1", version=2)
    assert v2.has_key("answer1", version=1) and not v2.has_key("answer1")


def test_versions_separate_delete_incr_and_decr(cache):
    v2 = caches["v2"]
    cache.set("answer", 37, version=1)
    cache.set("answer", 42, version=2)
    assert cache.incr("answer") == 38 and v2.incr("answer") == 43
    assert cache.decr("answer", version=2) == 42 and v2.decr("answer", version=1) == 37
    assert (cache.get("answer"), v2.get("answer")) == (37, 42)
    assert v2.delete("answer") is True
    assert (cache.get("answer"), v2.get("answer")) == (37, None)
    assert cache.delete("answer", version=1) is True
    assert cache.get("answer") is None


def test_versions_separate_get_many_and_set_many(cache):
    v2 = caches["v2"]
    cache.set_many({"ford1": 37, "arthur1": 42})
    v2.set_many({"ford2": 37, "arthur2": 42})
    v2.set_many({"ford3": 1}, version=1)
    assert cache.get_many(["ford1", "arthur1", "ford2", "ford3"]) == {
        "ford1": 37,
        "arthur1": 42,
        "ford3": 1,
    }
    assert v2.get_many(["ford1", "arthur1", "ford2", "arthur2"]) == {"ford2": 37, "arthur2": 42}
    assert cache.get_many(["ford2", "arthur2"], version=2) == {"ford2": 37, "arthur2": 42}
    cache.delete_many(["ford2"], version=2)
    assert v2.get_many(["ford2", "arthur2"]) == {"arthur2": 42}


def test_incr_version_and_decr_version_move_a_value(cache):
    cache.set("answer", 42, version=2)
    assert cache.incr_version("answer", version=2) == 3
    assert (cache.get("answer", version=2), cache.get("answer", version=3)) == (None, 42)
    assert caches["v2"].decr_version("answer", version=3) == 2
    assert (caches["v2"].get("answer"), cache.get("answer", version=3)) == (42, None)
    with pytest.raises(ValueError):
        cache.incr_version("does_not_exist")
    cache.set("null", None)
    assert cache.incr_version("null") == 2 and cache.has_key("null", version=2)


# get_or_set.


def test_get_or_set_stores_the_default_once(cache):
    assert cache.get_or_set("projector", 42) == 42
    assert cache.get_or_set("projector", 43) == 42
    assert cache.get_or_set("null", None) is None
    assert cache.get("null", "default") is None  # None was stored
    assert cache.get_or_set("mykey", lambda: "value") == "value"
    assert cache.get_or_set("mykey", lambda: "other") == "value"
    assert cache.get_or_set("brian", 1979, version=2) == 1979
    assert cache.get("brian", version=1) is None
    with pytest.raises(TypeError, match="default"):
        cache.get_or_set("brian")


def test_get_or_set_returns_the_value_a_racing_writer_added_first(cache):
    def compute():
        caches["prefix"].set("key", "never")  # another cache: not our key
        caches["v2"].add("key", "theirs", version=1)  # another writer wins the add
        return "ours"

    assert cache.get_or_set("key", compute) == "theirs"
    assert cache.get("key") == "theirs"


# Django integration: async API, middleware, sessions, options.


def test_the_async_api_reaches_the_same_entries(cache):
    async def scenario():
        await cache.aset("key", "value")
        assert await cache.aadd("key", "other") is False
        await cache.aset_many({"a": 1, "b": 2})
        assert await cache.aincr("a", 10) == 11
        found = await cache.aget_many(["key", "a", "b"])
        await cache.adelete("b")
        return found, await cache.ahas_key("b")

    found, has_b = async_to_sync(scenario)()
    assert found == {"key": "value", "a": 11, "b": 2} and has_b is False
    assert cache.get("a") == 11
    assert asyncio.run(cache.aget_or_set("c", 3)) == 3 and cache.get("c") == 3


def test_the_cache_middleware_stores_and_serves_a_response_with_cookies(settings):
    settings.CACHE_MIDDLEWARE_ALIAS = "default"
    request = RequestFactory().get("/cache/test")
    request._cache_update_cache = True
    assert FetchFromCacheMiddleware(lambda r: HttpResponse()).process_request(request) is None

    def view(_request):
        response = HttpResponse("Testing cookie serialization.")
        response.set_cookie("foo", "bar")
        return response

    response = UpdateCacheMiddleware(view)(request)
    cached = FetchFromCacheMiddleware(view).process_request(request)
    assert cached is not None and cached.content == b"Testing cookie serialization."
    assert cached.cookies == response.cookies


def test_sessions_in_the_cache_are_stored_in_dynamodb(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    session = SessionStore()
    session["user"] = 42
    session.save()
    assert any(key.startswith(":1:django.contrib.sessions.cache") for key in stored_keys())
    caches["default"].close()
    assert SessionStore(session_key=session.session_key)["user"] == 42
    session.delete()
    assert SessionStore(session_key=session.session_key).get("user") is None


def test_reads_are_consistent_unless_the_options_say_otherwise(requests_sent):
    caches["default"].get("key")
    caches["eventual"].get("key")
    caches["eventual"].get_many(["key"])
    caches["default"].get_many(["key"])
    table = schema_for(CacheEntry).table_name

    def consistent(params):
        return params.get(
            "ConsistentRead", params.get("RequestItems", {}).get(table, {}).get("ConsistentRead")
        )

    assert [consistent(params) for _op, params in requests_sent] == [True, False, False, True]


@pytest.mark.parametrize(
    "location, options, message",
    [("", {"MAX_ENTRY": 3}, "no OPTIONS .'MAX_ENTRY'."), ("my_table", {}, "no LOCATION")],
)
def test_a_misconfigured_cache_is_refused(location, options, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        DynamoDBCache(location, {"OPTIONS": options})


def test_culling_options_are_accepted_and_nothing_is_culled():
    cull = DynamoDBCache("", {"OPTIONS": {"MAX_ENTRIES": 3, "CULL_FREQUENCY": 0}})
    cull.set_many({f"cull{n}": n for n in range(10)})
    assert len(cull.get_many([f"cull{n}" for n in range(10)])) == 10


def test_close_is_harmless(cache):
    cache.set("key", 1)
    cache.close()
    assert cache.get("key") == 1


# Two processes: counters and throttles shared through DynamoDB.

# Read first: tests.settings drops every DYNAMODB_* variable (tests/environment.py).
OTHER_PROCESS = """
import os, sys

endpoint, prefix = os.environ["DYNAMODB_ENDPOINT_URL"], os.environ["DYNAMODB_TABLE_PREFIX"]
from django.conf import settings

settings.DYNAMODB_ENDPOINT_URL = endpoint
settings.DYNAMODB_TABLE_PREFIX = prefix
settings.CACHES = {"default": {"BACKEND": "dynamodb.cache.DynamoDBCache"}}
settings.REST_FRAMEWORK = {
    **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None}
}
import django

django.setup()
from django.core.cache import cache
"""


def other_process(code):
    """A Python process of its own running ``code`` on the same table, line by line."""
    return subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS + code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": os.pathsep.join(["src", "."]),
            "DYNAMODB_ENDPOINT_URL": conf.ENDPOINT_URL,
            "DYNAMODB_TABLE_PREFIX": conf.TABLE_PREFIX,
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process):
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out.split()


def test_two_processes_share_counters_both_ways(cache):
    cache.set("counter", 0)
    cache.incr("counter", 5)
    process = other_process("""
print(cache.get("counter"), flush=True)  # what the test process counted
for _ in range(20):
    cache.incr("counter")
print(cache.add("mine", 100), cache.add("mine", 0), flush=True)
sys.stdin.readline()  # the test process counts
print(cache.get("counter"), cache.get("mine"), flush=True)
""")
    assert process.stdout.readline().split() == ["5"]
    assert process.stdout.readline().split() == ["True", "False"]
    assert cache.get("counter") == 25  # the other process's increments
    assert cache.incr("mine") == 101  # its value, counted here
    assert cache.decr("counter", 3) == 22
    process.stdin.write("go\n")
    process.stdin.flush()
    assert finish(process) == ["22", "101"]


def test_a_throttle_counted_in_one_process_holds_in_the_other(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None},
    }
    assert api_settings.DEFAULT_THROTTLE_RATES["anon"] == "3/minute"
    throttle_code = """
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from project.throttling import AnonThrottle

def allowed():
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()
    return AnonThrottle().allow_request(request, None)
"""
    first = other_process(throttle_code + "print(allowed(), allowed())")
    assert finish(first) == ["True", "True"]

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()
    assert AnonThrottle().allow_request(request, None) is True  # the third of 3
    assert AnonThrottle().allow_request(request, None) is False
    other_address = RequestFactory().get("/", REMOTE_ADDR="203.0.113.10")
    other_address.user = AnonymousUser()
    assert AnonThrottle().allow_request(other_address, None) is True

    second = other_process(throttle_code + "print(allowed())")
    assert finish(second) == ["False"]
