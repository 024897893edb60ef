"""Write every item of a DynamoCompatibleModel's table as JSON Lines."""

import contextlib

from django.core.management.base import BaseCommand, CommandError

from dynamodb.connector import Connector
from dynamodb.exceptions import DynamoError
from dynamodb.management.progress import Progress
from dynamodb.storage import jsonlines
from dynamodb.storage.tables import dynamo_model

PROGRESS_EVERY = 1000


class Command(BaseCommand):
    help = (
        "Write every item of a DynamoCompatibleModel's table as JSON Lines (one JSON object "
        "per line, every field, exact: microseconds, Decimals as strings, bytes as base64), "
        "for dynamo_loaddata. The table is read with a paginated Scan, so memory stays flat "
        "whatever its size. A Scan is not a snapshot: items written meanwhile may be missed "
        "or included."
    )

    def add_arguments(self, parser):
        parser.add_argument("label", metavar="app_label.ModelName")
        parser.add_argument(
            "-o", "--output", help="Write to this file instead of the standard output."
        )
        parser.add_argument(
            "--page-size", type=int, default=500, help="Items per Scan request (default 500)."
        )

    def handle(self, *args, label, output, page_size, **options):
        model = dynamo_model(label)
        if page_size < 1:
            raise CommandError("--page-size must be a positive integer.")
        progress = Progress(self.stderr, "Dumped")
        count = 0
        try:
            with self._lines(output) as write:
                for instance in Connector(model).all(page_size=page_size):
                    write(jsonlines.dumps(instance))
                    count += 1
                    if count % PROGRESS_EVERY == 0:
                        progress.update(count)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
        except DynamoError as error:
            raise CommandError(f"{label}: {error} ({count} items were written).") from error
        finally:
            progress.finish()
        # On stderr when the items go to stdout, which must hold nothing but JSON Lines.
        summary = self.stdout if output else self.stderr
        target = f" to {output}" if output else ""
        summary.write(f"Dumped {count} items of {model._meta.label}{target}.", style_func=str)

    @contextlib.contextmanager
    def _lines(self, output):
        """A function writing one line to the output file or the standard output."""
        if output is None:
            yield self.stdout.write
            return
        with open(output, "w", encoding="utf-8", newline="\n") as stream:
            yield lambda line: stream.write(line + "\n")
