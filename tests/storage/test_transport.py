"""The lean transport (``DYNAMODB_TRANSPORT = "lean"``) behaves as boto3's client does.

The whole suite runs on either transport (``DYNAMODB_TEST_TRANSPORT=boto3|lean``);
these tests pin what the lean one must keep. Tests taking the ``transport``
fixture run on both, so each expectation is checked against boto3 itself.

Faults are injected below both transports, at the HTTP layer (``faults``,
tests/faults.py): a botocore ``Stubber`` answers above it and would skip the
lean transport's own sending, parsing and retrying. Durations are reported
(tests/timing.py), bounded only against a hang.
"""

import base64
import datetime
import json
import socket
import threading
import time

import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.httpsession import get_cert_path
from botocore.stub import Stubber
from django.core import checks
from django.test import override_settings

from dynamodb import exceptions
from dynamodb.checks import check_settings
from dynamodb.connector import Connector
from dynamodb.wire import client
from dynamodb.wire.transport import LeanClient
from tests.engine import free_port
from tests.faults import THROTTLED, json_response
from tests.testapp.models import EveryField, Note, Owner
from tests.timing import took

# Every kind of attribute value, binaries nested in maps and lists.
ITEM = {
    "board": {"S": "b"},
    "title": {"S": "t"},
    "B": {"B": b"\x00\xff binary"},
    "BS": {"BS": [b"\x00", b"\x01\x02"]},
    "nested": {
        "M": {
            "B": {"B": b"in a map"},
            "BS": {"S": "not binary"},
            "list": {"L": [{"B": b"in a list"}, {"N": "1.5"}, {"NULL": True}]},
        }
    },
    "numbers": {"NS": ["1", "2"]},
    "strings": {"SS": ["a", "b"]},
    "flag": {"BOOL": False},
}
KEY = {"board": {"S": "b"}, "title": {"S": "t"}}


@pytest.fixture(params=["boto3", "lean"])
def transport(request, settings):
    """Runs the test on each transport."""
    settings.DYNAMODB_TRANSPORT = request.param
    return request.param


@pytest.fixture
def lean(settings):
    settings.DYNAMODB_TRANSPORT = "lean"
    return client.get_client()


@pytest.fixture
def boto3_client():
    """A boto3 client of the same settings, whatever the suite's transport."""
    return client._build_client(*client._client_settings()[:-1])


@pytest.fixture
def sleeps(monkeypatch):
    """Retry delays, recorded instead of slept (both transports call ``time.sleep``)."""
    delays = []
    monkeypatch.setattr(time, "sleep", delays.append)
    return delays


def note_table():
    return Connector(Note).schema.table_name


# The setting


def test_the_setting_chooses_the_client(settings):
    settings.DYNAMODB_TRANSPORT = "lean"
    lean = client.get_client()
    assert isinstance(lean, LeanClient)
    settings.DYNAMODB_TRANSPORT = "boto3"
    assert type(client.get_client()).__name__ == "DynamoDB"
    settings.DYNAMODB_TRANSPORT = "lean"
    assert client.get_client() is lean  # built once for these settings, kept for the process


def test_every_thread_shares_the_process_client():
    """A thread may serve one request only (ASGI): it must not pay for a client of its own."""
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(client.get_client())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {id(found) for found in seen} == {id(client.get_client())}


def test_the_lean_client_uses_the_configured_timeouts_and_attempts(settings):
    settings.DYNAMODB_TRANSPORT = "lean"
    settings.DYNAMODB_CONNECT_TIMEOUT = 0.7
    settings.DYNAMODB_READ_TIMEOUT = 1.3
    settings.DYNAMODB_MAX_ATTEMPTS = 5
    lean = client.get_client()
    assert (lean._pool.timeout.connect_timeout, lean._pool.timeout.read_timeout) == (0.7, 1.3)
    assert lean.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}


@pytest.mark.parametrize("value", ["Lean", "", None, "botocore"])
def test_e103_transport_must_be_boto3_or_lean(value):
    with override_settings(DYNAMODB_TRANSPORT=value):
        errors = check_settings()
    assert [(e.id, e.msg) for e in errors] == [
        ("dynamodb.E103", f"DYNAMODB_TRANSPORT is {value!r}.")
    ]
    assert isinstance(errors[0], checks.Error) and "'lean'" in errors[0].hint


