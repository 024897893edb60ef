"""A lean transport for DynamoDB's hot operations, built around a botocore client.

Most of the client CPU boto3 spends on a GetItem goes to its per-call
pipeline (validating the parameters against the service model,
shape-directed serialization and parsing, preparing the request, a dozen
event hooks): the same request signed by botocore, sent with urllib3 and
parsed with ``json`` takes about half of it (``bench/transport_floor.py``,
``bench/transport.py``). ``LeanClient`` keeps botocore for what it is good
at and replaces that pipeline for the hot operations (GetItem, PutItem,
UpdateItem, DeleteItem, Query, Scan, BatchGetItem, BatchWriteItem and the
transactions): the
body is ``json`` of the parameters, posted to the client's endpoint through
a urllib3 pool, and the response is ``json`` of the body.

Kept from the wrapped botocore client, so they behave exactly as on boto3:

- credentials: the client's refreshable credentials, frozen once per attempt;
- signing: botocore's ``SigV4Auth`` with the client's region and signing
  name, on a lighter request (``signing.py``);
- the endpoint, region and timeouts of the client (its ``Config``);
- retries: botocore's own retry handler decides through the ``needs-retry``
  event, so the "standard" mode's retryable errors (throttling codes, 5xx,
  connection errors and timeouts, DynamoDB's CRC32 mismatch), its backoff with
  full jitter, its retry quota and ``total_max_attempts`` are the client's;
- errors: the ``ClientError`` subclass of ``client.exceptions`` with the same
  ``response`` dict (``Error``, ``ResponseMetadata``, modeled fields such as
  the ``Item`` of a ConditionalCheckFailedException), and botocore's
  ``EndpointConnectionError``, ``ConnectTimeoutError``, ``ReadTimeoutError``...
  for the same urllib3 failures;
- hooks: the client-level events (``provide-client-params``,
  ``before-parameter-build``, ``before-call``, ``after-call``,
  ``after-call-error``) are emitted on ``client.meta.events``, so botocore's
  ``Stubber`` and handlers recording requests work on this client too.

Differences, all outside what the Connector relies on:

- parameters are not validated against the service model: the engine refuses
  a malformed request (a ClientError) where botocore would raise
  ParamValidationError; a value ``json`` cannot encode (a set, a Decimal)
  still raises ParamValidationError;
- binary values (B, BS) are bytes both ways, as boto3's TypeSerializer and
  botocore produce them; a ``str`` given for a binary is sent as it is;
- a response keeps every member the engine sent (botocore drops unmodeled ones);
- no HTTP proxy (``client.get_client`` keeps botocore when one applies), and
  the events of the replaced pipeline (``request-created``, ``before-send``,
  ``before-parse``...) are not emitted.

Every other attribute (``create_table``, ``describe_table``, ``get_waiter``,
``get_paginator``, ``meta``, ``exceptions``...) is the wrapped client's.
"""

import base64
import json
import re
import socket
import time
from http.client import responses as HTTP_REASONS
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import botocore
import urllib3
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.connection import HTTPConnection
from urllib3.exceptions import ConnectTimeoutError as URLLib3ConnectTimeoutError
from urllib3.exceptions import NewConnectionError, ProtocolError
from urllib3.exceptions import ReadTimeoutError as URLLib3ReadTimeoutError
from urllib3.exceptions import SSLError as URLLib3SSLError

from ._botocore_private import (
    AWSResponse,
    ProxyConfiguration,
    first_non_none_response,
    get_cert_path,
    get_environ_proxies,
)
from .signing import LeanSigV4Auth, SigningRequest

OPERATIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
)
USER_AGENT = f"django-dynamo-connector/lean Botocore/{botocore.__version__}"
# A binary attribute value is the only JSON object of these responses with a
# single member "B" (a string) or "BS" (a list): items and maps hold attribute
# values (objects) under their names, expression placeholders start with "#",
# and no other structure has such a member. Bodies without the text skip the hook.
_MAYBE_BINARY = re.compile(rb'"BS?"\s*:')


def _decode_binary(obj):
    if len(obj) == 1:
        value = obj.get("B")
        if isinstance(value, str):
            return {"B": base64.b64decode(value)}
        values = obj.get("BS")
        if isinstance(values, list):
            return {"BS": [base64.b64decode(value) for value in values]}
    return obj


def _encode_binary(value):
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not a DynamoDB JSON value: {value!r}")


_encoder = json.JSONEncoder(default=_encode_binary, separators=(",", ":"), allow_nan=False)
_binary_decoder = json.JSONDecoder(object_hook=_decode_binary)


def _load(body):
    """A response body as botocore reads it: {} when empty, the text as message when not JSON."""
    if not body:
        return {}
    try:
        if _MAYBE_BINARY.search(body):
            return _binary_decoder.decode(body.decode("utf-8"))
        return json.loads(body)
    except ValueError:
        return {"message": body.decode("utf-8", "replace")}


