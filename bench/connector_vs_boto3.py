"""The Connector and the QuerySet against raw boto3 and PynamoDB, on one table and engine.

    ./manage.sh bench connector [--repeat N] [--bulk N] [--engine moto|dynalite]

For get, insert, update (one field), select (one page of 25), bulk insert
and, on an engine with transactions, a transaction of 10 puts (TransactWriteItems),
prints per-operation median wall time, p99, and the benchmark process's CPU
time per operation (the engine runs in another process, so CPU is the
library's own cost), then the ratios Connector / boto3, Connector / PynamoDB and
QuerySet / Connector.
"QuerySet" is ``Model.objects`` (``create``, ``get``, ``save(update_fields=...)``,
a slice of 25 of ``filter(user=...)``).
"Connector" runs on its default transport (lean); "Connector on boto3" on
``DYNAMODB_TRANSPORT=boto3``, which shows what the Connector itself adds to a
boto3 client. Operations of the libraries alternate in rounds so that drift in
the engine affects them alike. moto's server closes the connection after every
answer, so there every call also pays a TCP connect; dynalite keeps
connections alive, as DynamoDB does. Then the async rows: the same get,
N at a time through ``asyncio.gather`` (``aget``), against raw aiohttp and the
sync transport (bench/async_transport.py).
"""

import argparse
import datetime
import decimal
import itertools

import async_transport
from common import booking_table, fmt, measure, print_table, raw_boto3_client, use_settings

from tests.engine import ENGINES

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# The transaction row: TransactWriteItems of this many puts, a microsecond apart.
TX_ITEMS = 10
TX_STEP = datetime.timedelta(microseconds=1)
TX_CALLS = 20
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def epoch(moment):
    delta = moment - EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return decimal.Decimal(micros).scaleb(-6)


