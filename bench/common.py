"""Shared plumbing of the benchmarks: an engine, Django, timing and the report.

Benchmarks are not tests: they print tables and ratios measured in the same
run against the same engine, and never gate CI.
"""

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

for name, value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "DJANGO_SETTINGS_MODULE": "tests.settings",
}.items():
    os.environ.setdefault(name, value)


def setup_django(endpoint_url, prefix):
    """Configure Django for the engine at ``endpoint_url`` with a table prefix of the run."""
    import django

    django.setup()
    use_settings(
        DYNAMODB_ENDPOINT_URL=endpoint_url, DYNAMODB_TABLE_PREFIX=prefix, DYNAMODB_MAX_ATTEMPTS=3
    )


def use_settings(**values):
    """Set Django settings for the rest of the run; the dynamodb app reads them anew."""
    from django.conf import settings

    from dynamodb.conf import conf

    for name, value in values.items():
        setattr(settings, name, value)
    conf.reload()


def raw_boto3_client(endpoint_url):
    """A boto3 client as a careful user builds one by hand: standard retries, 3 attempts."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )


@contextlib.contextmanager
def booking_table(engine_name):
    """An engine of its own, Django set up against it, and the Booking table: its name."""
    from tests.engine import ENGINES

    engine = ENGINES[engine_name]().start()
    try:
        setup_django(engine.url, f"bench{int(time.time())}_")
        from booking.models import Booking
        from dynamodb.connector import Connector

        connector = Connector(Booking)
        connector.create_table()
        yield connector.schema.table_name
    finally:
        engine.stop()


def measure(operation, repeat):
    """Per-call times of ``operation(index)`` in ms: (median wall, mean process CPU, p99 wall)."""
    walls = []
    cpu_start = time.process_time()
    for index in range(repeat):
        start = time.perf_counter()
        operation(index)
        walls.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu_start) / repeat
    return statistics.median(walls) * 1000, cpu * 1000, sorted(walls)[int(repeat * 0.99) - 1] * 1000


def print_table(title, header, rows):
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def fmt(value, digits=2):
    return f"{value:.{digits}f}"
