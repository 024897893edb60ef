"""Create the DynamoDB tables of the project's models; or delete, check, sync or print them."""

import json

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from dynamodb.conf import conf
from dynamodb.connector import Connector
from dynamodb.exceptions import DynamoError
from dynamodb.management.progress import CommandReport
from dynamodb.management.templates import FORMATS
from dynamodb.storage import drift, tableadmin
from dynamodb.storage.tables import auxiliary_specs, definitions, dynamo_model, dynamo_models


class Command(BaseCommand):
    help = (
        "Create the DynamoDB table of every DynamoCompatibleModel (or of the given apps "
        "and models), with their indexes, TTL and the id counter table. Existing tables "
        "are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "labels", nargs="*", metavar="app_label[.ModelName]", help="Limit to these."
        )
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--delete", action="store_true", help="Delete the tables instead (their data too)."
        )
        action.add_argument(
            "--dry-run", action="store_true", help="Print the table definitions; change nothing."
        )
        action.add_argument(
            "--check",
            action="store_true",
            help="Compare the tables with their models; exit non-zero when one differs.",
        )
        action.add_argument(
            "--sync",
            action="store_true",
            help=(
                "Create the missing tables and bring the others to their models' declarations "
                "(global indexes, TTL, billing), for tables changed outside migrations."
            ),
        )
        action.add_argument(
            "--format",
            choices=sorted(FORMATS),
            help="Print the tables as infrastructure code (JSON); change nothing.",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation before --delete.",
        )

    def handle(self, *args, labels, delete, dry_run, check, sync, format, interactive, **options):
        models = self.models(labels)
        if not models:
            self.stdout.write("No DynamoCompatibleModel found.")
            return
        if dry_run:
            self.stdout.write(definitions(models))
            return
        if format:
            specs = [Connector(model).schema.spec() for model in models] + auxiliary_specs()
            template = FORMATS[format](specs, conf.TABLE_PREFIX)
            self.stdout.write(json.dumps(template, indent=2))
            return
        if delete and interactive:
            names = ", ".join(Connector(model).schema.table_name for model in models)
            answer = input(f"This deletes the tables {names} and all their items. Type 'yes': ")
            if answer != "yes":
                raise CommandError("Deletion cancelled.")
        differing = 0
        for model in models:
            schema = Connector(model).schema
            try:
                if check:
                    differing += self.check_table(schema)
                elif sync:
                    self.sync_table(schema, options["verbosity"])
                else:
                    self.create_or_delete(model, delete)
            except DynamoError as error:
                raise CommandError(f"{model._meta.label} ({schema.table_name}): {error}") from error
        if check and differing:
            raise CommandError(
                f"{differing} of {len(models)} tables differ from their models' declarations: "
                "`manage.py check --database default` says how to fix each."
            )
        if check:
            self.stdout.write(f"The {len(models)} tables match their models' declarations.")

    def create_or_delete(self, model, delete):
        connector = Connector(model)
        name = connector.schema.table_name
        if delete:
            done = connector.delete_table()
            message = f"Deleted {name}" if done else f"{name} does not exist"
        else:
            done = connector.create_table()
            message = f"Created {name}" if done else f"{name} already exists"
        self.stdout.write(self.style.SUCCESS(message) if done else message)

    def check_table(self, schema):
        """Print how the table differs from the model; 1 if it does, else 0."""
        found = drift.differences(schema)
        for check_id, message in found:
            self.stdout.write(f"{check_id} {message}")
        return 1 if found else 0

    def sync_table(self, schema, verbosity):
        report = CommandReport(self.stdout, verbosity)
        name, spec = schema.table_name, schema.spec()
        if tableadmin.describe(name) is None:
            tableadmin.create(spec, name, report)
            return
        if not tableadmin.reconcile(spec, name, report):
            self.stdout.write(f"{name} matches {schema.label}")

    def models(self, labels):
        if not labels:
            return dynamo_models()
        models = []
        for label in labels:
            if "." in label:
                found = [dynamo_model(label)]
            else:
                try:
                    found = dynamo_models([apps.get_app_config(label)])
                except LookupError as error:
                    raise CommandError(f"{label}: {error}") from error
            models += [model for model in found if model not in models]
        return models
