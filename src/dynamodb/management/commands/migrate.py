"""Django's migrate, applying the DynamoDB tables' operations too.

Beyond Django's: ``--plan`` prints the exact requests of each DynamoDB
operation and sends nothing (the drift check, which reads the tables, is left
out); ``--dry-run`` does the same and also runs each RunDynamoPython function
over its table to count the items it would change, writing nothing. The
operations say what they do, and how far a long one is, on this command's
output. An engine's failure is a CommandError saying that running migrate
again carries on.
"""

from textwrap import indent

from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import connections

from dynamodb.exceptions import DynamoError
from dynamodb.management.autodetector import DynamoAutodetector
from dynamodb.management.plan import PlanStates
from dynamodb.management.progress import CommandReport
from dynamodb.migrations.operations import RunDynamoPython, TableOperation
from dynamodb.migrations.operations.base import format_request
from dynamodb.storage.reports import Silent, reporting_to


class Command(migrate.Command):
    autodetector = DynamoAutodetector

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=(
                "As --plan, and run each RunDynamoPython function over its table to count the "
                "items it would change. Writes nothing."
            ),
        )

    def get_check_kwargs(self, options):
        kwargs = super().get_check_kwargs(options)
        if options["plan"] and not options["dry_run"]:
            kwargs.pop("databases", None)  # --plan sends nothing, not even the drift check's
        return kwargs

    def handle(self, *args, **options):
        self.dry_run = options["dry_run"]
        options["plan"] = options["plan"] or self.dry_run
        self.plan_states = PlanStates(connections[options["database"]]) if options["plan"] else None
        self.report = CommandReport(self.stdout, options["verbosity"])
        with reporting_to(self.report):
            try:
                return super().handle(*args, **options)
            except DynamoError as error:
                raise CommandError(
                    f"{error}\nThe migration in progress was not recorded. Running migrate "
                    "again carries on: what is done is found done, copies and data "
                    "migrations resume from their checkpoints."
                ) from error

    def migration_progress_callback(self, action, migration=None, fake=False):
        super().migration_progress_callback(action, migration, fake)
        if action in ("apply_start", "unapply_start") and self.verbosity >= 1:
            self.report.begin_line()
        elif action in ("apply_success", "unapply_success"):
            self.report.mid_line = False

    def describe_operation(self, operation, backwards):
        message, is_error = super().describe_operation(operation, backwards)
        if not isinstance(operation, TableOperation) or is_error:
            return message, is_error
        if backwards and not operation.reversible:
            return f"{message} -> IRREVERSIBLE", True
        around = self.plan_states.around(operation)
        if around is None:
            return message, is_error
        app_label, before, after = around
        lines = [format_request(r) for r in operation.requests(app_label, before, after, backwards)]
        if self.dry_run and isinstance(operation, RunDynamoPython):
            lines.append(
                self.count(operation, app_label, after if backwards else before, backwards)
            )
        return message + "\n" + indent("\n".join(lines), "      "), is_error

    def count(self, operation, app_label, state, backwards):
        """What a data migration would change, as a comment line."""
        try:
            read, changed = operation.dry_run(app_label, state, Silent(), backwards)
        except DynamoError as error:
            return f"-- nothing counted: {error}"
        return f"-- would change {changed} of {read} items"
