"""The REST API through gunicorn under load, sync (WSGI) against async (ASGI) serving.

    ./manage.sh bench rest [--requests N] [--concurrency 8,64,256]
                           [--engine-latency MS] [--servers wsgi,asgi]
                           [--engine moto|dynalite]

Starts an engine (moto, serving one request at a time as the local engine
does, or dynalite, which serves concurrently and costs far less CPU per
request: on a 2-core machine the engine's CPU is taken from the service's,
which AWS's is not), optionally behind a proxy on the loopback that
delays every answer by ``--engine-latency`` ms (AWS's network wait, which a
local engine does not have: bench/latency_proxy.py), and gunicorn with the
project's config (2 workers) for each server mode: ``wsgi`` (sync workers,
DynamoViewset) and ``asgi`` (uvicorn workers, AsyncDynamoViewset). Clients
authenticate with a DRF token (Basic authentication would run the password
hasher on every request) and keep their connections alive; each of the C
concurrent clients is an asyncio task of one client process. For each mode
and concurrency: requests/s, p50, p99, errors (status >= 400 or no answer),
and the server's resident memory (master and workers) after the run. Beside
them, raw boto3 GetItem at the same concurrency through the same proxy: what
the engine and its latency allow.
"""

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp
from common import ROOT, fmt, print_table, raw_boto3_client

from tests.engine import ENGINES, free_port

PBKDF2_NOTE = "Basic auth cost: one PBKDF2 check of Django's default hasher"
SEEDED = 100


def environment(engine_url, port, tmp, server):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_SERVER": server,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-secret-key-bench-secret-key-bench-secret-key",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_THROTTLE_ANON": "",
        "DJANGO_THROTTLE_USER": "",
        "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        "DYNAMODB_ENDPOINT_URL": engine_url,
        "DYNAMODB_TABLE_PREFIX": "bench_",
        "DJANGO_HOST": "127.0.0.1",
        "DJANGO_PORT": str(port),
        "GUNICORN_WORKERS": "2",
        "GUNICORN_LOG_LEVEL": "warning",
    }


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT / "src",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


TOKEN_SCRIPT = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user, _ = get_user_model().objects.get_or_create(username="bench")
user.set_password("bench-password-1")
user.save()
print(Token.objects.get_or_create(user=user)[0].key)
"""

HASHER_SCRIPT = """
import time
from django.contrib.auth.hashers import make_password, check_password
encoded = make_password("bench-password-1")
start = time.perf_counter()
for _ in range(5):
    check_password("bench-password-1", encoded)
print((time.perf_counter() - start) / 5 * 1000)
"""


# Load


async def load(port, token, requests, concurrency, request_for):
    """``requests`` numbered requests from ``concurrency`` clients: (seconds, latencies, errors)."""
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    latencies, errors = [], []
    numbers = iter(range(requests))

    async def client():
        connector = aiohttp.TCPConnector(limit=1)  # one keep-alive connection per client
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for number in numbers:
                method, path, body = request_for(number)
                start = time.perf_counter()
                try:
                    async with session.request(
                        method, f"http://127.0.0.1:{port}{path}", data=body, headers=headers
                    ) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = None
                latencies.append(time.perf_counter() - start)
                if status is None or status >= 400:
                    errors.append(status)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, errors


def raw_load(engine_url, requests, concurrency, operation):
    """Raw boto3 calls ``operation(client, number)`` from ``concurrency`` threads."""
    latencies, errors = [], []
    lock = threading.Lock()
    numbers = iter(range(requests))

    def worker():
        client = raw_boto3_client(engine_url)
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            start = time.perf_counter()
            try:
                operation(client, number)
            except Exception as error:
                errors.append(type(error).__name__)
            with lock:
                latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies, errors


def row(name, concurrency, result, requests, rss=None, cpu=None):
    elapsed, latencies, errors = result
    latencies.sort()
    return (
        name,
        concurrency,
        requests,
        len(errors),
        fmt(requests / elapsed, 1),
        fmt(statistics.median(latencies) * 1000),
        fmt(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000),
        "-" if rss is None else fmt(rss / 1024 / 1024, 0),
        "-" if cpu is None else fmt(cpu / requests * 1000),
    )


# Processes


def rss_bytes(pid):
    """Resident memory of a process and its children (gunicorn's master and workers)."""
    total = 0
    for candidate in [pid, *children(pid)]:
        try:
            status = Path(f"/proc/{candidate}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def cpu_seconds(pid):
    """CPU time (user and system) of a process's children so far: gunicorn's workers."""
    ticks = 0
    for candidate in children(pid):
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_for(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /health/")


def start_proxy(engine, latency_ms):
    """The engine's URL as the service sees it: behind the latency proxy when asked."""
    if not latency_ms:
        return engine.url, None
    port = free_port()
    proxy = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "latency_proxy.py"),
            "--port",
            str(port),
            "--upstream-port",
            str(engine.port),
            "--latency-ms",
            str(latency_ms),
        ]
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return f"http://127.0.0.1:{port}", proxy
        except OSError:
            time.sleep(0.1)
    proxy.terminate()
    raise RuntimeError("the latency proxy did not start")


# The run


OPERATIONS = {
    "detail GET": lambda ids, payload: lambda n: ("GET", f"{BASE}{ids[n % SEEDED]}/", None),
    "list page (25)": lambda ids, payload: lambda n: ("GET", f"{BASE}?page_size=25", None),
    "create": lambda ids, payload: lambda n: ("POST", BASE, payload),
}
BASE = "/api/dynamo/booking/"


def seed(port, token):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    ids = []
    for number in range(SEEDED):
        body = json.dumps({"name": f"Seed {number}", "address": "1 Main St"})
        connection.request("POST", BASE, body=body, headers=headers)
        ids.append(json.loads(connection.getresponse().read())["id"])
    connection.close()
    return ids


def bench_server(server, engine_url, tmp, requests, levels, operations):
    port = free_port()
    env = environment(engine_url, port, tmp, server)
    manage(env, "createdynamotables")
    token = manage(env, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1]
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "project/gunicorn.conf.py"],
        cwd=ROOT / "src",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        wait_for(port)
        ids = seed(port, token)
        payload = json.dumps({"name": "Dinner", "address": "1 Main St"})
        for name in operations:
            request_for = OPERATIONS[name](ids, payload)
            for concurrency in levels:
                asyncio.run(load(port, token, min(requests, 200), concurrency, request_for))
                cpu = cpu_seconds(gunicorn.pid)
                result = asyncio.run(load(port, token, requests, concurrency, request_for))
                cpu = cpu_seconds(gunicorn.pid) - cpu
                rss = rss_bytes(gunicorn.pid)
                rows.append(row(f"{server} {name}", concurrency, result, requests, rss, cpu))
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=60)
    return rows