class Raw:
    """Hand-written boto3 calls with the same semantics as the Connector's."""

    name = "boto3"

    def __init__(self, table, user):
        from django.conf import settings

        self.client = raw_boto3_client(settings.DYNAMODB_ENDPOINT_URL)
        self.table = table
        self.user = user
        self.ids = itertools.count(10_000_000)

    def key(self, moment):
        return {"user": {"N": str(self.user)}, "date_at": {"N": str(epoch(moment))}}

    def insert(self, moment):
        item = self.item(moment)
        self.client.put_item(
            TableName=self.table,
            Item=item,
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": "user"},
        )

    def get(self, moment):
        return self.client.get_item(TableName=self.table, Key=self.key(moment), ConsistentRead=True)

    def update(self, moment):
        self.client.update_item(
            TableName=self.table,
            Key=self.key(moment),
            UpdateExpression="SET #n = :n",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#n": "name", "#pk": "user"},
            ExpressionAttributeValues={":n": {"S": "Lunch"}},
            ReturnValues="ALL_NEW",
        )

    def transaction(self, moment):
        """TransactWriteItems of 10 conditional puts of new items."""
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": self.item(moment + TX_STEP * n),
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": "user"},
                    }
                }
                for n in range(TX_ITEMS)
            ]
        )

    def item(self, moment):
        return {
            **self.key(moment),
            "id": {"N": str(next(self.ids))},
            "date_for": {"N": str(epoch(moment))},
            "address": {"S": "1 Main St"},
            "name": {"S": "Dinner"},
        }

    def select(self, _):
        return self.client.query(
            TableName=self.table,
            KeyConditionExpression="#u = :u",
            ExpressionAttributeNames={"#u": "user"},
            ExpressionAttributeValues={":u": {"N": str(self.user)}},
            Limit=25,
            ConsistentRead=True,
        )["Items"]

    def prepare(self):
        """Called before each measured series (the Connector selects its transport here)."""

    def bulk(self, moments):
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        **self.key(moment),
                        "id": {"N": str(next(self.ids))},
                        "date_for": {"N": str(epoch(moment))},
                        "address": {"S": "1 Main St"},
                        "name": {"S": "Dinner"},
                    }
                }
            }
            for moment in moments
        ]
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            while pending:
                response = self.client.batch_write_item(RequestItems={self.table: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table)


class ViaConnector:
    name = "Connector"
    transport = "lean"

    def __init__(self, table, user):
        from booking.models import Booking
        from dynamodb.connector import Connector

        self.model = Booking
        self.connector = Connector(Booking)
        self.user = user
        self.loaded = {}

    def prepare(self):
        from dynamodb.wire.client import get_client

        use_settings(DYNAMODB_TRANSPORT=self.transport)
        get_client()  # built outside the measured calls

    def booking(self, moment):
        return self.model(
            user_id=self.user, date_at=moment, date_for=moment, address="1 Main St", name="Dinner"
        )

    def insert(self, moment):
        self.loaded[moment] = self.connector.insert(self.booking(moment))

    def get(self, moment):
        return self.connector.get([("user", self.user), ("date_at", moment)])

    def update(self, moment):
        booking = self.loaded[moment]
        booking.name = "Lunch"
        self.connector.update(booking, fields=["name"])

    def select(self, _):
        return self.connector.select_page([("user", self.user)], page_size=25).items

    def transaction(self, moment):
        self.connector.transact_write(
            [("insert", self.booking(moment + TX_STEP * n)) for n in range(TX_ITEMS)]
        )

    def bulk(self, moments):
        self.connector.bulk_insert([self.booking(moment) for moment in moments])


class ViaQuerySet(ViaConnector):
    """Model.objects: the QuerySet and the model's save(), on the default transport."""

    name = "QuerySet"

    def insert(self, moment):
        self.loaded[moment] = self.model.objects.create(
            user_id=self.user, date_at=moment, date_for=moment, address="1 Main St", name="Dinner"
        )

    def get(self, moment):
        return self.model.objects.get(user=self.user, date_at=moment)

    def update(self, moment):
        booking = self.loaded[moment]
        booking.name = "Lunch"
        booking.save(update_fields=["name"])

    def select(self, _):
        return list(self.model.objects.filter(user=self.user)[:25])

    def bulk(self, moments):
        """None: bulk_create never overwrites, so it is conditional puts, not BatchWriteItem."""

    def transaction(self, moment):
        from dynamodb.transaction import atomic

        with atomic():
            for n in range(TX_ITEMS):
                self.model.objects.create(
                    user_id=self.user,
                    date_at=moment + TX_STEP * n,
                    date_for=moment,
                    address="1 Main St",
                    name="Dinner",
                )


class ViaConnectorOnBoto3(ViaConnector):
    name = "Connector on boto3"
    transport = "boto3"


class ViaPynamo:
    name = "PynamoDB"

    def __init__(self, table, user):
        from django.conf import settings
        from pynamodb.attributes import NumberAttribute, UnicodeAttribute
        from pynamodb.models import Model

        class PBooking(Model):
            class Meta:
                table_name = table
                host = settings.DYNAMODB_ENDPOINT_URL
                region = "us-east-1"

            user = NumberAttribute(hash_key=True)
            date_at = NumberAttribute(range_key=True)
            id = NumberAttribute()
            date_for = NumberAttribute()
            address = UnicodeAttribute()
            name = UnicodeAttribute()

        self.model = PBooking
        self.prepare = lambda: None
        self.user = user
        self.ids = itertools.count(20_000_000)
        self.loaded = {}

    def item(self, moment):
        stamp = float(epoch(moment))
        return self.model(
            self.user,
            stamp,
            id=next(self.ids),
            date_for=stamp,
            address="1 Main St",
            name="Dinner",
        )

    def insert(self, moment):
        item = self.item(moment)
        item.save(condition=self.model.user.does_not_exist())
        self.loaded[moment] = item

    def get(self, moment):
        return self.model.get(self.user, float(epoch(moment)), consistent_read=True)

    def update(self, moment):
        self.loaded[moment].update(
            actions=[self.model.name.set("Lunch")], condition=self.model.user.exists()
        )

    def select(self, _):
        return list(self.model.query(self.user, limit=25, consistent_read=True))

    def bulk(self, moments):
        with self.model.batch_write() as batch:
            for moment in moments:
                batch.save(self.item(moment))


def run(engine_name, repeat, bulk_size, rounds=3):
    with booking_table(engine_name) as table:
        libraries = [
            Raw(table, 1),
            ViaConnector(table, 2),
            ViaQuerySet(table, 5),
            ViaConnectorOnBoto3(table, 4),
            ViaPynamo(table, 3),
        ]
        moments = [START + datetime.timedelta(microseconds=n) for n in range(repeat * rounds)]
        results = {}
        tx_moments = [
            START + datetime.timedelta(days=500, microseconds=n * TX_ITEMS)
            for n in range(repeat * rounds)
        ]
        operations = ["insert", "get", "update", "select"]
        if "transactions" in ENGINES[engine_name].capabilities:
            # First, and fewer: moto copies the whole table for each transaction.
            operations.insert(0, "transaction")
            for n, library in enumerate(libraries):  # botocore loads its models on first use
                if hasattr(library, "transaction"):
                    library.prepare()
                    library.transaction(START + datetime.timedelta(days=900 + n))
        for operation in operations:
            calls = min(repeat, TX_CALLS) if operation == "transaction" else repeat
            for round_number in range(rounds):
                source = tx_moments if operation == "transaction" else moments
                chunk = source[round_number * calls : (round_number + 1) * calls]
                for library in libraries:
                    if not hasattr(library, operation):
                        continue
                    library.prepare()
                    method = getattr(library, operation)
                    wall, cpu, p99 = measure(lambda i, m=method, c=chunk: m(c[i]), calls)
                    results.setdefault((operation, library.name), []).append((wall, cpu, p99))
        # Each library writes bulk_size items, in `rounds` alternating parts.
        part = bulk_size // rounds
        day = 0
        for _round in range(rounds):
            for library in libraries:
                if isinstance(library, ViaQuerySet):
                    continue
                day += 1
                part_moments = [
                    START + datetime.timedelta(days=day, microseconds=n) for n in range(part)
                ]
                library.prepare()
                wall, cpu, _ = measure(lambda _i, lib=library, m=part_moments: lib.bulk(m), 1)
                results.setdefault(("bulk insert", library.name), []).append(
                    (wall / part, cpu / part, wall)
                )
        report(results, engine_name, repeat, rounds, part)


def report(results, engine_name, repeat, rounds, bulk_size):
    rows = []
    for (operation, name), samples in results.items():
        wall = sorted(s[0] for s in samples)[len(samples) // 2]
        cpu = sum(s[1] for s in samples) / len(samples)
        p99 = max(s[2] for s in samples)
        rows.append((operation, name, fmt(wall, 3), fmt(p99, 3), fmt(cpu, 3)))
    print_table(
        f"Per operation, ms ({engine_name}; {rounds} rounds x {repeat} calls; bulk: per item, "
        f"{rounds} rounds x {bulk_size} items, p99 column = the slowest round's whole bulk)",
        ("operation", "library", "wall median", "wall p99", "client CPU"),
        rows,
    )
    ratio_rows = []
    operations = dict.fromkeys(operation for operation, _ in results)
    for operation in operations:

        def value(name, column, op=operation):
            samples = results.get((op, name))
            if not samples:
                return None
            if column == 0:
                return sorted(s[0] for s in samples)[len(samples) // 2]
            return sum(s[1] for s in samples) / len(samples)

        row = [operation]
        for ours, other in (
            ("Connector", "boto3"),
            ("Connector", "PynamoDB"),
            ("QuerySet", "Connector"),
            ("Connector on boto3", "boto3"),
        ):
            ours_wall, ours_cpu = value(ours, 0), value(ours, 1)
            other_wall, other_cpu = value(other, 0), value(other, 1)
            row += [
                fmt(ours_wall / other_wall) if ours_wall and other_wall else "-",
                fmt(ours_cpu / other_cpu) if ours_cpu and other_cpu else "-",
            ]
        ratio_rows.append(row)
    print_table(
        "Ratios of the Connector (below 1 means the Connector is cheaper)",
        (
            "operation",
            "wall vs boto3",
            "CPU vs boto3",
            "wall vs PynamoDB",
            "CPU vs PynamoDB",
            "QuerySet: wall vs Connector",
            "CPU vs Connector",
            "on boto3: wall vs boto3",
            "CPU vs boto3",
        ),
        ratio_rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100, help="calls per round (default 100)")
    parser.add_argument("--bulk", type=int, default=10_000, help="items of the bulk insert")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="moto")
    parser.add_argument(
        "--async-concurrency", type=int, default=16, help="gets gathered at once, async rows"
    )
    arguments = parser.parse_args()
    run(arguments.engine, arguments.repeat, arguments.bulk)
    # The async rows: the same get, asyncio.gather of N at a time (bench/async_transport.py).
    async_transport.run(arguments.engine, arguments.repeat * 10, arguments.async_concurrency)


if __name__ == "__main__":
    main()
