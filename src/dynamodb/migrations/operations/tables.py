"""Creating, deleting and copying a model's DynamoDB table."""

from django.db.migrations.operations.base import OperationCategory

from ...conf import conf
from ...exceptions import InvalidMigration
from ...storage import copies, tableadmin
from ...storage.billing import ON_DEMAND
from ...storage.paging import check_limit
from ...storage.tablespecs import (
    TableSpec,
    check_table_name,
    create_table_request,
    delete_table_request,
    ttl_request,
)
from .base import (
    EMPTY_ONLY,
    SPEC_OPTION,
    TableOperation,
    check_keys,
    drop_if_empty,
    live_schema,
    prefixed,
    required_spec,
    set_table_spec,
    table_spec,
)


class CreateTable(TableOperation):
    """Create a model's table: keys, indexes, TTL and billing as written in the migration.

    An existing table with the same keys is kept and given the indexes, TTL
    and billing written here (deployments made before migrations managed
    tables already have theirs). Unapplied, it deletes the table only when
    empty.
    """

    category = OperationCategory.ADDITION
    serialization_expand_args = ["indexes"]

    def __init__(
        self, name, table_name, key, indexes=(), ttl=None, billing=ON_DEMAND, throughput=None
    ):
        super().__init__(name)
        self.spec = TableSpec(table_name, key, tuple(indexes), ttl, billing, throughput)

    def state_forwards(self, app_label, state):
        if table_spec(state, app_label, self.name) is not None:
            raise InvalidMigration(
                f"{app_label}.{self.name} has a DynamoDB table already at this point of the "
                "migrations: a new table of another name is a CopyTable."
            )
        set_table_spec(state, app_label, self.name, self.spec)

    def forwards(self, app_label, before, after, report):
        tableadmin.create(self.spec, prefixed(self.spec.table_name), report)

    def backwards(self, app_label, before, after, report):
        drop_if_empty(prefixed(self.spec.table_name), report)

    def requests(self, app_label, before, after, backwards):
        name = prefixed(self.spec.table_name)
        if backwards:
            return [f"Table {name} is {EMPTY_ONLY}", delete_table_request(name)]
        requests = [create_table_request(self.spec, name)]
        if self.spec.ttl is not None:
            requests.append(ttl_request(name, self.spec.ttl, True))
        return requests

    def describe(self):
        return f"Create DynamoDB table {self.spec.table_name} of {self.name}"

    @property
    def migration_name_fragment(self):
        return f"{self.name_lower}_table"


class DeleteTable(TableOperation):
    """Delete a table and every item in it: ``DeleteTable("Model")`` or ``DeleteTable(table_name=)``.

    With a model name, the model's table as the migrations declare it
    (makemigrations writes this when a model is deleted); unapplied, it
    creates the table again, empty. With ``table_name``, a table no model
    uses any more, such as the one a CopyTable copied from: the developer
    writes it on purpose, and it cannot be unapplied.
    """

    category = OperationCategory.REMOVAL

    def __init__(self, name=None, table_name=None):
        if (name is None) == (table_name is None):
            raise InvalidMigration(
                "DeleteTable takes a model name (the model's table) or table_name= (a table "
                "no model uses any more, such as the one a CopyTable copied from): one of them."
            )
        super().__init__(name or "")
        self.table_name = table_name if table_name is None else check_table_name(table_name)

    @property
    def reversible(self):
        return self.table_name is None

    def references_model(self, name, app_label):
        return self.table_name is None and super().references_model(name, app_label)

    def state_forwards(self, app_label, state):
        if self.table_name is None:
            required_spec(state, app_label, self.name)
            set_table_spec(state, app_label, self.name, None)
            return
        for (label, _), model_state in state.models.items():
            spec = model_state.options.get(SPEC_OPTION)
            if spec is not None and spec.table_name == self.table_name:
                raise InvalidMigration(
                    f"Table {self.table_name} is the table of {label}.{model_state.name} at this "
                    f"point of the migrations: delete that model, or its table with "
                    f"DeleteTable({model_state.name!r})."
                )

    def _table(self, app_label, before):
        if self.table_name is not None:
            return prefixed(self.table_name)
        return prefixed(required_spec(before, app_label, self.name).table_name)

    def forwards(self, app_label, before, after, report):
        tableadmin.delete(self._table(app_label, before), report)

    def backwards(self, app_label, before, after, report):
        spec = required_spec(before, app_label, self.name)
        tableadmin.create(spec, prefixed(spec.table_name), report)

    def requests(self, app_label, before, after, backwards):
        if backwards:
            spec = required_spec(before, app_label, self.name)
            return [create_table_request(spec, prefixed(spec.table_name))]
        return [delete_table_request(self._table(app_label, before))]

    def describe(self):
        if self.table_name is not None:
            return f"Delete DynamoDB table {self.table_name} and its items"
        return f"Delete the DynamoDB table of {self.name} and its items"

    @property
    def migration_name_fragment(self):
        if self.table_name is not None:
            return f"delete_{self.table_name.lower()}"
        return f"delete_{self.name_lower}_table"


