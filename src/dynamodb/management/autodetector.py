"""Django's autodetector, plus the changes of DynamoDB tables: one model change, one migration.

The models of ``DynamoCompatibleModel`` are unmanaged, so Django's own
autodetector writes their CreateModel and DeleteModel only. This one also
compares each model's table as its migrations declare it (the TableSpec in the
migration state) with the table its class declares now, and writes the
operations of ``dynamodb.migrations.operations`` that make one the other,
next to Django's. A change DynamoDB cannot make in place (a key, a local
index) is refused, naming the way out: a new ``table_name``, for which it
writes a CopyTable.
"""

import contextvars

from django.apps import apps as global_apps
from django.core.management.base import CommandError
from django.db.migrations.autodetector import MigrationAutodetector, OperationDependency

from ..migrations import operations
from ..migrations.operations.base import SPEC_OPTION
from ..storage import tablediff
from ..storage.schema import is_dynamo_model, schema_for


def declared_specs(state):
    """{(app_label, model_name): TableSpec} of the models of a state, from their classes.

    A model state carrying its spec already (a state made by hand) keeps it;
    the option is taken out, so that it never reaches a CreateModel's options.
    """
    specs = {}
    for key, model_state in state.models.items():
        spec = model_state.options.pop(SPEC_OPTION, None)
        if spec is None:
            try:
                model = global_apps.get_model(*key)
            except LookupError:
                continue
            if is_dynamo_model(model):
                spec = schema_for(model).spec()
        if spec is not None:
            specs[key] = spec
    return specs


# Whether a change DynamoDB cannot make is a CommandError (makemigrations sets it) or a
# change like another (migrate's notice of changes not in a migration yet). Both commands
# must share one autodetector class (Django's check commands.E001).
refusing = contextvars.ContextVar("dynamodb_refusing", default=False)


class DynamoAutodetector(MigrationAutodetector):
    """Django's changes and the DynamoDB tables' (see the module)."""

    def __init__(self, from_state, to_state, questioner=None):
        super().__init__(from_state, to_state, questioner)
        self.to_specs = declared_specs(to_state)
        self.refusals = {}

    def generate_altered_db_table(self):
        super().generate_altered_db_table()
        self.generate_table_operations()

    def changes(self, graph, trim_to_apps=None, convert_apps=None, migration_name=None):
        changes = super().changes(graph, trim_to_apps, convert_apps, migration_name)
        refused = {
            app: messages
            for app, messages in self.refusals.items()
            if trim_to_apps is None or app in trim_to_apps
        }
        if refused and refusing.get():
            raise CommandError(
                "DynamoDB cannot make these changes in place:\n"
                + "\n".join(f"- {message}" for messages in refused.values() for message in messages)
            )
        if refused:
            for app in refused:
                changes.setdefault(app, [])
        return changes

    def from_spec(self, app_label, model_name):
        model_state = self.from_state.models.get((app_label, model_name))
        return None if model_state is None else model_state.options.get(SPEC_OPTION)

    def generate_table_operations(self):
        """The operations making each model's table (in migrations) the one its class declares.

        Django detects no renames of unmanaged models: a renamed DynamoDB model is
        a deletion and a creation, and its table, kept by the new model's
        ``table_name``, is not deleted.
        """
        kept_tables = {spec.table_name for spec in self.to_specs.values()}
        for key, model_state in sorted(self.from_state.models.items()):
            spec = model_state.options.get(SPEC_OPTION)
            if spec is not None and key not in self.to_specs and spec.table_name not in kept_tables:
                app_label = key[0]
                # Before its DeleteModel: the operation needs the model in the state.
                self.add_operation(
                    app_label, operations.DeleteTable(model_state.name), beginning=True
                )
        for (app_label, model_name), new in sorted(self.to_specs.items()):
            name = self.to_state.models[app_label, model_name].name
            old = self.from_spec(app_label, model_name)
            changes, refusals = tablediff.compare(old, new)
            if refusals:
                label = f"{app_label}.{name}"
                self.refusals.setdefault(app_label, []).append(
                    f"{label}: {'; '.join(refusals)}. A table's keys and local indexes are "
                    f"made with it. Give {name} a new table_name: makemigrations then writes a "
                    "CopyTable, which creates the new table and copies every item into it "
                    f"(the old table {old.table_name} stays until you delete it with "
                    f"DeleteTable(table_name={old.table_name!r}))."
                )
                continue
            created = (app_label, model_name) not in self.from_state.models
            for change in changes:
                dependencies = []
                if created:
                    dependencies.append(
                        OperationDependency(
                            app_label, model_name, None, OperationDependency.Type.CREATE
                        )
                    )
                self.add_operation(
                    app_label, self.table_operation(name, change), dependencies=dependencies
                )

    @staticmethod
    def table_operation(name, change):
        """The migration operation of one change of ``tablediff.compare``."""
        kind, old, new = change
        if kind == tablediff.CREATE:
            return operations.CreateTable(name, **new.as_kwargs())
        if kind == tablediff.COPY:
            return operations.CopyTable(name, from_table=old.table_name, **new.as_kwargs())
        if kind == tablediff.ADD_INDEX:
            return operations.AddGlobalIndex(name, index=new)
        if kind == tablediff.REMOVE_INDEX:
            return operations.RemoveGlobalIndex(name, index=old)
        if kind == tablediff.REPLACE_INDEX:
            return operations.ReplaceGlobalIndex(name, old=old, new=new)
        if kind == tablediff.TTL:
            return operations.AlterTimeToLive(name, attribute=new)
        if kind == tablediff.BILLING:
            billing, throughput = new
            if throughput is None:
                return operations.AlterBillingMode(name, billing=billing)
            return operations.AlterBillingMode(name, billing=billing, throughput=throughput)
        raise ValueError(f"No operation for the change {change!r}.")  # DELETE: above
