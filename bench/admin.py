"""The admin's Booking changelist, first page, in a table of 1,000 items and of 100,000.

    ./manage.sh bench admin [--engine dynalite|moto] [--small N] [--large N] [--repeat N]

The changelist reads one page (one request, no count), so its first page
should cost the same whatever the table's size: the target is the time at
100,000 items within 1.3x the time at 1,000. Measured in process with
Django's test client, logged in as a superuser: the default listing (a Scan
page, what the superuser sees first) and one user's partition (a Query,
``?q=user=1``). The table is filled with ``Connector.bulk_insert``
(BatchWriteItem, 25 items a request) across 1,000 users, whose SQL rows
exist so that the page can show them; the measured user has 100 bookings.
"""

import argparse
import datetime
import statistics
import time

from common import fmt, print_table, setup_django
from scale import MEASURED_USER, START, fill

from tests.engine import ENGINES

USERS = 1001  # the measured user and the 1,000 others of scale.fill
MINE = 100  # the measured user's bookings
CHANGELIST = "/admin/booking/booking/"
LISTINGS = {"first page (Scan)": {}, "one user's page (Query)": {"q": f"user={MEASURED_USER}"}}


def prepare(engine_url):
    """Django against the engine, its tables, an SQL database with the users, a logged-in client."""
    setup_django(engine_url, f"admin{int(time.time())}_")
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from dynamodb.connector import Connector
    from dynamodb.storage.tables import dynamo_models

    setup_test_environment()  # the test client's host is allowed
    for model in dynamo_models():  # Booking's, and the cache's (logins, throttles)
        Connector(model).create_table()
    call_command("migrate", verbosity=0)
    User.objects.bulk_create(
        [User(id=n, username=f"user-{n}", is_staff=n == MEASURED_USER) for n in range(1, USERS + 1)]
    )
    superuser = User.objects.get(id=MEASURED_USER)
    superuser.is_superuser = True
    superuser.save()
    client = Client()
    client.force_login(superuser)
    return client


def page_times(client, params, repeat):
    """(median ms, p99 ms) of the changelist's first page."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(CHANGELIST, params)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        assert len(response.context["cl"].result_list) == 25
    ordered = sorted(samples)
    return statistics.median(samples) * 1000, ordered[max(0, int(repeat * 0.99) - 1)] * 1000


def run(engine_name, small, large, repeat):
    engine = ENGINES[engine_name]().start()
    try:
        client = prepare(engine.url)
        from booking.models import Booking
        from dynamodb.connector import Connector

        connector = Connector(Booking)
        connector.bulk_insert(
            [
                Booking(
                    user_id=MEASURED_USER,
                    date_at=START - datetime.timedelta(days=1, microseconds=n),
                    address="1 Main St",
                    name=f"Mine {n}",
                )
                for n in range(MINE)
            ]
        )
        rows, times = [], {}
        filled = MINE
        for size in (small, large):
            seconds = fill(connector, Booking, size - filled, filled)
            filled = size
            for name, params in LISTINGS.items():
                times[size, name] = page_times(client, params, repeat)
                median, p99 = times[size, name]
                rows.append((size, name, fmt(median), fmt(p99), fmt(seconds, 1)))
        print_table(
            f"Admin changelist, first page of 25, on {engine_name}, {repeat} requests each",
            ("items in table", "listing", "median ms", "p99 ms", "fill s (BatchWriteItem)"),
            rows,
        )
        for name in LISTINGS:
            ratio = times[large, name][0] / times[small, name][0]
            print(f"{name}: median at {large} / at {small}: {ratio:.2f} (target <= 1.3)")
    finally:
        engine.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), default="dynalite")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    arguments = parser.parse_args()
    run(arguments.engine, arguments.small, arguments.large, arguments.repeat)


if __name__ == "__main__":
    main()
