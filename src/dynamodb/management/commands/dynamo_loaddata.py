"""Load a JSON Lines file written by dynamo_dumpdata into a DynamoCompatibleModel's table."""

import sqlite3
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dynamodb import items, jsonlines
from dynamodb.connector import Connector
from dynamodb.exceptions import BatchWriteFailed, DynamoError, InvalidBatchItem, ValidationError
from dynamodb.management.progress import Progress
from dynamodb.tables import dynamo_model


class SeenKeys:
    """The key and id of every line read so far, so that no line overwrites another.

    Kept in a temporary SQLite file, not in memory: memory stays flat
    whatever the size of the file being loaded.
    """

    def __init__(self, schema):
        self.schema = schema
        self._directory = tempfile.TemporaryDirectory(prefix="dynamo_loaddata-")
        self._db = sqlite3.connect(Path(self._directory.name) / "seen.sqlite3")
        self._db.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
            "CREATE TABLE seen (kind TEXT, value TEXT, line INTEGER, PRIMARY KEY (kind, value))"
            " WITHOUT ROWID;"
        )

    def earlier_line(self, instance, number):
        """(what, line) of an earlier line with this instance's key or id; else None, noted."""
        schema = self.schema
        key_converters = [c for c in (schema.table.partition, schema.table.sort) if c]
        seen = [("key", repr([c.to_dynamo(getattr(instance, c.attname)) for c in key_converters]))]
        pk = getattr(instance, schema.pk.attname)
        if pk is not None and schema.pk not in key_converters:
            seen.append(("id", repr(schema.pk.to_dynamo(pk))))
        for kind, value in seen:
            try:
                self._db.execute("INSERT INTO seen VALUES (?, ?, ?)", (kind, value, number))
            except sqlite3.IntegrityError:
                (line,) = self._db.execute(
                    "SELECT line FROM seen WHERE kind = ? AND value = ?", (kind, value)
                ).fetchone()
                if kind == "key":
                    return f"its key ({items.describe_key(instance)})", line
                return f"its id ({schema.pk.name}={pk})", line
        return None

    def close(self):
        self._db.close()
        self._directory.cleanup()


class Command(BaseCommand):
    help = (
        "Load a JSON Lines file written by dynamo_dumpdata into a DynamoCompatibleModel's "
        "table, streaming it and writing with bulk_insert in batches. Ids and keys come from "
        "the file, and an item of the table with the same key is overwritten with the file's "
        "data: after a failure, fix the line and run the command again; it rewrites the lines "
        "already loaded with the same data, so nothing is lost or duplicated. A bad line "
        "(invalid JSON, a value its field cannot take, or the key or id of an earlier line) "
        "stops the load with its line number, after every line before it was written. The id "
        "counter is moved past the loaded ids."
    )

    def add_arguments(self, parser):
        parser.add_argument("label", metavar="app_label.ModelName")
        parser.add_argument("file", help="A file written by dynamo_dumpdata.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Lines validated and written together (default 500).",
        )

    def handle(self, *args, label, file, batch_size, **options):
        model = dynamo_model(label)
        if batch_size < 1:
            raise CommandError("--batch-size must be a positive integer.")
        self.connector = Connector(model)
        self.file = file
        self.loaded = 0
        self.progress = Progress(self.stderr, "Loaded")
        self.seen = SeenKeys(self.connector.schema)
        try:
            with open(file, encoding="utf-8") as stream:
                self._load(stream, batch_size)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        finally:
            self.seen.close()
            self.progress.finish()
        self.stdout.write(f"Loaded {self.loaded} items of {model._meta.label} from {file}.")

    def _load(self, stream, batch_size):
        batch, numbers = [], []
        number = 0
        try:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    instance = jsonlines.loads(self.connector.model, line)
                    earlier = self.seen.earlier_line(instance, number)
                except ValidationError as error:
                    self._write(batch, numbers)
                    raise self._bad_line(number, error.field, " ".join(error.messages)) from error
                if earlier is not None:
                    self._write(batch, numbers)
                    what, line = earlier
                    raise self._bad_line(number, None, f"{what} is already on line {line}")
                batch.append(instance)
                numbers.append(number)
                if len(batch) == batch_size:
                    self._write(batch, numbers)
                    batch, numbers = [], []
        except UnicodeDecodeError as error:
            self._write(batch, numbers)
            raise CommandError(
                f"{self.file}: not UTF-8 text after line {number} ({error.reason}). Every line "
                f"up to it was loaded ({self.loaded} items)."
            ) from error
        self._write(batch, numbers)

    def _write(self, batch, numbers):
        """Write a batch of valid-looking lines; on a refused one, write those before it."""
        if not batch:
            return
        try:
            self.connector.bulk_insert(batch)
        except InvalidBatchItem as error:
            self._write(batch[: error.position], numbers[: error.position])
            reason = error.reason
            if error.duplicate_of is not None:
                reason += f", at line {numbers[error.duplicate_of]}"
            raise self._bad_line(numbers[error.position], error.field, reason) from error
        except BatchWriteFailed as error:
            failed = [
                n for n, instance in zip(numbers, batch, strict=True) if instance._state.adding
            ]
            self.loaded += len(batch) - len(failed)
            raise CommandError(
                f"{self.file}: these lines were not written: {', '.join(map(str, failed))}. "
                f"{error} Run the command again: it rewrites what was loaded with the same data."
            ) from error
        except DynamoError as error:
            raise CommandError(
                f"{self.file}: {error} ({self.loaded} items were loaded before it; run the "
                "command again once the engine answers)."
            ) from error
        self.loaded += len(batch)
        self.progress.update(self.loaded)

    def _bad_line(self, number, field, reason):
        where = f"field {field!r}: " if field else ""
        reason = reason if reason.endswith(".") else f"{reason}."
        return CommandError(
            f"{self.file}, line {number}: {where}{reason} Every line before it was loaded "
            f"({self.loaded} items); fix the line and run the command again."
        )