@pytest.mark.parametrize("value", ["boto3", "lean"])
def test_both_transports_pass_the_checks(value):
    with override_settings(DYNAMODB_TRANSPORT=value):
        assert check_settings() == []


def test_behind_an_http_proxy_the_lean_setting_keeps_boto3(monkeypatch, caplog):
    # The proxy and the client (a connect timeout of its own) end with the test, not after
    # the fixtures' teardown that deletes the tables.
    with (
        monkeypatch.context() as environment,
        override_settings(DYNAMODB_TRANSPORT="lean", DYNAMODB_CONNECT_TIMEOUT=0.9),
    ):
        for name in ("NO_PROXY", "no_proxy"):
            environment.delenv(name, raising=False)
        environment.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
        assert not isinstance(client.get_client(), LeanClient)
    assert "proxy" in caplog.text


def test_tls_is_verified_with_botocores_ca_bundle():
    aws = client._build_client(None, "eu-west-1", 1.0, 2.0, 3)
    pool = LeanClient(aws, None)._pool
    assert (pool.scheme, pool.host, pool.port) == ("https", "dynamodb.eu-west-1.amazonaws.com", 443)
    assert (pool.cert_reqs, pool.ca_certs) == ("CERT_REQUIRED", get_cert_path(True))
    assert LeanClient(aws, None, verify="/etc/my-ca.pem")._pool.ca_certs == "/etc/my-ca.pem"


def test_other_operations_are_the_boto3_clients(lean):
    table = lean.describe_table(TableName=note_table())["Table"]
    assert table["TableStatus"] == "ACTIVE"
    lean.get_waiter("table_exists").wait(TableName=note_table(), WaiterConfig={"Delay": 0.1})
    assert lean.can_paginate("list_tables")
    assert issubclass(lean.exceptions.ConditionalCheckFailedException, ClientError)
    assert lean.meta.service_model.service_name == "dynamodb"


# Requests and responses


def without_request_details(response):
    """A response without what differs between two requests (ids, dates, lengths)."""
    metadata = response["ResponseMetadata"]
    return {
        **{name: value for name, value in response.items() if name != "ResponseMetadata"},
        "ResponseMetadata": {
            "keys": sorted(metadata),
            "HTTPStatusCode": metadata["HTTPStatusCode"],
            "RetryAttempts": metadata["RetryAttempts"],
            "HTTPHeaders": sorted(metadata["HTTPHeaders"]),
        },
    }


def test_every_hot_operation_answers_as_boto3_does(lean, boto3_client):
    table = note_table()
    calls = [
        ("put_item", {"TableName": table, "Item": ITEM}),
        ("get_item", {"TableName": table, "Key": KEY, "ConsistentRead": True}),
        (
            "update_item",
            {
                "TableName": table,
                "Key": KEY,
                "UpdateExpression": "SET #b = :b",
                "ExpressionAttributeNames": {"#b": "B"},
                "ExpressionAttributeValues": {":b": {"B": b"\x00\xff binary"}},
                "ReturnValues": "ALL_NEW",
            },
        ),
        (
            "query",
            {
                "TableName": table,
                "KeyConditionExpression": "board = :b",
                "ExpressionAttributeValues": {":b": {"S": "b"}},
                "Limit": 1,
            },
        ),
        ("scan", {"TableName": table, "Limit": 1}),
        ("batch_get_item", {"RequestItems": {table: {"Keys": [KEY]}}}),
        ("batch_write_item", {"RequestItems": {table: [{"PutRequest": {"Item": ITEM}}]}}),
        ("delete_item", {"TableName": table, "Key": KEY, "ReturnValues": "ALL_OLD"}),
    ]
    for operation, params in calls:
        responses = []
        for each in (lean, boto3_client):
            boto3_client.put_item(TableName=table, Item=ITEM)  # the same item before each call
            responses.append(without_request_details(getattr(each, operation)(**params)))
        assert responses[0] == responses[1], operation
    assert responses[0]["Attributes"] == ITEM  # the deleted item, binaries as bytes


