"""What every DynamoDB migration operation shares: the table in the migration state, the router,
printing instead of sending (``sqlmigrate``), and the setting that leaves tables alone.

A model's table, as its migrations declare it, is a ``TableSpec`` kept in the
model's state under the option ``_dynamodb``: Django copies options with the
state (``clone()``, ``RenameModel``) and drops Meta attributes whose name
starts with ``_`` when it renders a historical model, so the table rides along
without changing Django's models. The autodetector compares it with the
table the model class declares.
"""

import json

from django.apps import apps as global_apps
from django.db import router
from django.db.migrations.operations.base import Operation
from django.utils.functional import cached_property

from ...conf import conf
from ...exceptions import InvalidMigration, TableMigrationError
from ...storage import reports, tableadmin
from ...storage.schema import is_dynamo_model, schema_for
from ...storage.tablespecs import api_name, describe_key

# The option of a ModelState holding its model's TableSpec.
SPEC_OPTION = "_dynamodb"


def _model_state(state, app_label, name):
    try:
        return state.models[app_label, name.lower()]
    except KeyError:
        raise InvalidMigration(
            f"No model {app_label}.{name} at this point of the migrations: the operations on "
            "its DynamoDB table come after the CreateModel of the model."
        ) from None


def table_spec(state, app_label, name):
    """The TableSpec of a model in a migration state, or None when it has no table yet."""
    return _model_state(state, app_label, name).options.get(SPEC_OPTION)


def required_spec(state, app_label, name):
    spec = table_spec(state, app_label, name)
    if spec is None:
        raise InvalidMigration(
            f"{app_label}.{name} has no DynamoDB table at this point of the migrations: its "
            "CreateTable comes first."
        )
    return spec


def set_table_spec(state, app_label, name, spec):
    """Give a model of a migration state its TableSpec (None: no table)."""
    model_state = _model_state(state, app_label, name)
    options = {k: v for k, v in model_state.options.items() if k != SPEC_OPTION}
    if spec is not None:
        options[SPEC_OPTION] = spec
    model_state.options = options


def prefixed(table_name):
    """The live name of a table: DYNAMODB_TABLE_PREFIX, then its name."""
    return f"{conf.TABLE_PREFIX}{table_name}"


def format_request(request):
    """A request as ``migrate --plan`` and ``sqlmigrate`` print it; a note (a str) as a comment."""
    if isinstance(request, str):
        return f"-- {request}"
    return f"-- DynamoDB {api_name(request.operation)}\n" + json.dumps(
        request.params, indent=2, default=str
    )


def live_schema(app_label, name, spec):
    """The model class's schema, reading and writing the table of ``spec``.

    Data operations convert items through the model's own code, so they need
    the model as the project has it now.
    """
    try:
        model = global_apps.get_model(app_label, name)
    except LookupError:
        model = None
    if model is None or not is_dynamo_model(model):
        raise TableMigrationError(
            f"{app_label}.{name} is no DynamoCompatibleModel of the project any more, and its "
            f"items (table {prefixed(spec.table_name)}) are read through its code."
        )
    return schema_for(model).on_table(spec.table_name)


def check_keys(schema, spec, items_in):
    """Refuse items through a model keyed otherwise than the migration's table, unless none.

    ``items_in`` is the table whose items would go through the model.
    """
    if schema.spec().key != spec.key and not tableadmin.is_empty(items_in):
        raise TableMigrationError(
            f"{schema.label} keys its items on {describe_key(schema.spec().key)} now, but table "
            f"{schema.table_name} of this migration is keyed on {describe_key(spec.key)}: the "
            f"items of {items_in} cannot go through the model's code. Apply this migration "
            "with the code of its time, before the model's keys changed."
        )


class TableOperation(Operation):
    """An operation on the DynamoDB table of one model (``name``), as migrations declare it.

    Subclasses say what the state becomes (``state_forwards``), do it
    (``forwards``, ``backwards``) and say what they would send
    (``requests``), each given the state before and after the operation. With
    ``DYNAMODB_CREATE_TABLES_ON_MIGRATE`` off, tables are left alone
    (``changes_tables``): migrate records the state only.
    """

    reduces_to_sql = True  # sqlmigrate prints the requests
    changes_tables = True

    def __init__(self, name):
        self.name = name

    @cached_property
    def name_lower(self):
        return self.name.lower()

    def references_model(self, name, app_label):
        return name.lower() == self.name_lower

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._perform(app_label, schema_editor, from_state, to_state, backwards=False)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._perform(app_label, schema_editor, to_state, from_state, backwards=True)

    def _perform(self, app_label, schema_editor, before, after, backwards):
        if not router.allow_migrate(
            schema_editor.connection.alias, app_label, model_name=self.name_lower
        ):
            return
        if schema_editor.collect_sql:
            requests = self.requests(app_label, before, after, backwards)
            schema_editor.collected_sql.extend(format_request(r) for r in requests)
            return
        report = reports.current()
        if self.changes_tables and not conf.CREATE_TABLES_ON_MIGRATE:
            report.say(f"{self.describe()}: skipped (DYNAMODB_CREATE_TABLES_ON_MIGRATE is off)")
            return
        if backwards:
            self.backwards(app_label, before, after, report)
        else:
            self.forwards(app_label, before, after, report)

    def forwards(self, app_label, before, after, report):
        raise NotImplementedError

    def backwards(self, app_label, before, after, report):
        raise NotImplementedError

    def requests(self, app_label, before, after, backwards):
        """The requests it would send (``Request`` values, and notes as strings)."""
        raise NotImplementedError


def drop_if_empty(name, report):
    """Unapplying never deletes an item: delete an empty table, keep one holding items."""
    if tableadmin.describe(name) is None:
        return
    if tableadmin.is_empty(name):
        tableadmin.delete(name, report)
        return
    report.say(
        f"Kept table {name}: it holds items, and unapplying a migration deletes none. If they "
        f"are disposable, delete it yourself (`aws dynamodb delete-table --table-name {name}`)."
    )


EMPTY_ONLY = "deleted only when empty: unapplying a migration never deletes an item"
