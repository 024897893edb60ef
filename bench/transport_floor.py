"""How much client CPU a leaner transport than boto3's could save, per GetItem.

    cd bench && ../.venv/bin/python transport_floor.py [--repeat N] [--rounds N]
                                                      [--engine moto|dynalite]

Measures, against an engine in another process (moto's server by default),
the benchmark process's CPU time per GetItem of one small item for:

- boto3: the standard client (what the Connector uses with DYNAMODB_TRANSPORT=boto3);
- lean client: ``dynamodb.transport.LeanClient`` around that client;
- signed: the same request signed by botocore's SigV4Auth, sent with a urllib3
  pool, parsed with ``json`` (keeps botocore for credentials and signing);
- floor: the same request with a signature computed from a cached signing key
  (HMAC chain done once per day), one JSON encode/decode, one pooled round trip.

This is the evidence for issue 5's "lean transport": adopt one only if it at
least halves client CPU per operation against raw boto3. moto's server closes
the connection after every response, so there every call also pays a TCP
connect; dynalite keeps connections alive, as DynamoDB does.
"""

import argparse
import datetime
import hashlib
import hmac
import json
import statistics
import time

import urllib3
from common import fmt, print_table

from dynamodb.wire.transport import LeanClient
from tests.engine import ENGINES

TABLE = "transport_floor"
KEY = {"pk": {"S": "item-1"}}
TARGET = "DynamoDB_20120810.GetItem"


def boto3_client(url):
    import boto3

    return boto3.session.Session().client("dynamodb", endpoint_url=url, region_name="us-east-1")


def cpu_per_call(call, repeat):
    call()
    start = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - start) / repeat * 1000


def signed_sender(client, url):
    """SigV4Auth from botocore, urllib3 for HTTP, json for the body."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = client._request_signer._credentials.get_frozen_credentials()
    signer = SigV4Auth(credentials, "dynamodb", "us-east-1")
    pool = urllib3.PoolManager(maxsize=4)
    body = json.dumps({"TableName": TABLE, "Key": KEY, "ConsistentRead": True})

    def send():
        request = AWSRequest(
            method="POST",
            url=url + "/",
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET},
        )
        signer.add_auth(request)
        response = pool.request("POST", url + "/", body=body, headers=dict(request.headers))
        return json.loads(response.data)

    return send


def floor_sender(url, access_key="bench", secret_key="bench", region="us-east-1"):
    """The least work a signed request can take: cached signing key, one HMAC per call."""
    date = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
    signing_key = f"AWS4{secret_key}".encode()
    for part in (date, region, "dynamodb", "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    scope = f"{date}/{region}/dynamodb/aws4_request"
    host = url.split("://", 1)[1]
    pool = urllib3.HTTPConnectionPool(host.split(":")[0], int(host.split(":")[1]), maxsize=4)

    def send():
        body = json.dumps({"TableName": TABLE, "Key": KEY, "ConsistentRead": True}).encode()
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        payload_hash = hashlib.sha256(body).hexdigest()
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "host": host,
            "x-amz-date": stamp,
            "x-amz-target": TARGET,
        }
        signed = ";".join(headers)
        canonical = "\n".join(
            [
                "POST",
                "/",
                "",
                "".join(f"{k}:{v}\n" for k, v in headers.items()),
                signed,
                payload_hash,
            ]
        )
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        return json.loads(pool.urlopen("POST", "/", body=body, headers=headers).data)

    return send


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="moto")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    repeat = arguments.repeat
    engine = ENGINES[arguments.engine]().start()
    try:
        client = boto3_client(engine.url)
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 0.1})
        client.put_item(TableName=TABLE, Item={**KEY, "name": {"S": "Dinner"}})
        lean = LeanClient(client, client._request_signer._credentials)
        senders = {
            "boto3 client": lambda: client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True),
            "lean client": lambda: lean.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True),
            "SigV4Auth + urllib3 + json": signed_sender(client, engine.url),
            "floor (cached key)": floor_sender(engine.url),
        }
        for name, send in senders.items():
            assert send()["Item"]["name"] == {"S": "Dinner"}, name
        rounds = {name: [] for name in senders}
        for _ in range(arguments.rounds):  # alternating, so that drift affects each alike
            for name, send in senders.items():
                rounds[name].append(cpu_per_call(send, repeat))
        results = {name: statistics.median(cpus) for name, cpus in rounds.items()}
    finally:
        engine.stop()
    base = results["boto3 client"]
    print_table(
        f"Client CPU per GetItem, ms (median of {arguments.rounds} rounds x {repeat} calls, "
        f"{arguments.engine} in another process)",
        ("transport", "CPU ms", "vs boto3"),
        [(name, fmt(cpu, 3), fmt(cpu / base)) for name, cpu in results.items()],
    )


if __name__ == "__main__":
    main()