def test_binaries_are_base64_on_the_wire_and_bytes_in_python(lean, faults):
    lean.put_item(TableName=note_table(), Item=ITEM)
    _operation, headers, body = faults.sent[-1]
    sent = json.loads(body)["Item"]
    assert sent["B"] == {"B": base64.b64encode(b"\x00\xff binary").decode()}
    assert sent["nested"]["M"]["list"]["L"][0] == {"B": base64.b64encode(b"in a list").decode()}
    assert headers["X-Amz-Target"] == "DynamoDB_20120810.PutItem"
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert lean.get_item(TableName=note_table(), Key=KEY)["Item"] == ITEM


@pytest.mark.django_db
def test_binary_and_nested_values_round_trip_through_the_connector(lean):
    owner = Owner.objects.create(name="Ada")
    value = {"list": [1, 2.5, "x", None, True, {"deep": ["a", {"b": False}]}], "empty": {}}
    stored = Connector(EveryField).insert(
        EveryField(owner=owner, binary=b"\x00\x01\xfe\xff", json=value)
    )
    read = Connector(EveryField).get_by_id(stored.pk)
    assert (bytes(read.binary), read.json) == (b"\x00\x01\xfe\xff", value)


class FixedCredentials:
    def __init__(self, frozen):
        self.frozen = frozen

    def get_frozen_credentials(self):
        return self.frozen


def assert_signed_as_botocore_signs(url, frozen, headers, body):
    """The Authorization header is the one botocore's SigV4Auth computes for what was sent."""
    authorization = headers.pop("Authorization")
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={frozen.access_key}/")
    assert "/us-east-1/dynamodb/aws4_request, SignedHeaders=" in authorization
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"content-type", "host", "x-amz-date", "x-amz-target"} <= set(signed)
    assert ("x-amz-security-token" in signed) == (frozen.token is not None)
    assert headers.get("X-Amz-Security-Token") == frozen.token
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    request.context["timestamp"] = headers["X-Amz-Date"]
    signer = SigV4Auth(frozen, "dynamodb", "us-east-1")
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    assert authorization.endswith(f"Signature={signer.signature(string_to_sign, request)}")


def test_the_request_is_signed_as_sent(lean, faults):
    lean.get_item(TableName=note_table(), Key=KEY)
    _operation, headers, body = faults.sent[-1]
    assert_signed_as_botocore_signs(
        lean._url, lean._credentials.get_frozen_credentials(), headers, body
    )


def test_the_kept_signing_key_follows_the_secret_key_and_the_day(lean, faults, monkeypatch):
    """The signing key is derived once per day and secret: each request still signs right."""
    credentials = FixedCredentials(ReadOnlyCredentials("KEY", "first-secret", None))
    signing = LeanClient(lean._client, credentials)
    for frozen, day in [
        (ReadOnlyCredentials("KEY", "first-secret", None), None),
        (ReadOnlyCredentials("KEY", "first-secret", None), None),
        (ReadOnlyCredentials("KEY", "second-secret", "session-token"), None),
        (ReadOnlyCredentials("KEY", "second-secret", "session-token"), "2031-01-02"),
    ]:
        if day is not None:
            moment = datetime.datetime.fromisoformat(f"{day}T00:00:01")
            monkeypatch.setattr("botocore.auth.get_current_datetime", lambda m=moment: m)
        credentials.frozen = frozen
        signing.put_item(TableName=note_table(), Item={**KEY, "text": {"S": "é"}})
        _operation, headers, body = faults.sent[-1]
        if day is not None:
            assert headers["X-Amz-Date"].startswith(day.replace("-", ""))
        assert_signed_as_botocore_signs(signing._url, frozen, headers, body)


class RotatingCredentials:
    """Credentials that change between calls, as refreshable ones do."""

    def __init__(self):
        self.generation = 0

    def get_frozen_credentials(self):
        self.generation += 1
        return ReadOnlyCredentials(f"KEY{self.generation}", "secret", None)


