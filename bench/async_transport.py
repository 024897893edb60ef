"""Async GetItem: the chosen HTTP client against the other, and against the sync transport.

    ./manage.sh bench async [--engine moto|dynalite] [--requests N] [--concurrency C]

Each client sends N consistent GetItems of one booking, C at a time
(``asyncio.gather``), against the same engine and table:

- raw aiohttp and raw httpx: the request signed by botocore's SigV4Auth, posted,
  its JSON parsed, nothing else (the floor of each HTTP client);
- Connector.aget and QuerySet.aget: the async transport (aiohttp) under the
  library's own code;
- Connector.get, sequentially: the sync lean transport, for its CPU per call.

Prints wall time per operation and the process's CPU per operation (the engine
runs in another process: CPU is the client's cost), and the ratios the async
targets name: async client CPU per operation against the sync lean
transport's, and against the raw signed request of the chosen client.
aiobotocore is not measured: it pins a botocore range that excludes the
project's (it would need another virtual environment, and measure another
botocore).
"""

import argparse
import asyncio
import datetime
import json
import logging
import time

import aiohttp
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from common import booking_table, fmt, print_table

MOMENT = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request


def signer(url, body):
    credentials = Credentials("bench", "bench")

    def headers():
        request = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={
                "X-Amz-Target": "DynamoDB_20120810.GetItem",
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        SigV4Auth(credentials, "dynamodb", "us-east-1").add_auth(request)
        return dict(request.headers.items())

    return headers


async def timed(requests, concurrency, one):
    """(wall ms, CPU ms) per op of ``requests`` calls of ``one()``, ``concurrency`` at a time."""
    for _ in range(concurrency):
        await one()  # warm: connections, caches
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests // concurrency):
        await asyncio.gather(*(one() for _ in range(concurrency)))
    done = requests // concurrency * concurrency
    return (time.perf_counter() - wall) / done * 1000, (time.process_time() - cpu) / done * 1000


async def raw_aiohttp(url, body, requests, concurrency):
    headers = signer(url, body)
    async with aiohttp.ClientSession(auto_decompress=False) as session:

        async def one():
            async with session.post(url, data=body, headers=headers()) as response:
                return json.loads(await response.read())

        return await timed(requests, concurrency, one)


async def raw_httpx(url, body, requests, concurrency):
    headers = signer(url, body)
    async with httpx.AsyncClient() as session:

        async def one():
            response = await session.post(url, content=body, headers=headers())
            return json.loads(response.content)

        return await timed(requests, concurrency, one)


def run(engine_name, requests, concurrency):
    with booking_table(engine_name) as table:
        from django.conf import settings

        from booking.models import Booking
        from dynamodb.connector import Connector

        connector = Connector(Booking)
        booking = connector.insert(
            Booking(user_id=1, date_at=MOMENT, date_for=MOMENT, name="Dinner", address="1 Main St")
        )
        key = booking.get_key_list()
        url = settings.DYNAMODB_ENDPOINT_URL
        body = json.dumps(
            {"TableName": table, "Key": _raw_key(connector, booking), "ConsistentRead": True}
        ).encode()

        async def library():
            results = {}
            results["Connector.aget"] = await timed(
                requests, concurrency, lambda: connector.aget(key)
            )
            results["QuerySet.aget"] = await timed(
                requests, concurrency, lambda: Booking.objects.aget(user=1, date_at=MOMENT)
            )
            results["raw aiohttp"] = await raw_aiohttp(url, body, requests, concurrency)
            results["raw httpx"] = await raw_httpx(url, body, requests, concurrency)
            return results

        results = asyncio.run(library())
        for _ in range(20):
            connector.get(key)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            connector.get(key)
        results["Connector.get (sync, lean)"] = (
            (time.perf_counter() - wall) / requests * 1000,
            (time.process_time() - cpu) / requests * 1000,
        )
    report(results, engine_name, requests, concurrency)


def _raw_key(connector, booking):
    from dynamodb.storage.expressions import exact_key
    from dynamodb.wire.marshalling import serialize

    return serialize(exact_key(connector.schema, booking.get_key_list()))


def report(results, engine_name, requests, concurrency):
    print_table(
        f"Async GetItem, {requests} calls, {concurrency} at a time (asyncio.gather), {engine_name}",
        ("client", "wall ms/op", "CPU ms/op"),
        [(name, fmt(wall, 3), fmt(cpu, 3)) for name, (wall, cpu) in results.items()],
    )
    cpu = {name: value[1] for name, value in results.items()}
    print(
        "\nHTTP client floor, httpx / aiohttp CPU: "
        f"{cpu['raw httpx'] / cpu['raw aiohttp']:.2f} (aiohttp is the async transport's)"
    )
    print(
        "Connector.aget CPU / sync lean Connector.get CPU: "
        f"{cpu['Connector.aget'] / cpu['Connector.get (sync, lean)']:.2f} (target <= 1)"
    )
    print(
        "Connector.aget CPU / raw aiohttp signed GetItem CPU: "
        f"{cpu['Connector.aget'] / cpu['raw aiohttp']:.2f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="moto", choices=["moto", "dynalite"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    if arguments.requests < arguments.concurrency or arguments.concurrency < 1:
        parser.error("--requests must be at least --concurrency, which must be positive")
    run(arguments.engine, arguments.requests, arguments.concurrency)


if __name__ == "__main__":
    main()
