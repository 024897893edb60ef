"""The local engine ``./manage.sh run`` starts: linearisable writes, closed to web pages.

Against the engine process of src/dynamodb/local_engine.py (the suite's own
moto engine is the same program; these tests start one of their own).
"""

import concurrent.futures
import json
import urllib.error
import urllib.request

import pytest

from dynamodb.exceptions import ConditionFailed
from dynamodb.wire import client
from tests.engine import MotoServer


@pytest.fixture(scope="module")
def engine():
    server = MotoServer().start()
    yield server
    server.stop()


def post(url, path="/", headers=None, body=b"{}"):
    request = urllib.request.Request(
        f"{url}{path}", data=body, method="POST", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_web_page_can_neither_read_nor_reset_the_engine(engine):
    status, headers, body = post(
        engine.url,
        headers={
            "Origin": "https://evil.example",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert status == 403 and b"web pages" in body
    assert "Access-Control-Allow-Origin" not in headers
    # A form POST needs no CORS preflight: moto's reset would answer it.
    status, _, body = post(engine.url, "/moto-api/reset", body=b"")
    assert status == 403 and b"read-only" in body


def test_concurrent_conditional_writes_to_one_item_are_linearised(engine, settings):
    """Each writer reads the version and writes version + 1 if unchanged: none may be lost."""
    settings.DYNAMODB_ENDPOINT_URL = engine.url
    table = "LinearisedCounter"
    client.call(
        "create_table",
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.call("put_item", TableName=table, Item={"k": {"S": "one"}, "v": {"N": "0"}})

    def writer(_):
        acknowledged = 0
        for _attempt in range(40):
            item = client.call(
                "get_item", TableName=table, Key={"k": {"S": "one"}}, ConsistentRead=True
            )["Item"]
            version = int(item["v"]["N"])
            try:
                client.call(
                    "update_item",
                    TableName=table,
                    Key={"k": {"S": "one"}},
                    UpdateExpression="SET v = :next",
                    ConditionExpression="v = :seen",
                    ExpressionAttributeValues={
                        ":seen": {"N": str(version)},
                        ":next": {"N": str(version + 1)},
                    },
                )
                acknowledged += 1
            except ConditionFailed:
                pass
        return acknowledged

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        acknowledged = sum(pool.map(writer, range(8)))
    final = client.call("get_item", TableName=table, Key={"k": {"S": "one"}}, ConsistentRead=True)
    assert int(final["Item"]["v"]["N"]) == acknowledged, json.dumps(final)