def test_credentials_are_read_at_each_call(lean, faults):
    rotating = LeanClient(lean._client, RotatingCredentials())
    rotating.get_item(TableName=note_table(), Key=KEY)
    rotating.get_item(TableName=note_table(), Key=KEY)
    credentials = [headers["Authorization"].split("/")[0] for _, headers, _ in faults.sent]
    assert credentials == ["AWS4-HMAC-SHA256 Credential=KEY1", "AWS4-HMAC-SHA256 Credential=KEY2"]


def test_no_credentials_is_engine_unavailable_with_a_hint(lean, monkeypatch):
    monkeypatch.setattr(client, "get_client", lambda: LeanClient(lean._client, None))
    with pytest.raises(exceptions.EngineUnavailable, match="No AWS credentials"):
        client.call("get_item", TableName=note_table(), Key=KEY)


def test_a_request_botocore_refuses_is_engine_rejected(transport):
    """Our code built a request botocore's model refuses: a fault of ours, never a 400."""
    with pytest.raises(exceptions.EngineRejected, match="botocore refused the request"):
        client.call("put_item", TableName=note_table(), Item={**KEY, "s": {"SS": {"a", "b"}}})


def test_a_stubber_on_the_lean_client_answers_for_the_engine(lean):
    with Stubber(lean) as stubber:
        stubber.add_response(
            "get_item",
            {"Item": {"title": {"S": "stubbed"}}},
            {"TableName": note_table(), "Key": KEY},
        )
        stubber.add_client_error("put_item", THROTTLED, http_status_code=400)
        assert lean.get_item(TableName=note_table(), Key=KEY)["Item"]["title"]["S"] == "stubbed"
        with pytest.raises(ClientError) as raised:
            lean.put_item(TableName=note_table(), Item=ITEM)
        stubber.assert_no_pending_responses()
    assert raised.value.response["Error"]["Code"] == THROTTLED
    assert "Item" not in lean.get_item(TableName=note_table(), Key=KEY)


# Errors


