"""System checks of the dynamodb app (ids dynamodb.E0xx, W0xx).

Model declarations are judged by ``schema.declaration_errors`` through
``DynamoCompatibleModel.check()``, which Django runs for every model at
startup; this module adds the settings checks and the drift check (live
tables against their models, tagged ``database``), registered in
``AppConfig.ready``.
"""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .conf import TRANSPORTS, conf

POSITIVE_NUMBERS = ("CONNECT_TIMEOUT", "READ_TIMEOUT", "WAITER_DELAY", "MIGRATE_TIMEOUT")
POSITIVE_INTEGERS = ("MAX_ATTEMPTS", "WAITER_MAX_ATTEMPTS", "ID_BLOCK_SIZE", "ID_CACHE_SIZE")


def model_errors(model):
    """Django check messages for a DynamoDB model's declaration."""
    from .storage.declarations import declaration_errors

    return [
        checks.Error(message, hint=hint, obj=model, id=check_id)
        for check_id, message, hint in declaration_errors(model)
    ]


@checks.register(checks.Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    errors = []
    for name in POSITIVE_NUMBERS:
        value = conf.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(
                checks.Error(
                    f"DYNAMODB_{name} is {value!r}.",
                    hint="Set it to a positive number of seconds.",
                    id="dynamodb.E100",
                )
            )
    for name in POSITIVE_INTEGERS:
        value = conf.raw(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                checks.Error(
                    f"DYNAMODB_{name} is {value!r}.",
                    hint="Set it to a positive integer.",
                    id="dynamodb.E101",
                )
            )
    for name in ("TABLE_PREFIX", "REGION", "ID_COUNTER_TABLE"):
        if not isinstance(conf.raw(name), str):
            errors.append(
                checks.Error(
                    f"DYNAMODB_{name} is {conf.raw(name)!r}.",
                    hint="Set it to a string.",
                    id="dynamodb.E102",
                )
            )
    if conf.raw("TRANSPORT") not in TRANSPORTS:
        errors.append(
            checks.Error(
                f"DYNAMODB_TRANSPORT is {conf.raw('TRANSPORT')!r}.",
                hint=f"Set it to one of {', '.join(map(repr, TRANSPORTS))}.",
                id="dynamodb.E103",
            )
        )
    return errors


@checks.register(checks.Tags.database)
def check_tables(app_configs=None, databases=None, **kwargs):
    """Warn where a live table differs from its model's declaration (dynamodb.W001-W009).

    Tagged ``database``: it runs on ``migrate`` and ``check --database default``,
    not on every start. Each warning names the command that fixes it.
    """
    if not databases:
        return []
    from .exceptions import DynamoError
    from .storage import drift
    from .storage.schema import schema_for
    from .storage.tables import dynamo_models

    warnings = []
    hints = FixHints(databases[0])
    for model in dynamo_models(app_configs):
        try:
            schema = schema_for(model)
        except ImproperlyConfigured:
            continue  # its declaration's own errors (dynamodb.E0xx) say what to do
        try:
            found = drift.differences(schema)
        except DynamoError as error:
            return warnings + [
                checks.Warning(
                    f"The DynamoDB tables could not be compared with their models: {error}",
                    hint="Start the engine (./manage.sh run), or check DYNAMODB_ENDPOINT_URL.",
                    id=drift.UNREACHABLE,
                )
            ]
        warnings += [
            checks.Warning(message, hint=hints.hint(model, check_id), obj=model, id=check_id)
            for check_id, message in found
        ]
    return warnings


class FixHints:
    """Which command fixes a model's drift: makemigrations, migrate, or a sync of the table."""

    def __init__(self, alias):
        from django.db import DatabaseError, connections
        from django.db.migrations.loader import MigrationLoader

        try:
            self.loader = MigrationLoader(connections[alias])
            self.state = self.loader.project_state()
        except DatabaseError:  # migrations unknown: a hint without them
            self.loader = None

    def hint(self, model, check_id):
        from .migrations.operations.base import table_spec
        from .storage import drift
        from .storage.schema import schema_for

        meta = model._meta
        app, label = meta.app_label, meta.label
        new_table = (
            f"Keys and local indexes change only with a new table: give {meta.object_name} a "
            f"new table_name, then `manage.py makemigrations {app}` writes a CopyTable."
        )
        if not conf.CREATE_TABLES_ON_MIGRATE:
            return (
                "Tables are managed outside migrate (DYNAMODB_CREATE_TABLES_ON_MIGRATE is off): "
                "update them, e.g. from `manage.py createdynamotables --format cloudformation` "
                "(or terraform)."
            )
        loader = self.loader
        if loader is None or app not in loader.migrated_apps:
            if check_id in drift.NEW_TABLE_ONLY:
                return new_table
            return f"Run `manage.py createdynamotables --sync {label}`."
        try:
            migrated = table_spec(self.state, app, meta.model_name)
        except ValueError:
            migrated = None
        if migrated != schema_for(model).spec():
            return f"Run `manage.py makemigrations {app}`, then `manage.py migrate {app}`."
        unapplied = [
            key for key in loader.graph.leaf_nodes(app) if key not in loader.applied_migrations
        ]
        if unapplied:
            return f"Run `manage.py migrate {app}`: {unapplied[0][1]} is not applied yet."
        if check_id in drift.NEW_TABLE_ONLY:
            return new_table
        return (
            f"The table was changed outside migrations: `manage.py createdynamotables --sync "
            f"{label}` makes it match the model again."
        )