def bench_raw(engine_url, requests, levels):
    table = "bench_raw"
    client = raw_boto3_client(engine_url)
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(SEEDED):
        client.put_item(TableName=table, Item={"pk": {"N": str(n)}, "name": {"S": "Dinner"}})

    def get(c, n):
        c.get_item(TableName=table, Key={"pk": {"N": str(n % SEEDED)}}, ConsistentRead=True)

    return [
        row("boto3 GetItem (threads)", c, raw_load(engine_url, requests, c, get), requests)
        for c in levels
    ]


def run(engine_name, requests, levels, latency_ms, servers, operations):
    engine = ENGINES[engine_name]().start()
    engine_url, proxy = start_proxy(engine, latency_ms)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = environment(engine_url, 0, tmp, "wsgi")
            manage(env, "migrate", "--noinput")
            hasher_ms = float(manage(env, "shell", "-c", HASHER_SCRIPT).strip().splitlines()[-1])
            for server in servers:
                rows += bench_server(server, engine_url, tmp, requests, levels, operations)
            rows += bench_raw(engine_url, requests, levels)
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait()
        engine.stop()
    latency = f"{latency_ms:g} ms engine latency" if latency_ms else "no added engine latency"
    print_table(
        f"REST through gunicorn (2 workers), sync (wsgi) and async (asgi) serving, "
        f"{engine_name}, {latency}",
        (
            "operation",
            *("clients", "requests", "errors", "req/s", "p50 ms", "p99 ms"),
            *("RSS MB", "worker CPU ms/req"),
        ),
        rows,
    )
    print_ratios(rows, servers, operations, levels)
    print(f"\n{PBKDF2_NOTE}: {hasher_ms:.0f} ms of CPU per request.")


def print_ratios(rows, servers, operations, levels):
    if not {"wsgi", "asgi"} <= set(servers):
        return
    by_key = {(r[0], r[1]): r for r in rows}
    print("\nasgi / wsgi (throughput ratio; p99 ratio, below 1 is better)")
    for name in operations:
        for concurrency in levels:
            sync, asynchronous = (
                by_key[(f"wsgi {name}", concurrency)],
                by_key[(f"asgi {name}", concurrency)],
            )
            throughput = float(asynchronous[4]) / float(sync[4])
            p99 = float(asynchronous[6]) / float(sync[6])
            print(f"  {name:16s} {concurrency:4d} clients: {throughput:5.2f}x   p99 {p99:5.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per measurement")
    parser.add_argument(
        "--concurrency", default="8,64,256", help="comma-separated numbers of concurrent clients"
    )
    parser.add_argument(
        "--engine-latency", type=float, default=0, help="ms added to every engine answer"
    )
    parser.add_argument("--servers", default="wsgi,asgi", help="comma-separated: wsgi, asgi")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="moto")
    parser.add_argument(
        "--operations",
        default=",".join(OPERATIONS),
        help=f"comma-separated, of: {', '.join(OPERATIONS)}",
    )
    arguments = parser.parse_args()
    levels = [int(level) for level in arguments.concurrency.split(",")]
    servers = arguments.servers.split(",")
    operations = arguments.operations.split(",")
    unknown = (set(servers) - {"wsgi", "asgi"}) | (set(operations) - set(OPERATIONS))
    if unknown or any(level < 1 for level in levels):
        parser.error(f"unknown or invalid: {', '.join(sorted(unknown)) or '--concurrency'}")
    run(arguments.engine, arguments.requests, levels, arguments.engine_latency, servers, operations)


if __name__ == "__main__":
    main()
