"""Django's makemigrations, which also writes the operations of the DynamoDB tables.

The autodetector (``dynamodb.management.autodetector``) adds the tables'
changes to Django's, in the same migration; a change DynamoDB cannot make in
place is refused, naming CopyTable. Commands of an app replace Django's own of
the same name: this one extends it, as Django 5.2's ``autodetector`` attribute
allows.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.core.management.commands import makemigrations

from dynamodb.exceptions import DynamoError
from dynamodb.management.autodetector import DynamoAutodetector, refusing


class Command(makemigrations.Command):
    autodetector = DynamoAutodetector

    def handle(self, *app_labels, **options):
        token = refusing.set(True)
        try:
            return super().handle(*app_labels, **options)
        except (DynamoError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        finally:
            refusing.reset(token)
