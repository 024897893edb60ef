"""Django's sqlmigrate, where DynamoDB operations print their requests (JSON) and send nothing.

A migration whose DynamoDB operation is malformed is a CommandError saying
what is wrong, as in makemigrations and migrate.
"""

from django.core.management.base import CommandError
from django.core.management.commands import sqlmigrate

from dynamodb.exceptions import DynamoError


class Command(sqlmigrate.Command):
    def handle(self, *args, **options):
        try:
            return super().handle(*args, **options)
        except DynamoError as error:
            raise CommandError(str(error)) from error
