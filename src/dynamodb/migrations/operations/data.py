"""RunDynamoPython: a function over every item of a model's table (a backfill, a cleanup).

    def fill_slug(booking):
        booking.slug = slugify(booking.name)

    operations = [RunDynamoPython(fill_slug, model="Booking")]

The function gets each item as an instance of the model class as the project
has it now (items are converted by the model's own code) and changes it in
place; only the attributes it changed are written, conditioned on the item
still being what the function read, so that writes the running application
makes meanwhile are never overwritten (``storage/rewrites.py``). The table
is the one the migrations declare at that point. Parallel segments,
checkpoints in DynamoDB that a re-run resumes from, and ``migrate --dry-run``
counts what it would change.
"""

from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import OperationCategory

from ...exceptions import InvalidMigration
from ...storage import rewrites, tableadmin
from ...storage.paging import check_limit
from ...storage.tablespecs import api_name
from .base import TableOperation, check_keys, live_schema, prefixed, required_spec


class RunDynamoPython(TableOperation):
    """Call ``forward(instance)`` for every item of ``model``'s table; ``reverse`` to unapply.

    ``model`` is a model of the migration's app ("Booking") or of another
    ("booking.Booking"). Without ``reverse`` the migration cannot be unapplied
    (``RunDynamoPython.noop`` unapplies by doing nothing). The functions must be
    idempotent: after an interruption, the page in progress is read again.
    """

    category = OperationCategory.PYTHON
    changes_tables = False  # data migrations run whoever manages the tables

    def __init__(self, forward, reverse=None, *, model, segments=4, page_size=250):
        for function in (forward, reverse):
            if function is not None and not callable(function):
                raise InvalidMigration(f"RunDynamoPython takes functions, not {function!r}.")
        if not isinstance(model, str) or not model.strip("."):
            raise InvalidMigration(
                f'model must name a model ("Booking" or "booking.Booking"): {model!r}.'
            )
        check_limit("segments", segments, minimum=1, required=True)
        check_limit("page_size", page_size, minimum=1, required=True)
        self.model_app, _, name = model.rpartition(".")
        super().__init__(name)
        self.forward = forward
        self.reverse = reverse
        self.model = model
        self.segments = segments
        self.page_size = page_size

    @property
    def reversible(self):
        return self.reverse is not None

    @staticmethod
    def noop(instance):
        """A function that changes nothing: a reverse that unapplies by doing nothing."""

    def references_model(self, name, app_label):
        return name.lower() == self.name_lower and (self.model_app or app_label) == app_label

    def state_forwards(self, app_label, state):
        pass

    def _run(self, app_label, state, function, undone, report, dry_run=False):
        app = self.model_app or app_label
        spec = required_spec(state, app, self.name)
        name = prefixed(spec.table_name)
        migration = None if dry_run else self._migration()
        if undone is not None and not dry_run:
            # Also when ``function`` is a noop: the next run of ``undone`` starts afresh.
            rewrites.forget(name, undone, self.segments, migration)
        if function is RunDynamoPython.noop:
            return 0, 0
        if tableadmin.is_empty(name):
            return 0, 0  # nothing to rewrite (a new environment): the model's code is not needed
        schema = live_schema(app, self.name, spec)
        check_keys(schema, spec, name)
        return rewrites.rewrite_table(
            schema,
            function,
            migration=migration,
            segments=self.segments,
            page_size=self.page_size,
            report=report,
            dry_run=dry_run,
        )

    def _migration(self):
        """Where this operation is ("booking.0003_fill_slug, operation 1"), to key its checkpoints.

        Django tells an operation nothing of its migration, but every loader
        builds its migrations from the same modules: found there by identity.
        """
        loader = MigrationLoader(None, load=False)
        loader.load_disk()
        for (app_label, name), migration in loader.disk_migrations.items():
            for position, operation in enumerate(migration.operations, start=1):
                if operation is self:
                    return f"{app_label}.{name}, operation {position}"
        raise InvalidMigration(
            f"{self.describe()} is in no migration file of the project: its checkpoints are "
            "kept per migration."
        )

    def forwards(self, app_label, before, after, report):
        self._run(app_label, before, self.forward, self.reverse, report)

    def backwards(self, app_label, before, after, report):
        self._run(app_label, after, self.reverse, self.forward, report)

    def dry_run(self, app_label, state, report, backwards=False):
        """(items read, items the function would change), writing nothing."""
        function = self.reverse if backwards else self.forward
        return self._run(app_label, state, function, None, report, dry_run=True)

    def requests(self, app_label, before, after, backwards):
        app = self.model_app or app_label
        spec = required_spec(after if backwards else before, app, self.name)
        function = self.reverse if backwards else self.forward
        name = prefixed(spec.table_name)
        return [
            f"{api_name('scan')} of {name} in {self.segments} segments of {self.page_size} "
            f"items; {function.__name__}() of each item; an UpdateItem of the attributes it "
            "changed, conditioned on the item being as read (nothing sent for the others)"
        ]

    def describe(self):
        return f"Run {self.forward.__name__} over every item of {self.model}"
