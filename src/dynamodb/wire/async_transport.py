"""The async transport: the lean transport's hot operations, sent by aiohttp in the event loop.

Everything but the send is the lean transport's own (``LeanClient``): the
client-level events, the request body, SigV4 signing with the client's
refreshable credentials, botocore's retry handler deciding each retry and its
delay (the "standard" mode's retryable errors, backoff and quota), the
parsing, and the ClientError botocore raises. Only the HTTP exchange and the
wait between attempts are awaited here instead of blocking, so a request
holds no thread while DynamoDB answers.

aiohttp was chosen by measurement (``bench/async_transport.py``): its
C-accelerated HTTP parser costs a third of httpx's client CPU per GetItem,
and about what the sync transport's urllib3 costs. aiobotocore would reuse
botocore whole, but it pins a botocore range that excludes the project's.

One connection pool (an aiohttp session) per event loop: created on first
use, closed when the loop shuts down (``asyncio.run``, uvicorn).
"""

import asyncio
import ssl

import aiohttp
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)

from ._botocore_private import AWSResponse, get_cert_path

# Connections per event loop: enough for a loop serving many requests at once.
POOL_SIZE = 100


class _Body:
    """The read body, as botocore's ``AWSResponse`` reads a raw response (``stream()``)."""

    __slots__ = ("body",)

    def __init__(self, body):
        self.body = body

    def stream(self):
        return iter((self.body,))


class AsyncLeanClient:
    """The hot operations of a ``LeanClient``, as coroutines sending through aiohttp.

    Built per event loop; its session (the loop's connection pool) is opened
    on first use.
    """

    def __init__(self, lean, verify=True):
        self._lean = lean
        self._verify = verify
        self._session = None
        self._closer = None  # what closes the session when the loop shuts down

    async def get_item(self, **params):
        return await self._call("GetItem", params)

    async def put_item(self, **params):
        return await self._call("PutItem", params)

    async def update_item(self, **params):
        return await self._call("UpdateItem", params)

    async def delete_item(self, **params):
        return await self._call("DeleteItem", params)

    async def query(self, **params):
        return await self._call("Query", params)

    async def scan(self, **params):
        return await self._call("Scan", params)

    async def batch_get_item(self, **params):
        return await self._call("BatchGetItem", params)

    async def batch_write_item(self, **params):
        return await self._call("BatchWriteItem", params)

    async def transact_write_items(self, **params):
        return await self._call("TransactWriteItems", params)

    async def transact_get_items(self, **params):
        return await self._call("TransactGetItems", params)

    async def _call(self, name, params):
        """``LeanClient._call``, awaiting the send."""
        lean = self._lean
        operation, request, context, stubbed = lean._prepare(name, params)
        if stubbed is not None:
            http, parsed = stubbed
        else:
            try:
                http, parsed = await self._send(operation, request)
            except Exception as error:
                lean._events.emit(operation.after_call_error, exception=error, context=context)
                raise
        return lean._finish(operation, context, http, parsed)

    async def _send(self, operation, request):
        """``LeanClient._send``, awaiting each attempt and each delay."""
        lean = self._lean
        attempts = 1
        while True:
            response, error = await self._attempt(request)
            delay = lean._retry_delay(operation, request, response, error, attempts)
            if delay is None:
                break
            await asyncio.sleep(delay)
            attempts += 1
        return lean._outcome(response, error, attempts)

    async def _attempt(self, request):
        """One signed POST: ((http_response, parsed), None), or (None, botocore's exception)."""
        lean = self._lean
        url = lean._url
        signed = lean._signed(request)
        try:
            async with self.session().post(
                url, data=request["body"], headers=signed.headers
            ) as raw:
                body = await raw.read()
                status, headers = raw.status, raw.headers
        except aiohttp.ClientSSLError as error:
            return None, SSLError(endpoint_url=url, error=error)
        except aiohttp.ConnectionTimeoutError as error:
            return None, ConnectTimeoutError(endpoint_url=url, error=error)
        except aiohttp.ClientConnectorError as error:
            return None, EndpointConnectionError(endpoint_url=url, error=error)
        except (aiohttp.SocketTimeoutError, TimeoutError) as error:
            return None, ReadTimeoutError(endpoint_url=url, error=error)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as error:
            return None, ConnectionClosedError(error=error, request=signed, endpoint_url=url)
        except (aiohttp.ClientError, OSError) as error:
            return None, HTTPClientError(error=error)
        http = AWSResponse(url, status, headers, _Body(body))
        return (http, lean._parse(status, http.headers, body)), None

    def session(self):
        """This loop's aiohttp session: the client's timeouts, pool and CA bundle."""
        if self._session is None or self._session.closed:
            config = self._lean._config
            context = None
            if self._lean._url.startswith("https:"):
                context = ssl.create_default_context(cafile=get_cert_path(self._verify))
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_SIZE, ssl=context),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    sock_connect=config.connect_timeout,
                    sock_read=config.read_timeout,
                ),
                # Only the signed headers (aiohttp would add Accept-Encoding, whose
                # compressed answers DynamoDB's CRC32 does not describe).
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                auto_decompress=False,
            )
            self._closer = closed_at_shutdown(self._session)
        return self._session


def closed_at_shutdown(session):
    """Close ``session`` when its event loop shuts down; keep what this returns.

    A started async generator is finalized by ``loop.shutdown_asyncgens()``
    (``asyncio.run`` and uvicorn call it): its ``finally`` closes the session.
    The loop holds its async generators weakly: the caller keeps this one.
    """

    async def guard():
        try:
            yield
        finally:
            await session.close()

    keeper = guard()
    asyncio.get_running_loop().create_task(keeper.__anext__())
    return keeper
