"""The admin's Booking changelist, first page, in a table of 1,000 items and of 100,000.

    ./manage.sh bench admin [--engine dynalite|moto] [--small N] [--large N] [--repeat N]

The changelist reads one page (one request, no count), so its first page
should cost the same whatever the table's size: the target is the time at
100,000 items within 1.3x the time at 1,000. Measured in process with
Django's test client, logged in as a superuser: the default listing (a Scan
page, what the superuser sees first) and one user's partition (a Query,
``?q=user=1``); beside each, the one DynamoDB read the page makes
(``QuerySet.page``). Two tables under two prefixes of one engine, filled
with ``Connector.bulk_insert`` (BatchWriteItem, 25 items a request) across
1,000 users whose SQL rows exist so that the page can show them; the
measured user has 100 bookings in each. The two tables are measured in
alternating rounds, so that the machine's load and the process's state
weigh on both alike.
"""

import argparse
import datetime
import statistics
import time

from common import fmt, print_table, setup_django, use_settings
from scale import MEASURED_USER, START, fill

from tests.engine import ENGINES

USERS = 1001  # the measured user and the 1,000 others of scale.fill
MINE = 100  # the measured user's bookings
ROUNDS = 5
CHANGELIST = "/admin/booking/booking/"
LISTINGS = {"Scan page": {}, "one user's page (Query)": {"q": f"user={MEASURED_USER}"}}


def prepare(engine_url):
    """Django against the engine, and an SQL database with the users; their test client."""
    setup_django(engine_url, "unused_")
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host is allowed
    call_command("migrate", verbosity=0)
    User.objects.bulk_create([User(id=n, username=f"user-{n}") for n in range(1, USERS + 1)])
    User.objects.filter(id=MEASURED_USER).update(is_superuser=True, is_staff=True)
    return Client()


def filled_table(prefix, size):
    """The tables under ``prefix``, Booking's filled with ``size`` items: the fill's seconds."""
    from booking.models import Booking
    from dynamodb.connector import Connector
    from dynamodb.storage.tables import dynamo_models

    use_settings(DYNAMODB_TABLE_PREFIX=prefix)
    for model in dynamo_models():  # Booking's, and the cache's (logins)
        Connector(model).create_table()
    connector = Connector(Booking)
    started = time.perf_counter()
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
    fill(connector, Booking, size - MINE, 0)
    return time.perf_counter() - started


def samples(client, params, repeat):
    """Seconds of the changelist's first page, and of its one DynamoDB read, ``repeat`` times."""
    from booking.models import Booking

    queryset = Booking.objects.all()
    queryset = (
        queryset.filter(user=MEASURED_USER).order_by("-date_at") if params else (queryset.scan())
    )
    client.get(CHANGELIST, params)  # a client and connection for this table's prefix
    pages, reads = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(CHANGELIST, params)
        pages.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        assert len(response.context["cl"].result_list) == 25
        started = time.perf_counter()
        queryset.page(26)
        reads.append(time.perf_counter() - started)
    return pages, reads


def run(engine_name, small, large, repeat):
    engine = ENGINES[engine_name]().start()
    try:
        client = prepare(engine.url)
        run_id = int(time.time())
        prefixes = {size: f"admin{run_id}_{size}_" for size in (small, large)}
        fills = {size: filled_table(prefix, size) for size, prefix in prefixes.items()}
        from django.contrib.auth.models import User

        client.force_login(User.objects.get(id=MEASURED_USER))
        measured = {(size, name): ([], []) for size in prefixes for name in LISTINGS}
        for _round in range(ROUNDS):
            for size, prefix in prefixes.items():
                use_settings(DYNAMODB_TABLE_PREFIX=prefix)
                for name, params in LISTINGS.items():
                    pages, reads = samples(client, params, repeat // ROUNDS)
                    measured[size, name][0].extend(pages)
                    measured[size, name][1].extend(reads)
        rows = []
        for (size, name), (pages, reads) in measured.items():
            ordered = sorted(pages)
            rows.append(
                (
                    size,
                    name,
                    fmt(statistics.median(pages) * 1000),
                    fmt(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000),
                    fmt(statistics.median(reads) * 1000),
                    fmt(fills[size], 1),
                )
            )
        print_table(
            f"Admin changelist, first page of 25, on {engine_name}: {ROUNDS} alternating rounds, "
            f"{repeat} requests each",
            ("items", "listing", "page median ms", "page p99 ms", "read median ms", "fill s"),
            rows,
        )
        for name in LISTINGS:
            pages = [statistics.median(measured[size, name][0]) for size in (small, large)]
            reads = [statistics.median(measured[size, name][1]) for size in (small, large)]
            print(
                f"{name}: page at {large} / at {small}: {pages[1] / pages[0]:.2f} "
                f"(target <= 1.3); its DynamoDB read: {reads[1] / reads[0]:.2f}"
            )
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
