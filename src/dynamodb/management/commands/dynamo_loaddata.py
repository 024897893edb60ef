"""Load a JSON Lines file written by dynamo_dumpdata into a DynamoCompatibleModel's table."""

import decimal
import sqlite3
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dynamodb import constants
from dynamodb.connector import Connector
from dynamodb.exceptions import BatchWriteFailed, DynamoError, InvalidBatchItem, ValidationError
from dynamodb.management.progress import Progress
from dynamodb.storage import items, jsonlines
from dynamodb.storage.tables import dynamo_model

# Enough digits for any DynamoDB number (38) and a trailing zero dropped by normalize().
NUMBER_CONTEXT = decimal.Context(prec=constants.MAX_NUMBER_DIGITS + 1)


def _identity(value):
    """A DynamoDB value as text equal for equal values (1.10 and 1.1, 0 and -0.00)."""
    if isinstance(value, decimal.Decimal):
        value = decimal.Decimal(0) if not value else value.normalize(NUMBER_CONTEXT)
    return repr(value)


class SeenKeys:
    """The key and id of every line read so far, so that no line overwrites another.

    Kept in a temporary SQLite file, not in memory, so that the process's
    memory stays flat whatever the size of the file being loaded.
    """

    def __init__(self, schema):
        self.schema = schema
        self._directory = tempfile.TemporaryDirectory(prefix="dynamo_loaddata-")
        try:
            self._db = sqlite3.connect(Path(self._directory.name) / "seen.sqlite3")
            self._db.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                "CREATE TABLE seen (kind TEXT, value TEXT, line INTEGER,"
                " PRIMARY KEY (kind, value)) WITHOUT ROWID;"
            )
        except sqlite3.Error:
            self._directory.cleanup()
            raise

    def earlier_line(self, instance, number):
        """(what, line) of an earlier line with this instance's key or id; else None, noted."""
        schema = self.schema
        key_converters = [c for c in (schema.table.partition, schema.table.sort) if c]
        key = [_identity(c.to_dynamo(getattr(instance, c.attname))) for c in key_converters]
        seen = [("key", repr(key))]
        if schema.pk not in key_converters:
            seen += self._ids(instance)
        for kind, value in seen:
            earlier = self._note(kind, value, number)
            if earlier is not None:
                if kind == "key":
                    return f"its key ({items.describe_key(schema, instance)})", earlier
                return f"its id ({schema.pk.name}={getattr(instance, schema.pk.attname)})", earlier
        return None

    def note_allocated_id(self, instance, number):
        """Note the id bulk_insert gave a line without one: a later line may not reuse it."""
        for kind, value in self._ids(instance):
            self._note(kind, value, number)

    def _ids(self, instance):
        pk = getattr(instance, self.schema.pk.attname)
        return [] if pk is None else [("id", _identity(self.schema.pk.to_dynamo(pk)))]

    def _note(self, kind, value, number):
        """None after noting ``value`` for line ``number``; the earlier line if already noted."""
        try:
            self._db.execute("INSERT INTO seen VALUES (?, ?, ?)", (kind, value, number))
        except sqlite3.IntegrityError:
            query = "SELECT line FROM seen WHERE kind = ? AND value = ?"
            return self._db.execute(query, (kind, value)).fetchone()[0]
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
        try:
            self.seen = SeenKeys(self.connector.schema)
        except (OSError, sqlite3.Error) as error:
            raise CommandError(
                f"Cannot note the keys read in a temporary file: {error}."
            ) from error
        self.progress = Progress(self.stderr, "Loaded")
        try:
            with open(file, encoding="utf-8") as stream:
                self._load(stream, batch_size)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except sqlite3.Error as error:
            raise CommandError(
                f"{file}: cannot note the keys read in a temporary file ({error}); "
                f"{self.loaded} items were loaded. Make room for temporary files (TMPDIR) "
                "and run the command again: it rewrites what was loaded with the same data."
            ) from error
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
                    what, earlier_number = earlier
                    raise self._bad_line(
                        number, None, f"{what} is already on line {earlier_number}"
                    )
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
        pk = self.connector.schema.pk
        allocated = {
            n for n, i in zip(numbers, batch, strict=True) if getattr(i, pk.attname) is None
        }
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
        for instance, number in zip(batch, numbers, strict=True):
            if number in allocated:
                self.seen.note_allocated_id(instance, number)
        self.loaded += len(batch)
        self.progress.update(self.loaded)

    def _bad_line(self, number, field, reason):
        where = f"field {field!r}: " if field else ""
        reason = reason if reason.endswith(".") else f"{reason}."
        return CommandError(
            f"{self.file}, line {number}: {where}{reason} Every line before it was loaded "
            f"({self.loaded} items); fix the line and run the command again."
        )