def uses_proxy(client):
    """Whether botocore sends this client's requests through an HTTP proxy (LeanClient cannot)."""
    endpoint = client.meta.endpoint_url
    proxies = client.meta.config.proxies or get_environ_proxies(endpoint)
    return ProxyConfiguration(proxies=proxies).proxy_url_for(endpoint) is not None


class _Operation(NamedTuple):
    """What one operation needs per call, computed once: its model, header and event names."""

    name: str
    model: object
    target: str
    provide_params: str
    before_build: str
    before_call: str
    needs_retry: str
    after_call: str
    after_call_error: str


class LeanClient:
    """The hot DynamoDB operations of ``client``, sent without botocore's per-call pipeline.

    ``credentials`` are the client's (its session's ``get_credentials()``:
    refreshable ones refresh); ``verify`` is botocore's: True for its CA
    bundle, or the path of another (``AWS_CA_BUNDLE``).
    """

    def __init__(self, client, credentials, verify=True):
        self._client = client
        self.meta = client.meta
        self.verify = verify
        self._credentials = credentials
        self._events = client.meta.events
        service = client.meta.service_model
        self._signing_name = service.signing_name
        self._region = client.meta.region_name
        self._config = client.meta.config
        event_service = service.service_id.hyphenize()
        self._operations = {}
        for name in OPERATIONS:
            suffix = f"{event_service}.{name}"
            self._operations[name] = _Operation(
                name,
                service.operation_model(name),
                f"{service.metadata['targetPrefix']}.{name}",
                f"provide-client-params.{suffix}",
                f"before-parameter-build.{suffix}",
                f"before-call.{suffix}",
                f"needs-retry.{suffix}",
                f"after-call.{suffix}",
                f"after-call-error.{suffix}",
            )
        self._content_type = f"application/x-amz-json-{service.metadata['jsonVersion']}"
        parts = urlsplit(client.meta.endpoint_url)
        # Sent and signed as given, which spares SigV4Auth parsing the URL twice per request.
        self._host = parts.netloc.rpartition("@")[2]
        self._path = parts.path or "/"
        self._url = urlunsplit((parts.scheme, parts.netloc, self._path, "", ""))
        self._pool = urllib3.connection_from_url(self._url, **self._pool_options(parts, verify))
        self._signed_with = (None, None)

    def _signer(self, frozen):
        """The signer of these frozen credentials, kept while they last (with its signing key)."""
        credentials, signer = self._signed_with
        if signer is None or credentials != frozen:
            signer = LeanSigV4Auth(frozen, self._signing_name, self._region)
            self._signed_with = (frozen, signer)
        return signer

    def _pool_options(self, parts, verify):
        """The urllib3 pool botocore would use: same timeouts, size, socket options, CA bundle."""
        config = self._config
        socket_options = list(HTTPConnection.default_socket_options)
        if config.tcp_keepalive:
            socket_options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
        options = {
            "maxsize": config.max_pool_connections,
            "timeout": urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout),
            "socket_options": socket_options,
        }
        if parts.scheme == "https":
            options["cert_reqs"] = "CERT_REQUIRED"
            options["ca_certs"] = get_cert_path(verify)
        return options

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get_item(self, **params):
        return self._call("GetItem", params)

    def put_item(self, **params):
        return self._call("PutItem", params)

    def update_item(self, **params):
        return self._call("UpdateItem", params)

    def delete_item(self, **params):
        return self._call("DeleteItem", params)

    def query(self, **params):
        return self._call("Query", params)

    def scan(self, **params):
        return self._call("Scan", params)

    def batch_get_item(self, **params):
        return self._call("BatchGetItem", params)

    def batch_write_item(self, **params):
        return self._call("BatchWriteItem", params)

    def transact_write_items(self, **params):
        return self._call("TransactWriteItems", params)

    def transact_get_items(self, **params):
        return self._call("TransactGetItems", params)

    def _call(self, name, params):
        """One API call, as botocore's ``BaseClient._make_api_call`` runs it, minus the pipeline."""
        operation, request, context, stubbed = self._prepare(name, params)
        if stubbed is not None:
            http, parsed = stubbed
        else:
            try:
                http, parsed = self._send(operation, request)
            except Exception as error:
                self._events.emit(operation.after_call_error, exception=error, context=context)
                raise
        return self._finish(operation, context, http, parsed)

    def _prepare(self, name, params):
        """The operation, its request dict, the call's context, and a stubbed answer or None.

        Emits the client-level events botocore emits before sending.
        """
        operation = self._operations[name]
        events = self._events
        context = {"client_region": self._region, "client_config": self._config}
        responses = events.emit(
            operation.provide_params, params=params, model=operation.model, context=context
        )
        params = first_non_none_response(responses, default=params)
        events.emit(operation.before_build, params=params, model=operation.model, context=context)
        request = {
            "url_path": self._path,
            "query_string": "",
            "method": "POST",
            "headers": {
                "Host": self._host,
                "X-Amz-Target": operation.target,
                "Content-Type": self._content_type,
                "User-Agent": USER_AGENT,
            },
            "body": self._encode(params),
            "url": self._url,
            "context": context,
        }
        _, stubbed = events.emit_until_response(
            operation.before_call,
            model=operation.model,
            params=request,
            request_signer=None,
            context=context,
        )
        return operation, request, context, stubbed

    def _finish(self, operation, context, http, parsed):
        """The parsed response, or the ClientError botocore raises for it (after-call emitted)."""
        self._events.emit(
            operation.after_call,
            http_response=http,
            parsed=parsed,
            model=operation.model,
            context=context,
        )
        if http.status_code >= 300:
            error_class = self._client.exceptions.from_code(parsed.get("Error", {}).get("Code"))
            raise error_class(parsed, operation.name)
        return parsed

    @staticmethod
    def _encode(params):
        try:
            return _encoder.encode(params).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise ParamValidationError(report=str(error)) from error

    def _send(self, operation, request):
        """Attempts until botocore's retry handler says stop, sleeping the delay it computes."""
        attempts = 1
        while True:
            response, error = self._attempt(request)
            delay = self._retry_delay(operation, request, response, error, attempts)
            if delay is None:
                break
            time.sleep(delay)
            attempts += 1
        return self._outcome(response, error, attempts)

    def _retry_delay(self, operation, request, response, error, attempts):
        """botocore's retry handler's answer: seconds to wait before the next attempt, or None."""
        responses = self._events.emit(
            operation.needs_retry,
            response=response,
            endpoint=None,
            operation=operation.model,
            attempts=attempts,
            caught_exception=error,
            request_dict=request,
        )
        delay = first_non_none_response(responses)
        return None if delay is None or delay is False else delay

    @staticmethod
    def _outcome(response, error, attempts):
        """The last attempt's (http, parsed) with its retry count, or its exception raised."""
        if error is not None:
            raise error
        response[1]["ResponseMetadata"]["RetryAttempts"] = attempts - 1
        return response

    def _signed(self, request):
        """The request's headers, signed with the credentials of this attempt."""
        credentials = self._credentials
        frozen = None if credentials is None else credentials.get_frozen_credentials()
        signed = SigningRequest(self._url, dict(request["headers"]), request["body"])
        self._signer(frozen).add_auth(signed)
        return signed

    def _attempt(self, request):
        """One signed POST: ((http_response, parsed), None), or (None, botocore's exception)."""
        signed = self._signed(request)
        try:
            raw = self._pool.urlopen(
                "POST",
                self._path,
                body=request["body"],
                headers=signed.headers,
                retries=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
            )
            http = AWSResponse(self._url, raw.status, raw.headers, raw)
            body = http.content  # read here: a failure while reading is the connection's
        except URLLib3SSLError as error:
            return None, SSLError(endpoint_url=self._url, error=error)
        except (NewConnectionError, socket.gaierror) as error:
            return None, EndpointConnectionError(endpoint_url=self._url, error=error)
        except URLLib3ConnectTimeoutError as error:
            return None, ConnectTimeoutError(endpoint_url=self._url, error=error)
        except URLLib3ReadTimeoutError as error:
            return None, ReadTimeoutError(endpoint_url=self._url, error=error)
        except ProtocolError as error:
            return None, ConnectionClosedError(error=error, request=signed, endpoint_url=self._url)
        except Exception as error:
            return None, HTTPClientError(error=error)
        return (http, self._parse(http.status_code, http.headers, body)), None

    def _parse(self, status, headers, body):
        """The response dict botocore's JSON parser builds, from the body as ``json`` reads it."""
        if status >= 500 and (not body.strip() or body.strip().startswith(b"<html>")):
            # Not the engine's JSON (a proxy's or load balancer's page): botocore's generic error.
            parsed = {"Error": {"Code": str(status), "Message": HTTP_REASONS.get(status, "")}}
            metadata = parsed["ResponseMetadata"] = {}
        else:
            parsed = self._error(status, _load(body)) if status >= 301 else _load(body)
            metadata = parsed.setdefault("ResponseMetadata", {})
            if "x-amzn-requestid" in headers:
                metadata["RequestId"] = headers["x-amzn-requestid"]
        metadata["HTTPStatusCode"] = status
        metadata["HTTPHeaders"] = {name.lower(): value for name, value in headers.items()}
        return parsed

    def _error(self, status, body):
        code = body.get("__type", str(status))
        code = code.split(":", 1)[0].rsplit("#", 1)[-1]
        parsed = {
            "Error": {"Message": body.get("message", body.get("Message", "")), "Code": code},
            "ResponseMetadata": {},
        }
        shape = self.meta.service_model.shape_for_error_code(code)
        if shape is not None:
            for member, member_shape in shape.members.items():
                value = body.get(member_shape.serialization.get("name", member))
                if value is not None:
                    parsed[member] = value
        return parsed