class CopyTable(CreateTable):
    """Copy every item of table ``from_table`` into the model's new table (declared here).

    The way to change what DynamoDB cannot change in place: a key, a local
    index, a table's name. Creates the new table (unless tables are managed
    elsewhere: ``DYNAMODB_CREATE_TABLES_ON_MIGRATE`` off), then copies the
    items in ``segments`` parallel Scan segments of ``page_size`` items, each
    read and written by the model's own code, with checkpoints a re-run
    resumes from (``storage/copies.py``). The old table stays until a
    DeleteTable written on purpose. Unapplied, the new table is deleted only
    when empty.
    """

    category = OperationCategory.MIXED
    changes_tables = False  # copying runs whoever manages the tables

    def __init__(
        self,
        name,
        from_table,
        table_name,
        key,
        indexes=(),
        ttl=None,
        billing=ON_DEMAND,
        throughput=None,
        segments=4,
        page_size=250,
    ):
        super().__init__(name, table_name, key, indexes, ttl, billing, throughput)
        check_limit("segments", segments, minimum=1, required=True)
        check_limit("page_size", page_size, minimum=1, required=True)
        self.from_table = check_table_name(from_table)
        self.segments = segments
        self.page_size = page_size

    def state_forwards(self, app_label, state):
        set_table_spec(state, app_label, self.name, self.spec)

    def forwards(self, app_label, before, after, report):
        if conf.CREATE_TABLES_ON_MIGRATE:
            tableadmin.create(self.spec, prefixed(self.spec.table_name), report)
        source = prefixed(self.from_table)
        if tableadmin.is_empty(source):
            report.say(f"{source} is empty: nothing to copy")
            return  # a new environment: the model's code is not needed
        schema = live_schema(app_label, self.name, self.spec)
        check_keys(schema, self.spec, source)
        copies.copy_table(
            schema, source, segments=self.segments, page_size=self.page_size, report=report
        )

    def backwards(self, app_label, before, after, report):
        copies.forget(prefixed(self.from_table), prefixed(self.spec.table_name), self.segments)
        if conf.CREATE_TABLES_ON_MIGRATE:
            drop_if_empty(prefixed(self.spec.table_name), report)

    def requests(self, app_label, before, after, backwards):
        requests = super().requests(app_label, before, after, backwards)
        if backwards:
            return requests
        return [
            *requests,
            f"then every item of {prefixed(self.from_table)}: Scan in {self.segments} segments "
            f"of {self.page_size} items, each item through {self.name}, and BatchWriteItem",
        ]

    def describe(self):
        return (
            f"Copy DynamoDB table {self.from_table} into the new table {self.spec.table_name} "
            f"of {self.name}, item by item"
        )

    @property
    def migration_name_fragment(self):
        return f"copy_{self.name_lower}_table"
