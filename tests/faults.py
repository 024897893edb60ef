"""Faults injected at the HTTP layer of this process: the suite's one fault injector.

``Faults`` (the ``faults`` fixture of tests/conftest.py) replaces urllib3's
``HTTPConnectionPool.urlopen``, which both sync transports send through:
botocore's ``URLLib3Session`` (the 'boto3' transport, and every operation the
lean one leaves to botocore) and the lean transport's own pool
(``wire/transport.py``); and aiohttp's ``ClientSession._request``, which the
async transport sends through (``wire/async_transport.py``). botocore's retry
handler, its backoff, the CRC32 check and the error parsing then run on an
injected answer exactly as on the engine's. (botocore's ``Stubber`` answers
above the retry handler: a stubbed throttle is never retried, a path a real
throttle never takes.) An exception given to ``answer`` is raised as it is:
aiohttp's for the async transport, urllib3's for the others.

    faults.throttle("PutItem", times=2)          # the next 2 PutItems: DynamoDB's throttling
    faults.error("GetItem", "InternalServerError", status=500)
    faults.answer("GetItem", response)           # a urllib3 response, or an exception raised
    faults.hold_back("BatchWriteItem", select)   # entries taken out and answered unprocessed
    faults.lose("PutItem", b"Booking")           # reaches the engine; its answer is lost
    faults.rewrite("BatchWriteItem", change)     # edit a request, and the engine's answer
    faults.count("PutItem"), faults.sent         # every request, injected answers included

``containing`` (bytes) narrows a fault to the requests whose body holds it
(a table name, an id). Faults of one operation apply in the order given.

An engine that is down or slow is real rather than injected: the engine's
process stopped (tests/api/test_faults.py, tests/reliability/test_engine_down.py),
a socket that never answers (tests/storage/test_transport.py), or, for the
service under gunicorn, ``tests/reliability/proxy.py`` holding answers back.
"""

import io
import json
import threading
import zlib
from collections import defaultdict
from typing import NamedTuple

import aiohttp
import urllib3

THROTTLED = "ProvisionedThroughputExceededException"
UNPROCESSED = {"BatchWriteItem": "UnprocessedItems", "BatchGetItem": "UnprocessedKeys"}


class Sent(NamedTuple):
    """A request as it was sent (before any rewrite): its operation, headers and body."""

    operation: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def json_response(status, body, headers=None, raw=None):
    """An answer as DynamoDB sends one: JSON with its CRC32 (``headers`` may override it)."""
    raw = json.dumps(body).encode() if raw is None else raw
    return urllib3.HTTPResponse(
        body=io.BytesIO(raw),
        status=status,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            # DynamoDB's checksum of the body, which botocore verifies.
            "x-amz-crc32": str(zlib.crc32(raw)),
            **(headers or {}),
        },
        preload_content=False,
    )


def error_response(code, status=400, message=None):
    """DynamoDB's answer for the error ``code``."""
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message or code}
    return json_response(status, body)


def throttled():
    """DynamoDB's answer to a request over the table's capacity."""
    return error_response(
        THROTTLED,
        message="The level of configured provisioned throughput for the table was exceeded.",
    )


class _Fault:
    """A fault for the next ``times`` requests of ``operation`` whose body holds ``containing``."""

    def __init__(self, operation, containing, times, act):
        self.operation = operation
        self.containing = containing
        self.left = times
        self.act = act

    def take(self, operation, body):
        if self.left > 0 and operation == self.operation and self.containing in body:
            self.left -= 1
            return True
        return False


def _producer(answer, times):
    if isinstance(answer, BaseException):

        def produce():
            raise answer

        return produce
    if isinstance(answer, urllib3.HTTPResponse):
        if times != 1:
            raise ValueError("a response is read once: give a function making one per request")
        return lambda: answer
    return answer


