"""Adding, removing and replacing a global secondary index of a model's table.

Each waits until DynamoDB is done (the index ACTIVE, or gone), printing the
backfill's progress, for at most ``DYNAMODB_MIGRATE_TIMEOUT`` seconds.
Local indexes are made with their table only: makemigrations refuses to change
them and points to CopyTable.
"""

import re

from django.db.migrations.operations.base import OperationCategory

from ...exceptions import InvalidMigration
from ...storage import tableadmin
from ...storage.tablespecs import IndexSpec, add_index_request, remove_index_request
from .base import TableOperation, prefixed, required_spec, set_table_spec

WAIT_ACTIVE = "then DescribeTable until the index is ACTIVE"
WAIT_GONE = "then DescribeTable until the index is gone"


def _global(index, operation):
    if not isinstance(index, IndexSpec) or index.local:
        raise InvalidMigration(
            f"{operation} takes a global index, Index(name=..., key=[...]), got {index!r}: "
            "local indexes are created with their table only (CopyTable)."
        )
    return index


def _fragment(name):
    return re.sub(r"\W", "_", name.lower())


class AddGlobalIndex(TableOperation):
    """Create a global index, then wait until DynamoDB has backfilled it (ACTIVE).

    Unapplied, it deletes the index.
    """

    category = OperationCategory.ADDITION

    def __init__(self, name, index):
        super().__init__(name)
        self.index = _global(index, "AddGlobalIndex")

    def state_forwards(self, app_label, state):
        spec = required_spec(state, app_label, self.name)
        if spec.index(self.index.name) is not None:
            raise InvalidMigration(
                f"{app_label}.{self.name} has an index {self.index.name!r} already at this "
                "point of the migrations: ReplaceGlobalIndex changes one."
            )
        set_table_spec(state, app_label, self.name, spec.with_index(self.index))

    def forwards(self, app_label, before, after, report):
        spec = required_spec(after, app_label, self.name)
        tableadmin.add_index(spec, prefixed(spec.table_name), self.index, report)

    def backwards(self, app_label, before, after, report):
        name = prefixed(required_spec(before, app_label, self.name).table_name)
        tableadmin.remove_index(name, self.index.name, report)

    def requests(self, app_label, before, after, backwards):
        if backwards:
            name = prefixed(required_spec(before, app_label, self.name).table_name)
            return [remove_index_request(name, self.index.name), WAIT_GONE]
        spec = required_spec(after, app_label, self.name)
        return [add_index_request(spec, prefixed(spec.table_name), self.index), WAIT_ACTIVE]

    def describe(self):
        return f"Add {self.index.describe()} to {self.name}"

    @property
    def migration_name_fragment(self):
        return f"{self.name_lower}_{_fragment(self.index.name)}"


class RemoveGlobalIndex(TableOperation):
    """Delete a global index (written in full, so that unapplying creates it again)."""

    category = OperationCategory.REMOVAL

    def __init__(self, name, index):
        super().__init__(name)
        self.index = _global(index, "RemoveGlobalIndex")

    def state_forwards(self, app_label, state):
        spec = required_spec(state, app_label, self.name)
        if spec.index(self.index.name) is None:
            raise InvalidMigration(
                f"{app_label}.{self.name} has no index {self.index.name!r} at this point of the "
                "migrations."
            )
        set_table_spec(state, app_label, self.name, spec.without_index(self.index.name))

    def forwards(self, app_label, before, after, report):
        name = prefixed(required_spec(after, app_label, self.name).table_name)
        tableadmin.remove_index(name, self.index.name, report)

    def backwards(self, app_label, before, after, report):
        spec = required_spec(before, app_label, self.name).with_index(self.index)
        tableadmin.add_index(spec, prefixed(spec.table_name), self.index, report)

    def requests(self, app_label, before, after, backwards):
        if backwards:
            spec = required_spec(before, app_label, self.name).with_index(self.index)
            return [add_index_request(spec, prefixed(spec.table_name), self.index), WAIT_ACTIVE]
        name = prefixed(required_spec(after, app_label, self.name).table_name)
        return [remove_index_request(name, self.index.name), WAIT_GONE]

    def describe(self):
        return f"Remove global index {self.index.name!r} from {self.name}"

    @property
    def migration_name_fragment(self):
        return f"remove_{self.name_lower}_{_fragment(self.index.name)}"


class ReplaceGlobalIndex(TableOperation):
    """Change a global index's projection or key: DynamoDB cannot, so delete it and create it anew.

    Queries through the index fail between the two, and the new one is
    backfilled from the whole table. Unapplied, it puts the old one back the
    same way.
    """

    category = OperationCategory.ALTERATION

    def __init__(self, name, old, new):
        super().__init__(name)
        self.old = _global(old, "ReplaceGlobalIndex")
        self.new = _global(new, "ReplaceGlobalIndex")
        if old.name != new.name:
            raise InvalidMigration(
                f"ReplaceGlobalIndex replaces an index by one of the same name, not "
                f"{old.name!r} by {new.name!r}: remove one and add the other."
            )

    def state_forwards(self, app_label, state):
        spec = required_spec(state, app_label, self.name)
        if spec.index(self.old.name) is None:
            raise InvalidMigration(
                f"{app_label}.{self.name} has no index {self.old.name!r} at this point of the "
                "migrations."
            )
        set_table_spec(state, app_label, self.name, spec.with_index(self.new))

    def _replace(self, spec, old, new, report):
        tableadmin.replace_index(spec, prefixed(spec.table_name), old, new, report)

    def forwards(self, app_label, before, after, report):
        self._replace(required_spec(after, app_label, self.name), self.old, self.new, report)

    def backwards(self, app_label, before, after, report):
        self._replace(required_spec(before, app_label, self.name), self.new, self.old, report)

    def requests(self, app_label, before, after, backwards):
        state, old, new = (before, self.new, self.old) if backwards else (after, self.old, self.new)
        spec = required_spec(state, app_label, self.name)
        name = prefixed(spec.table_name)
        return [
            remove_index_request(name, old.name),
            WAIT_GONE,
            add_index_request(spec, name, new),
            WAIT_ACTIVE,
        ]

    def describe(self):
        return (
            f"Replace global index {self.new.name!r} of {self.name} (deleted, then created "
            f"again: queries through it fail meanwhile): {self.old.describe()} -> "
            f"{self.new.describe()}"
        )

    @property
    def migration_name_fragment(self):
        return f"replace_{self.name_lower}_{_fragment(self.new.name)}"
