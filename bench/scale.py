"""A page of one user's bookings in a table of 1,000 items and of 100,000, on dynalite.

    ./manage.sh bench scale [--small N] [--large N] [--repeat N]

moto's Query cost grows with the whole table's size, so this runs against
dynalite (installed by ./manage.sh test --engine dynalite / bench), which
indexes like DynamoDB. The table is filled with the bulk path
(``Connector.bulk_insert``); the measured user always has 100 bookings.
Then the whole table is dumped with ``dynamo_dumpdata`` and loaded into a
fresh prefix with ``dynamo_loaddata`` in a child process, whose peak memory
(ru_maxrss) is reported.
"""

import argparse
import datetime
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from common import ROOT, fmt, print_table, setup_django

from tests.engine import DynaliteServer

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
MEASURED_USER = 1
PER_REQUEST = 25


def bookings(model, users, count, offset):
    for number in range(offset, offset + count):
        user = 2 + number % users
        yield model(
            user_id=user,
            date_at=START + datetime.timedelta(seconds=number),
            date_for=START + datetime.timedelta(days=number % 90),
            address=f"{number} Main St",
            name=f"Booking {number}",
        )


def fill(connector, model, count, offset, users=1000, chunk=5000):
    started = time.perf_counter()
    batch = []
    for booking in bookings(model, users, count, offset):
        batch.append(booking)
        if len(batch) == chunk:
            connector.bulk_insert(batch)
            batch = []
    if batch:
        connector.bulk_insert(batch)
    return time.perf_counter() - started


def page_latency(connector, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        page = connector.select_page([("user", MEASURED_USER)], page_size=PER_REQUEST)
        samples.append(time.perf_counter() - start)
        assert len(page.items) == PER_REQUEST
    return statistics.median(samples) * 1000, sorted(samples)[int(repeat * 0.99) - 1] * 1000


LOAD_SCRIPT = """
import sys
import django
source, root, endpoint_url, prefix, dump = sys.argv[1:]
sys.path[:0] = [source, root]
django.setup()
from django.conf import settings
settings.DYNAMODB_ENDPOINT_URL = endpoint_url
settings.DYNAMODB_TABLE_PREFIX = prefix
from dynamodb.conf import conf
conf.reload()
from django.core.management import call_command
from booking.models import Booking
from dynamodb.connector import Connector
Connector(Booking).create_table()
call_command("dynamo_loaddata", "booking.Booking", dump)
"""


def load_peak_memory(engine_url, dump_file, prefix):
    """Peak RSS (MB) and duration of a dynamo_loaddata child process loading ``dump_file``."""
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    arguments = [str(ROOT / "src"), str(ROOT), engine_url, prefix, str(dump_file)]
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, *arguments], env=env, check=True, capture_output=True
    )
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak_kb / 1024, elapsed


def run(small, large, repeat):
    engine = DynaliteServer().start()
    try:
        setup_django(engine.url, f"scale{int(time.time())}_")
        from django.core.management import call_command

        from booking.models import Booking
        from dynamodb.connector import Connector

        connector = Connector(Booking)
        connector.create_table()
        connector.bulk_insert(
            [
                Booking(
                    user_id=MEASURED_USER,
                    date_at=START + datetime.timedelta(microseconds=n),
                    address="1 Main St",
                    name=f"Mine {n}",
                )
                for n in range(100)
            ]
        )
        rows = []
        fill_small = fill(connector, Booking, small - 100, 0)
        small_latency = page_latency(connector, repeat)
        rows.append((small, fmt(small_latency[0]), fmt(small_latency[1]), fmt(fill_small, 1)))
        fill_large = fill(connector, Booking, large - small, small)
        large_latency = page_latency(connector, repeat)
        rows.append((large, fmt(large_latency[0]), fmt(large_latency[1]), fmt(fill_large, 1)))
        print_table(
            f"List page ({PER_REQUEST}) of one user's partition on dynalite, {repeat} requests",
            ("items in table", "median ms", "p99 ms", "bulk fill s"),
            rows,
        )
        print(
            f"\nLatency at {large} / at {small}: {large_latency[0] / small_latency[0]:.2f} "
            "(target <= 1.3)"
        )
        with tempfile.TemporaryDirectory() as tmp:
            dump = f"{tmp}/bookings.jsonl"
            started = time.perf_counter()
            call_command("dynamo_dumpdata", "booking.Booking", "--output", dump)
            dumped = time.perf_counter() - started
            peak, loaded = load_peak_memory(engine.url, dump, f"load{int(time.time())}_")
        print(
            f"dynamo_dumpdata of {large} bookings: {dumped:.1f} s; dynamo_loaddata: "
            f"{loaded:.1f} s, peak memory {peak:.0f} MB (target < 200 MB)"
        )
    finally:
        engine.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    arguments = parser.parse_args()
    run(arguments.small, arguments.large, arguments.repeat)


if __name__ == "__main__":
    main()
