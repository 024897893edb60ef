"""The REST API through gunicorn under load, beside raw boto3 on the same engine.

    ./manage.sh bench rest [--requests N] [--concurrency C]

Starts moto's server and gunicorn (2 workers, the project's gunicorn config)
on loopback ports, authenticates with a DRF token (Basic authentication would
run the password hasher on every request), and sends a bounded number of
requests from C client threads over keep-alive connections: detail GET, list
page (25) and create. Beside it, raw boto3 GetItem and PutItem ops/s at the
same concurrency against the same engine. Prints requests/s, p50 and p99.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from common import ROOT, fmt, print_table, raw_boto3_client

from tests.engine import MotoServer, free_port

PBKDF2_NOTE = "Basic auth cost: one PBKDF2 check of Django's default hasher"


def environment(engine_url, port, tmp):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-secret-key-bench-secret-key-bench-secret-key",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
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


def drive(requests, concurrency, make_sender):
    """Send ``requests`` numbered calls from ``concurrency`` threads; (seconds, latencies, errors).

    ``make_sender()`` runs once per thread and returns ``send(number)``, which
    makes one call and returns its HTTP status (None when there is none).
    """
    latencies, errors = [], []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker():
        send = make_sender()
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                return
            start = time.perf_counter()
            status = send(number)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status is not None and status >= 400:
                    errors.append(status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies, errors


def load(port, token, requests, concurrency, request_for):
    """The API's answers to ``request_for(number)`` over one keep-alive connection a thread."""
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def make_sender():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def send(number):
            method, path, body = request_for(number)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status

        return send

    return drive(requests, concurrency, make_sender)


def raw_load(engine_url, requests, concurrency, operation):
    """Raw boto3 calls ``operation(client, number)``, one client a thread."""

    def make_sender():
        client = raw_boto3_client(engine_url)
        return lambda number: operation(client, number)

    return drive(requests, concurrency, make_sender)


def row(name, result, requests):
    elapsed, latencies, errors = result
    latencies.sort()
    return (
        name,
        requests,
        len(errors),
        fmt(requests / elapsed, 1),
        fmt(statistics.median(latencies) * 1000),
        fmt(latencies[int(len(latencies) * 0.99) - 1] * 1000),
    )


def run(requests, concurrency):
    import tempfile

    engine = MotoServer().start()
    port = free_port()
    gunicorn = None
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(engine.url, port, tmp)
        try:
            manage(env, "migrate", "--noinput")
            token = manage(env, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1]
            hasher_ms = float(manage(env, "shell", "-c", HASHER_SCRIPT).strip().splitlines()[-1])
            gunicorn = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "project/gunicorn.conf.py"],
                cwd=ROOT / "src",
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_for(port)
            rows = bench_rest(port, token, requests, concurrency)
            rows += bench_raw(engine.url, requests, concurrency)
        finally:
            if gunicorn is not None:
                gunicorn.terminate()
                gunicorn.wait(timeout=30)
            engine.stop()
    print_table(
        f"REST through gunicorn (2 workers) vs raw boto3, {concurrency} concurrent clients, "
        "moto server",
        ("operation", "requests", "errors", "req/s", "p50 ms", "p99 ms"),
        rows,
    )
    by_name = {r[0]: float(r[3]) for r in rows}
    print(
        f"\nREST detail GET / raw GetItem throughput: "
        f"{by_name['REST detail GET'] / by_name['boto3 GetItem']:.2f} (target >= 0.6)"
    )
    print(f"{PBKDF2_NOTE}: {hasher_ms:.0f} ms of CPU per request.")


def wait_for(port, timeout=30):
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


def bench_rest(port, token, requests, concurrency):
    base = "/api/dynamo/booking/"
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    ids = []
    for number in range(100):
        body = json.dumps({"name": f"Seed {number}", "address": "1 Main St"})
        connection.request("POST", base, body=body, headers=headers)
        ids.append(json.loads(connection.getresponse().read())["id"])
    connection.close()
    payload = json.dumps({"name": "Dinner", "address": "1 Main St"})
    return [
        row(
            "REST detail GET",
            load(
                port,
                token,
                requests,
                concurrency,
                lambda n: ("GET", f"{base}{ids[n % 100]}/", None),
            ),
            requests,
        ),
        row(
            "REST list page (25)",
            load(
                port, token, requests, concurrency, lambda n: ("GET", f"{base}?page_size=25", None)
            ),
            requests,
        ),
        row(
            "REST create",
            load(port, token, requests, concurrency, lambda n: ("POST", base, payload)),
            requests,
        ),
    ]


def bench_raw(engine_url, requests, concurrency):
    table = "bench_raw"
    client = raw_boto3_client(engine_url)
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def put(c, n):
        c.put_item(
            TableName=table,
            Item={"pk": {"N": str(n)}, "name": {"S": "Dinner"}, "address": {"S": "1 Main St"}},
        )

    def get(c, n):
        c.get_item(TableName=table, Key={"pk": {"N": str(n % 100)}}, ConsistentRead=True)

    put_result = raw_load(engine_url, requests, concurrency, put)
    return [
        row("boto3 GetItem", raw_load(engine_url, requests, concurrency, get), requests),
        row("boto3 PutItem", put_result, requests),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per operation")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    arguments = parser.parse_args()
    run(arguments.requests, arguments.concurrency)


if __name__ == "__main__":
    main()
