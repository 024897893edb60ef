"""The DynamoDB client: one per process and settings, built once with an explicit botocore Config.

Only the ``wire`` package imports botocore. ``get_client`` returns the boto3
client, or with ``DYNAMODB_TRANSPORT = "lean"`` a ``transport.LeanClient``
around it: the same methods, responses, errors and retries, without
botocore's per-call pipeline for the hot operations. ``send`` runs one
``Request`` (``call`` one operation) and turns every botocore failure into an
error of ``dynamodb.exceptions``, keeping the botocore error as its cause.

``asend``/``acall`` are their coroutines: the hot operations go through the
calling event loop's ``async_transport.AsyncLeanClient`` (real I/O, no
thread); the cold path (table administration, waiters) and the boto3
transport run ``call`` in a thread (``asyncio.to_thread``). Errors are
translated by the same code.
"""

import asyncio
import logging
import os
import threading
import weakref

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
    WaiterError,
)

from .. import exceptions
from ..conf import conf
from .async_transport import AsyncLeanClient
from .transport import LeanClient, uses_proxy

# (settings generation, settings, client) of the current settings; every client built.
_current = None
_clients = {}
_clients_lock = threading.Lock()
# Per event loop: (settings generation, settings, AsyncLeanClient or None for threads).
_loops = weakref.WeakKeyDictionary()
logger = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "LimitExceededException",
    }
)
UNAVAILABLE_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})


def _client_settings():
    return (
        conf.ENDPOINT_URL,
        conf.REGION,
        conf.CONNECT_TIMEOUT,
        conf.READ_TIMEOUT,
        conf.MAX_ATTEMPTS,
        conf.TRANSPORT,
    )


def _build_client(
    endpoint_url, region, connect_timeout, read_timeout, max_attempts, transport="boto3"
):
    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        tcp_keepalive=True,
    )
    # A Session per client: boto3's default session is not thread-safe to create clients from.
    core = botocore.session.Session()
    session = boto3.session.Session(botocore_session=core)
    client = session.client(
        "dynamodb", endpoint_url=endpoint_url, region_name=region, config=config
    )
    if transport != "lean":
        return client
    if uses_proxy(client):
        logger.warning("An HTTP proxy applies to DynamoDB: the lean transport yields to boto3's.")
        return client
    # The CA bundle botocore's own connections verify TLS with.
    verify = core.get_config_variable("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE", True)
    return LeanClient(client, core.get_credentials(), verify)


def get_client():
    """The process's client for the current settings (built on first use).

    One for every thread: botocore's clients are thread-safe, and a thread
    may serve one request only (under ASGI, a request's sync parts, such as
    its authentication and cache reads, run in a thread of their own).
    """
    global _current
    current = _current
    if current is None or current[0] != conf.generation:
        key = _client_settings()
        current = _current = (conf.generation, key, _shared(key))
    return current[2]


def _shared(key):
    """The client built for these settings (each built once per process)."""
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = _build_client(*key)
    return client


def send(request):
    """Send one ``Request`` and return the engine's response."""
    return call(request.operation, **request.params)


def call(operation, **params):
    """Run one DynamoDB operation (``"get_item"``, ``"query"``, ...) and return its response."""
    try:
        return getattr(get_client(), operation)(**params)
    except (ClientError, BotoCoreError) as error:
        raise translated(error) from error


def get_async_client():
    """The running event loop's async client, or None when requests go through threads.

    None with the boto3 transport, or where an HTTP proxy applies (as the
    sync lean transport yields to boto3 there).
    """
    loop = asyncio.get_running_loop()
    cached = _loops.get(loop)
    if cached is None or cached[0] != conf.generation:
        key = _client_settings()
        if cached is None or cached[1] != key:
            lean = _shared(key)
            if isinstance(lean, LeanClient):
                cached = (conf.generation, key, AsyncLeanClient(lean, lean.verify))
            else:  # the boto3 transport, or a proxy: botocore in a thread
                cached = (conf.generation, key, None)
        else:
            cached = (conf.generation, key, cached[2])
        _loops[loop] = cached
    return cached[2]


async def asend(request):
    """Send one ``Request`` from a coroutine and return the engine's response."""
    return await acall(request.operation, **request.params)


async def acall(operation, **params):
    """``call`` as a coroutine: the hot operations without a thread, the rest in one."""
    method = getattr(get_async_client(), operation, None)
    if method is None:
        return await asyncio.to_thread(call, operation, **params)
    try:
        return await method(**params)
    except (ClientError, BotoCoreError) as error:
        raise translated(error) from error


def translated(error):
    """The dynamodb exception for a botocore exception (raised ``from`` it by the caller)."""
    if isinstance(error, ClientError):
        return translate_client_error(error)
    if isinstance(error, NoCredentialsError):
        return exceptions.EngineUnavailable(
            "No AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "a profile or a role (any value works against a local engine)."
        )
    if isinstance(error, ParamValidationError):
        # botocore's own check of the request: the engine's model refuses it.
        return exceptions.EngineRejected(f"botocore refused the request: {error}")
    return exceptions.EngineUnavailable(f"DynamoDB is unreachable: {error}")


def translate_client_error(error):
    """The dynamodb exception matching a botocore ClientError, with the engine's ``code``."""
    code = error.response.get("Error", {}).get("Code", "")
    translated = _translated(error.response, code)
    translated.code = code
    return translated


def _translated(response, code):
    message = response.get("Error", {}).get("Message", "") or code
    if code == "ConditionalCheckFailedException":
        return exceptions.ConditionFailed(
            message,
            item=response.get("Item"),
            retry_attempts=response.get("ResponseMetadata", {}).get("RetryAttempts", 0),
        )
    if code == "TransactionCanceledException":
        return exceptions.TransactionCanceled(
            message,
            reasons=response.get("CancellationReasons"),
            retry_attempts=response.get("ResponseMetadata", {}).get("RetryAttempts", 0),
        )
    if code == "IdempotentParameterMismatchException":
        return exceptions.IdempotentParameterMismatch(message)
    if code == "ResourceNotFoundException":
        return exceptions.TableNotFound(
            f"{message} (create the tables with `manage.py createdynamotables`)"
        )
    if code == "ResourceInUseException":
        return exceptions.TableInUse(message)
    if code in THROTTLING_CODES:
        return exceptions.Throttled(f"DynamoDB throttled the request: {message}")
    if (
        code in UNAVAILABLE_CODES
        or response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    ):
        return exceptions.EngineUnavailable(f"DynamoDB failed: {message}")
    if code == "ValidationException":
        return exceptions.EngineRejected(f"DynamoDB rejected the request: {message}")
    return exceptions.DynamoError(f"{code}: {message}")


def table_waiter_config():
    """WaiterConfig for table_exists/table_not_exists, from the settings."""
    return {"Delay": conf.WAITER_DELAY, "MaxAttempts": conf.WAITER_MAX_ATTEMPTS}


def wait_for(waiter_name, **params):
    """Block on a botocore waiter, translating its failure."""
    try:
        get_client().get_waiter(waiter_name).wait(WaiterConfig=table_waiter_config(), **params)
    except WaiterError as error:
        raise exceptions.EngineUnavailable(f"Waiting for {waiter_name} failed: {error}") from error


def probe(operation, timeout=1.0, **params):
    """Run one operation with a short timeout and no retry (readiness checks)."""
    endpoint_url, region, *_ = _client_settings()
    prober = _shared((endpoint_url, region, timeout, timeout, 1, "boto3"))
    try:
        return getattr(prober, operation)(**params)
    except (ClientError, BotoCoreError) as error:
        raise translated(error) from error
