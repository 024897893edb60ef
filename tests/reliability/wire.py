"""Faults injected on the wire of this process, below botocore's retry handler.

``Wire`` replaces urllib3's ``HTTPConnectionPool.urlopen``, which both
transports send through (botocore's ``URLLib3Session.send`` and the lean
transport's pool), so botocore's retries, backoff and error parsing run on
the injected answers exactly as on the engine's. (botocore's ``Stubber``
answers above the retry handler: a stubbed throttle is never retried.)

    wire.answer("PutItem", throttled, times=2)     # the next 2 PutItems get this answer
    wire.lose("PutItem", b"Booking")               # the next such PutItem's answer is lost
    wire.rewrite("BatchWriteItem", change)         # change(request_json) -> after(response_json)
    wire.sent["PutItem"]                           # requests sent, injected answers included
"""

import io
import json
import zlib
from collections import Counter

import urllib3

THROTTLED = "ProvisionedThroughputExceededException"


def json_response(status, body):
    raw = json.dumps(body).encode()
    return urllib3.HTTPResponse(
        body=io.BytesIO(raw),
        status=status,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            # DynamoDB's checksum of the body, which botocore verifies.
            "x-amz-crc32": str(zlib.crc32(raw)),
        },
        preload_content=False,
    )


def throttled():
    """DynamoDB's answer to a request over the table's capacity."""
    return json_response(
        400,
        {
            "__type": f"com.amazonaws.dynamodb.v20120810#{THROTTLED}",
            "message": "The level of configured provisioned throughput for the table was exceeded.",
        },
    )


class Wire:
    def __init__(self, monkeypatch):
        self.sent = Counter()
        self._answers = []  # [operation, answer factory, times left]
        self._rewrites = {}  # operation: change(request) -> after(response) or None
        self._lost = []  # [operation, bytes in the request, answers still to lose]
        real = urllib3.HTTPConnectionPool.urlopen

        def urlopen(pool, method, url, body=None, headers=None, **kwargs):
            headers = {
                name: value.decode() if isinstance(value, bytes) else value
                for name, value in (headers or {}).items()
            }
            operation = headers.get("X-Amz-Target", "").rpartition(".")[2]
            self.sent[operation] += 1
            for entry in self._answers:
                if entry[0] == operation and entry[2] > 0:
                    entry[2] -= 1
                    return entry[1]()
            for entry in self._lost:
                if entry[0] == operation and entry[1] in body and entry[2] > 0:
                    entry[2] -= 1
                    real(pool, method, url, body=body, headers=headers, **kwargs).read()
                    raise urllib3.exceptions.ReadTimeoutError(pool, url, "Read timed out.")
            change = self._rewrites.get(operation)
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
            if after is None:
                return response
            answer = json.loads(response.read() or b"{}")
            after(answer)
            return json_response(response.status, answer)

        monkeypatch.setattr(urllib3.HTTPConnectionPool, "urlopen", urlopen)

    def answer(self, operation, factory, times=1):
        """The next ``times`` requests of ``operation`` get ``factory()``, not the engine's."""
        self._answers.append([operation, factory, times])

    def lose(self, operation, containing=b"", times=1):
        """The next ``times`` requests of ``operation`` (whose body holds ``containing``)
        reach the engine; their answers do not."""
        self._lost.append([operation, containing, times])

    def rewrite(self, operation, change):
        """Every request of ``operation``: ``change(request)`` edits its JSON before it is sent,
        and returns None, or ``after(answer)`` (edits the engine's JSON answer), or the
        answer itself (a urllib3 response: the request is not sent)."""
        self._rewrites[operation] = change
