"""Creating, checking and deleting the tables of a project's DynamoDB models.

The cold path: these calls go through botocore's client (``client.call``)
and its waiters, never the lean transport.
"""

import json
import logging
from importlib import import_module

from django.apps import apps
from django.core.management.base import CommandError
from django.db.migrations.loader import MigrationLoader

from ..conf import conf
from ..exceptions import DynamoError, TableInUse, TableNotFound, TableSchemaMismatch
from ..wire import client
from . import ids
from .schema import is_dynamo_model, schema_for
from .tablespecs import TableSpec

logger = logging.getLogger(__name__)


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


def typed_keys(definition):
    """Sorted (name, HASH or RANGE, S/N/B) of a table's keys, from CreateTable or DescribeTable."""
    types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
    return sorted(
        (key["AttributeName"], key["KeyType"], types.get(key["AttributeName"]))
        for key in definition["KeySchema"]
    )


def create_table(schema, wait=True):
    """Create a model's table (keys, indexes, TTL) and the id counter table; True if created.

    An existing table is not an error, unless its keys differ from the model's.
    """
    created = create_from_definition(schema.label, schema.table_definition(), wait)
    create_counter_table(wait)
    if schema.ttl is not None and created:
        try:
            client.call(
                "update_time_to_live",
                TableName=schema.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.ttl.attribute},
            )
        except DynamoError as error:
            # AWS and DynamoDB Local implement TTL; an engine that does not (dynalite)
            # answers UnknownOperationException: the table works, its items never expire.
            if error.code != "UnknownOperationException":
                raise
            logger.warning(
                "The DynamoDB engine does not implement TTL: items of %s will not expire.",
                schema.table_name,
            )
    return created


def create_counter_table(wait=True):
    """Create the id counter table every model shares, unless it exists."""
    create_from_definition("the id counters", ids.counter_table_definition(), wait)


def create_from_definition(label, definition, wait=True):
    """Create a table from CreateTable parameters; True if created.

    An existing table with the same keys is kept; one with other keys is a
    TableSchemaMismatch naming ``label``, what declares it.
    """
    try:
        client.call("create_table", **definition)
        created = True
    except TableInUse:
        created = False
        table = client.call("describe_table", TableName=definition["TableName"])["Table"]
        if typed_keys(table) != typed_keys(definition):
            raise TableSchemaMismatch(
                f"Table {definition['TableName']} exists with keys {typed_keys(table)}, "
                f"but {label} declares {typed_keys(definition)}."
            ) from None
    if wait:
        client.wait_for("table_exists", TableName=definition["TableName"])
    return created


def delete_table(schema, wait=True):
    """Delete a model's table; True if it existed. The shared id counters stay."""
    name = schema.table_name
    try:
        client.call("delete_table", TableName=name)
    except TableNotFound:
        return False
    if wait:
        client.wait_for("table_not_exists", TableName=name)
    ids.key_cache.clear()
    return True


def table_exists(schema):
    try:
        client.call("describe_table", TableName=schema.table_name)
    except TableNotFound:
        return False
    return True


def auxiliary_specs():
    """The tables the models share: the id counters, the migrations' checkpoints (unprefixed)."""
    from .segments import TABLE as CHECKPOINTS  # segments creates its table through this module

    return [TableSpec(conf.ID_COUNTER_TABLE, [(ids.COUNTER_KEY, "S")]), CHECKPOINTS]


def definitions(models):
    """CreateTable parameters of each model's table and of the id counter table, as JSON."""
    tables = [schema_for(model).table_definition() for model in models]
    if models:
        tables.append(ids.counter_table_definition())
    return json.dumps(tables, indent=2)


def has_migrations(app_config):
    """Whether an app has migrations (then they create its tables: CreateTable)."""
    module_name, _ = MigrationLoader.migrations_module(app_config.label)
    if module_name is None:
        return False
    try:
        module = import_module(module_name)
    except ModuleNotFoundError:
        return False
    return hasattr(module, "__path__")


def create_after_migrate(sender, app_config=None, verbosity=1, stdout=None, **kwargs):
    """post_migrate: create the missing tables of an app without migrations.

    An app with migrations has its tables created by them (CreateTable).
    """
    app_config = app_config or sender
    if not conf.CREATE_TABLES_ON_MIGRATE or has_migrations(app_config):
        return
    for model in dynamo_models([app_config]):
        schema = schema_for(model)
        try:
            created = create_table(schema)
        except DynamoError as error:
            raise CommandError(
                f"Could not create the DynamoDB table of {model._meta.label}: {error}. "
                "Start the engine (./manage.sh run) or set DYNAMODB_CREATE_TABLES_ON_MIGRATE=false."
            ) from error
        if created and verbosity >= 1 and stdout is not None:
            stdout.write(f"  Created DynamoDB table {schema.table_name}\n")