def test_a_condition_failure_keeps_the_stored_item(lean, boto3_client):
    table = note_table()
    lean.put_item(TableName=table, Item=ITEM)
    params = {
        "TableName": table,
        "Item": KEY,
        "ConditionExpression": "attribute_not_exists(board)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    errors = []
    for each in (lean, boto3_client):
        with pytest.raises(each.exceptions.ConditionalCheckFailedException) as raised:
            each.put_item(**params)
        errors.append(raised.value)
    ours, boto3s = errors
    assert ours.response["Error"] == boto3s.response["Error"]
    assert ours.response.get("Item") == boto3s.response.get("Item")
    assert sorted(ours.response) == sorted(boto3s.response)
    assert str(ours) == str(boto3s)


@pytest.mark.django_db
def test_condition_failures_are_the_connectors_errors(transport):
    connector = Connector(EveryField)
    owner = Owner.objects.create(name="Ada")
    first = connector.insert(EveryField(owner=owner, char="first"))
    with pytest.raises(exceptions.ItemAlreadyExists) as raised:
        connector.insert(EveryField(owner=owner, created=first.created, char="again"))
    assert isinstance(raised.value.__cause__.__cause__, ClientError)
    stale = connector.get_by_id(first.pk)
    connector.update(first)
    with pytest.raises(exceptions.VersionConflict) as raised:
        connector.update(stale)
    assert raised.value.current_version == 2
    connector.delete(first)
    with pytest.raises(exceptions.ItemNotFound):
        connector.update(first)


def test_an_engine_error_is_the_same_client_error(transport):
    with pytest.raises(exceptions.TableNotFound) as raised:
        client.call("get_item", TableName="missing-table", Key=KEY)
    error = raised.value.__cause__
    assert type(error).__name__ == "ResourceNotFoundException"
    assert error.operation_name == "GetItem"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_generic_5xx_page_is_engine_unavailable(transport, faults, sleeps, settings):
    settings.DYNAMODB_MAX_ATTEMPTS = 2
    page = json_response(503, None, raw=b"<html><body>Service Unavailable</body></html>")
    faults.answer("GetItem", page)
    faults.answer("GetItem", json_response(503, None, raw=b""))
    with pytest.raises(exceptions.EngineUnavailable) as raised:
        client.call("get_item", TableName=note_table(), Key=KEY)
    assert raised.value.__cause__.response["Error"] == {
        "Code": "503",
        "Message": "Service Unavailable",
    }
    assert faults.count("GetItem") == 2


# Retries and timeouts


def test_transient_throttling_is_retried_until_success(transport, faults, sleeps, settings):
    settings.DYNAMODB_MAX_ATTEMPTS = 3
    client.call("put_item", TableName=note_table(), Item=ITEM)
    faults.error("GetItem", THROTTLED, times=2)
    response = client.call("get_item", TableName=note_table(), Key=KEY)
    assert response["Item"] == ITEM
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert faults.count("GetItem") == 3
    # botocore's standard backoff for throttling: full jitter under 1 s, then 2 s.
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2


def test_server_errors_are_retried_with_a_shorter_backoff(transport, faults, sleeps, settings):
    settings.DYNAMODB_MAX_ATTEMPTS = 3
    faults.error("GetItem", "InternalServerError", status=500, times=3)
    with pytest.raises(exceptions.EngineUnavailable) as raised:
        client.call("get_item", TableName=note_table(), Key=KEY)
    metadata = raised.value.__cause__.response["ResponseMetadata"]
    assert (metadata["RetryAttempts"], metadata["MaxAttemptsReached"]) == (2, True)
    assert faults.count("GetItem") == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.025 and 0 <= sleeps[1] <= 0.05


def test_a_client_error_is_not_retried(transport, faults, sleeps):
    faults.error("GetItem", "ValidationException")
    with pytest.raises(exceptions.EngineRejected):
        client.call("get_item", TableName=note_table(), Key=KEY)
    assert (faults.count("GetItem"), sleeps) == (1, [])


def test_a_corrupted_response_is_retried(transport, faults, sleeps):
    client.call("put_item", TableName=note_table(), Item=ITEM)
    faults.answer("GetItem", json_response(200, {"Item": {}}, headers={"x-amz-crc32": "1"}))
    assert client.call("get_item", TableName=note_table(), Key=KEY)["Item"] == ITEM
    assert faults.count("GetItem") == 2


def test_connection_errors_are_retried(transport, faults, sleeps, settings):
    settings.DYNAMODB_MAX_ATTEMPTS = 3
    client.call("put_item", TableName=note_table(), Item=ITEM)
    faults.answer("GetItem", urllib3.exceptions.ProtocolError("Connection aborted."))
    faults.answer("GetItem", urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out."))
    assert client.call("get_item", TableName=note_table(), Key=KEY)["Item"] == ITEM
    assert faults.count("GetItem") == 3


def test_an_unreachable_engine_is_engine_unavailable_quickly(transport):
    started = time.monotonic()
    with (
        override_settings(DYNAMODB_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}"),
        pytest.raises(exceptions.EngineUnavailable) as raised,
    ):
        client.call("get_item", TableName=note_table(), Key=KEY)
    took(time.monotonic() - started, f"GetItem of an unreachable engine ({transport})")
    assert isinstance(raised.value.__cause__, EndpointConnectionError)


class SilentEngine:
    """A loopback server that accepts connections and never answers; it counts them."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.accepted = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while not self._stop.is_set():
            try:
                self.accepted.append(self.listener.accept()[0])
            except TimeoutError:
                continue

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(5)
        for connection in [*self.accepted, self.listener]:
            connection.close()


def test_a_silent_engine_times_out_after_each_attempt(transport):
    with SilentEngine() as silent:
        started = time.monotonic()
        with (
            override_settings(
                DYNAMODB_ENDPOINT_URL=silent.url,
                DYNAMODB_READ_TIMEOUT=0.2,
                DYNAMODB_MAX_ATTEMPTS=2,
            ),
            pytest.raises(exceptions.EngineUnavailable) as raised,
        ):
            client.call("get_item", TableName=note_table(), Key=KEY)
        elapsed = time.monotonic() - started
    assert isinstance(raised.value.__cause__, ReadTimeoutError)
    assert len(silent.accepted) == 2  # one connection per attempt, each given up
    assert elapsed >= 0.4  # each attempt waited its read timeout
    took(elapsed, f"GetItem of a silent engine, 2 attempts of 0.2 s ({transport})")
