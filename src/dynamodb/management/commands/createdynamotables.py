"""Create (or, with --delete, delete) the DynamoDB tables of the project's models."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from dynamodb.connector import Connector
from dynamodb.exceptions import DynamoError
from dynamodb.storage.tables import definitions, dynamo_model, dynamo_models


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
        parser.add_argument(
            "--delete", action="store_true", help="Delete the tables instead (their data too)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the table definitions; change nothing."
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation before --delete.",
        )

    def handle(self, *args, labels, delete, dry_run, interactive, **options):
        models = self.models(labels)
        if not models:
            self.stdout.write("No DynamoCompatibleModel found.")
            return
        if dry_run:
            self.stdout.write(definitions(models))
            return
        if delete and interactive:
            names = ", ".join(Connector(model).schema.table_name for model in models)
            answer = input(f"This deletes the tables {names} and all their items. Type 'yes': ")
            if answer != "yes":
                raise CommandError("Deletion cancelled.")
        for model in models:
            connector = Connector(model)
            name = connector.schema.table_name
            try:
                if delete:
                    done = connector.delete_table()
                    message = f"Deleted {name}" if done else f"{name} does not exist"
                else:
                    done = connector.create_table()
                    message = f"Created {name}" if done else f"{name} already exists"
            except DynamoError as error:
                raise CommandError(f"{model._meta.label} ({name}): {error}") from error
            self.stdout.write(self.style.SUCCESS(message) if done else message)

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
