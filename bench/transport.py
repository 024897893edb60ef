"""Client CPU per operation: the lean transport against boto3, raw and through the Connector.

    ./manage.sh bench transport [--engine moto|dynalite] [--repeat N] [--rounds N]

For get, insert, update (one field) and select (one page of 25), measures the
benchmark process's CPU time per operation (the engine runs in another
process, so this is the client's own cost) of:

- boto3: hand-written calls on the boto3 client (connector_vs_boto3.Raw);
- lean: the same calls on ``transport.LeanClient``;
- Connector/boto3, Connector/lean: the Connector with ``DYNAMODB_TRANSPORT`` set to each;

then each one's ratio to boto3. The libraries alternate in rounds so that
drift in the engine affects them alike; a round's CPU is its mean per call,
and the table shows the median round. Issue 5's rule: lean becomes the
default only if it at least halves the client CPU per operation against raw
boto3. moto's server closes the connection after every response, so there
every call also pays a TCP connect; dynalite keeps connections alive, as
DynamoDB does. ``transport_floor.py`` breaks a GetItem down further.
"""

import argparse
import datetime
import itertools
import statistics
import time

from common import booking_table, fmt, print_table, use_settings
from connector_vs_boto3 import START, Raw, ViaConnector

from tests.engine import ENGINES

OPERATIONS = ("insert", "get", "update", "select")
# Moments of the warm-up calls, apart from the measured ones.
_warm_ups = (START - datetime.timedelta(days=1, microseconds=n) for n in itertools.count())


class RawOn(Raw):
    """Raw boto3 calls on a plain boto3 client, or on the Connector's lean client."""

    def __init__(self, table, user, transport):
        from dynamodb.wire.client import get_client

        super().__init__(table, user)
        if transport == "lean":
            use_settings(DYNAMODB_TRANSPORT=transport)
            self.client = get_client()
        self.name = transport
        self.transport = transport


class ConnectorOn(ViaConnector):
    """The Connector, its client switched to one transport before each measured run."""

    def __init__(self, table, user, transport):
        super().__init__(table, user)
        self.name = f"Connector/{transport}"
        self.transport = transport


def cpu_per_call(library, operation, moments):
    """Mean process CPU ms per call of ``operation`` over ``moments`` (one warm-up call first)."""
    use_settings(DYNAMODB_TRANSPORT=library.transport)
    method = getattr(library, operation)
    warm_up = next(_warm_ups)
    if operation == "update":
        library.insert(warm_up)
    method(warm_up)
    start = time.process_time()
    for moment in moments:
        method(moment)
    return (time.process_time() - start) / len(moments) * 1000


def run(engine_name, repeat, rounds):
    with booking_table(engine_name) as table:
        libraries = [
            RawOn(table, 1, "boto3"),
            RawOn(table, 2, "lean"),
            ConnectorOn(table, 3, "boto3"),
            ConnectorOn(table, 4, "lean"),
        ]
        moments = [START + datetime.timedelta(microseconds=n) for n in range(repeat * rounds)]
        results = {}
        for operation in OPERATIONS:
            for number in range(rounds):
                chunk = moments[number * repeat : (number + 1) * repeat]
                for library in libraries:
                    cpu = cpu_per_call(library, operation, chunk)
                    results.setdefault((operation, library.name), []).append(cpu)
    names = [library.name for library in libraries]
    rows = []
    for operation in OPERATIONS:
        medians = [statistics.median(results[(operation, name)]) for name in names]
        rows.append(
            [operation, *(fmt(cpu, 3) for cpu in medians)]
            + [fmt(cpu / medians[0]) for cpu in medians[1:]]
        )
    print_table(
        f"Client CPU per operation, ms, and ratio to raw boto3 ({engine_name}; median of "
        f"{rounds} rounds x {repeat} calls)",
        ("operation", *names, *(f"{name} / boto3" for name in names[1:])),
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), default="moto")
    parser.add_argument("--repeat", type=int, default=200, help="calls per round (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    arguments = parser.parse_args()
    run(arguments.engine, arguments.repeat, arguments.rounds)


if __name__ == "__main__":
    main()
