"""The migration states around each operation of ``migrate --plan``, to print its requests.

Django's ``migrate --plan`` describes each operation of its plan without its
migration. An operation instance belongs to one migration module, and every
``MigrationLoader`` builds its migrations from the same module objects, so a
loader of our own finds the migration of each operation by identity, and
replays the states up to it. Where that fails (a replaced migration), the
operation is described without its requests.
"""

from django.db.migrations.exceptions import NodeNotFoundError
from django.db.migrations.loader import MigrationLoader


class PlanStates:
    """(app label, state before, state after) of the operations of a project's migrations."""

    def __init__(self, connection):
        self.loader = MigrationLoader(connection)
        self.positions = {}
        for key, migration in self.loader.disk_migrations.items():
            for position, operation in enumerate(migration.operations):
                self.positions.setdefault(id(operation), (key, position))
        self.starts = {}

    def around(self, operation):
        """The states before and after ``operation`` in its migration; None if not found."""
        found = self.positions.get(id(operation))
        if found is None:
            return None
        key, position = found
        if key not in self.starts:
            try:
                self.starts[key] = self.loader.project_state(key, at_end=False)
            except (KeyError, NodeNotFoundError):
                return None
        app_label = key[0]
        before = self.starts[key].clone()
        for earlier in self.loader.disk_migrations[key].operations[:position]:
            earlier.state_forwards(app_label, before)
        after = before.clone()
        operation.state_forwards(app_label, after)
        return app_label, before, after