class Faults:
    """Answers in the engine's place, and changes to what it is sent or answers."""

    def __init__(self, monkeypatch):
        self.sent = []  # Sent of every request, answered by the engine or not
        self.held = defaultdict(list)  # operation: {table: entries} held back, per request
        self._lock = threading.Lock()
        self._answers = []
        self._lost = []
        self._rewrites = {}
        real = urllib3.HTTPConnectionPool.urlopen

        def urlopen(pool, method, url, body=None, headers=None, **kwargs):
            return self._urlopen(real, pool, method, url, body, headers, kwargs)

        monkeypatch.setattr(urllib3.HTTPConnectionPool, "urlopen", urlopen)
        real_request = aiohttp.ClientSession._request

        async def request(session, method, url, **kwargs):
            return await self._request(real_request, session, method, url, kwargs)

        monkeypatch.setattr(aiohttp.ClientSession, "_request", request)

    # What to inject

    def answer(self, operation, answer, times=1, containing=b""):
        """The next ``times`` requests of ``operation`` get ``answer``, not the engine's.

        ``answer``: a urllib3 response (``times`` 1), an exception to raise (a
        connection error, a timeout), or a function making either.
        """
        act = _producer(answer, times)
        with self._lock:
            self._answers.append(_Fault(operation, containing, times, act))

    def error(self, operation, code, status=400, times=1, containing=b""):
        """The next ``times`` requests of ``operation`` fail with DynamoDB's error ``code``."""
        self.answer(operation, lambda: error_response(code, status), times, containing)

    def throttle(self, operation, times=1, containing=b""):
        """The next ``times`` requests of ``operation`` are throttled, as DynamoDB throttles."""
        self.answer(operation, throttled, times, containing)

    def lose(self, operation, containing=b"", times=1):
        """The next ``times`` requests of ``operation`` reach the engine; their answers do not
        (urllib3 raises a read timeout once the engine has answered)."""
        with self._lock:
            self._lost.append(_Fault(operation, containing, times, None))

    def rewrite(self, operation, change):
        """Every request of ``operation``: ``change(request)`` edits its JSON before it is sent,
        and returns None, or ``after(answer)`` (edits the engine's JSON answer), or the
        answer itself (a urllib3 response: the request is not sent)."""
        with self._lock:
            self._rewrites[operation] = change

    def hold_back(self, operation, select):
        """BatchWriteItem or BatchGetItem: DynamoDB leaves part of each request unprocessed.

        ``select(entries)`` gets a table's write requests (or keys) as sent and
        returns those to hold back: they are taken out of the request before it
        reaches the engine and reported back unprocessed (``UnprocessedItems`` /
        ``UnprocessedKeys``), so that the engine's state shows what was written.
        A request held back whole is answered without the engine (which refuses
        an empty request). ``faults.held[operation]`` lists what each request had held.
        """
        writes = operation == "BatchWriteItem"

        def change(request):
            held, kept = {}, {}
            for table, requested in request["RequestItems"].items():
                entries = requested if writes else requested["Keys"]
                chosen = list(select(entries) or [])
                rest = [entry for entry in entries if entry not in chosen]
                if chosen:
                    held[table] = chosen if writes else {**requested, "Keys": chosen}
                if rest:
                    kept[table] = rest if writes else {**requested, "Keys": rest}
            if held:
                with self._lock:
                    self.held[operation].append(
                        {t: v if writes else v["Keys"] for t, v in held.items()}
                    )
            if not kept:
                return json_response(200, {UNPROCESSED[operation]: held})
            request["RequestItems"] = kept

            def after(answer):
                if held:
                    answer.setdefault(UNPROCESSED[operation], {}).update(held)

            return after

        self.rewrite(operation, change)

    # What was sent

    def count(self, operation, containing=b""):
        """How many requests of ``operation`` were sent (injected answers included)."""
        return sum(
            1
            for sent in self.sent
            if sent.operation == operation and containing in (sent.body or b"")
        )

    def requests(self, operation):
        """The JSON of every request of ``operation``, as sent before any rewrite."""
        return [sent.json() for sent in self.sent if sent.operation == operation]

    # The HTTP layer

    def _route(self, headers, body):
        """Record a request; (the injected answer or None, whether its answer is lost, its rewrite).

        An injected exception is raised here, as the transport would raise it.
        """
        operation = headers.get("X-Amz-Target", "").rpartition(".")[2]
        content = body if isinstance(body, bytes) else b""
        with self._lock:
            self.sent.append(Sent(operation, headers, body))
            answer = next((f for f in self._answers if f.take(operation, content)), None)
            lost = answer is None and any(f.take(operation, content) for f in self._lost)
            change = self._rewrites.get(operation)
        made = None if answer is None else answer.act()
        if isinstance(made, BaseException):
            raise made
        return made, lost, change

    def _urlopen(self, real, pool, method, url, body, headers, kwargs):
        headers = {  # botocore may give bytes values
            name: value.decode() if isinstance(value, bytes) else value
            for name, value in (headers or {}).items()
        }
        made, lost, change = self._route(headers, body)
        if made is not None:
            return made
        if lost:
            _read(real(pool, method, url, body=body, headers=headers, **kwargs))
            raise urllib3.exceptions.ReadTimeoutError(pool, url, "Read timed out.")
        if change is None:
            return real(pool, method, url, body=body, headers=headers, **kwargs)
        request = json.loads(body)
        after = change(request)
        if isinstance(after, urllib3.HTTPResponse):
            return after  # answered without the engine
        body = json.dumps(request).encode()
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        headers["Content-Length"] = str(len(body))
        response = real(pool, method, url, body=body, headers=headers, **kwargs)
        if after is None or response.status != 200:
            return response
        answer = json.loads(_read(response) or b"{}")
        after(answer)
        return json_response(response.status, answer)

    async def _request(self, real, session, method, url, kwargs):
        """``_urlopen`` for aiohttp: the same faults, answers as aiohttp responses."""
        body = kwargs.get("data")
        made, lost, change = self._route(dict(kwargs.get("headers") or {}), body)
        if made is not None:
            return _AioResponse.of(made)
        if lost:
            response = await real(session, method, url, **kwargs)
            await response.read()
            response.release()
            raise aiohttp.SocketTimeoutError("Read timed out.")
        if change is None:
            return await real(session, method, url, **kwargs)
        request = json.loads(body)
        after = change(request)
        if isinstance(after, urllib3.HTTPResponse):
            return _AioResponse.of(after)
        kwargs = {**kwargs, "data": json.dumps(request).encode()}
        response = await real(session, method, url, **kwargs)
        if after is None or response.status != 200:
            return response
        answer = json.loads(await response.read() or b"{}")
        response.release()
        after(answer)
        return _AioResponse.of(json_response(response.status, answer))


class _AioResponse:
    """An injected answer as aiohttp's ClientResponse gives it to the async transport."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @classmethod
    def of(cls, response):
        """From a urllib3 response made by this module's helpers."""
        return cls(response.status, dict(response.headers), response.read())

    async def read(self):
        return self.body

    def release(self):
        """Nothing to give back: no connection was used."""

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None


def _read(response):
    """The body of an engine's answer; its connection goes back to the pool."""
    body = response.read()
    response.release_conn()
    return body
