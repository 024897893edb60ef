"""Creating and deleting the tables of a project's DynamoDB models."""

import json

from django.apps import apps
from django.core.management.base import CommandError

from . import ids
from .conf import conf
from .connector import Connector
from .exceptions import DynamoError
from .schema import is_dynamo_model


def dynamo_models(app_configs=None):
    """The concrete DynamoCompatibleModel classes of some apps (default: all)."""
    configs = apps.get_app_configs() if app_configs is None else app_configs
    return [model for config in configs for model in config.get_models() if is_dynamo_model(model)]


def dynamo_model(label):
    """The DynamoCompatibleModel named ``app_label.ModelName``, or a CommandError saying why not."""
    app_label, _, model_name = label.partition(".")
    if not app_label or not model_name:
        raise CommandError(f"{label!r} is not a model label: use app_label.ModelName.")
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as error:
        raise CommandError(f"{label}: {error}") from error
    if not is_dynamo_model(model):
        raise CommandError(f"{label} is not a DynamoCompatibleModel: its data is not in DynamoDB.")
    return model


def definitions(models):
    """CreateTable parameters of each model's table and of the id counter table, as JSON."""
    tables = [Connector(model).schema.table_definition() for model in models]
    if models:
        tables.append(ids.counter_table_definition())
    return json.dumps(tables, indent=2)


def create_after_migrate(sender, app_config=None, verbosity=1, stdout=None, **kwargs):
    """post_migrate: create the missing tables of the migrated app."""
    if not conf.CREATE_TABLES_ON_MIGRATE:
        return
    for model in dynamo_models([app_config or sender]):
        try:
            created = Connector(model).create_table()
        except DynamoError as error:
            raise CommandError(
                f"Could not create the DynamoDB table of {model._meta.label}: {error}. "
                "Start the engine (./manage.sh run) or set DYNAMODB_CREATE_TABLES_ON_MIGRATE=false."
            ) from error
        if created and verbosity >= 1 and stdout is not None:
            stdout.write(f"  Created DynamoDB table {Connector(model).schema.table_name}\n")
