"""A throwaway Django app on disk, with its own migrations folder, for the migration tests.

``TempApp.models(source)`` writes the app's models.py and installs the app
afresh (Django's app registry re-imports it), so that ``makemigrations``
compares real migration files with the models as they are now. Nothing
outlives the test: the app leaves INSTALLED_APPS (pytest-django's ``settings``
fixture), the registry, ``sys.modules``, ``sys.path`` and the
``django_migrations`` table.
"""

import importlib
import sys
import textwrap

from django.apps import apps
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

HEADER = """\
from django.db import models

from dynamodb.models import DynamoCompatibleModel, GlobalIndex, LocalIndex, OnDemand, Provisioned
"""


class TempApp:
    def __init__(self, root, label, settings):
        self.root = root
        self.label = label
        self.settings = settings
        self.installed = list(settings.INSTALLED_APPS)
        self.package = root / label
        (self.package / "migrations").mkdir(parents=True)
        (self.package / "__init__.py").write_text("")
        (self.package / "migrations" / "__init__.py").write_text("")
        sys.path.insert(0, str(root))

    @property
    def migrations(self):
        """The names of the migration files written so far, in order."""
        return sorted(p.stem for p in (self.package / "migrations").glob("0*.py"))

    def migration_text(self, name):
        (path,) = (self.package / "migrations").glob(f"{name}*.py")
        return path.read_text()

    def write_migration(self, name, source):
        (self.package / "migrations" / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()

    def models(self, source):
        """Write models.py (after the imports every version needs) and install the app afresh."""
        (self.package / "models.py").write_text(HEADER + textwrap.dedent(source))
        self._forget_modules()
        apps.all_models.pop(self.label, None)
        importlib.invalidate_caches()
        self.settings.INSTALLED_APPS = [*self.installed, self.label]
        return apps.get_app_config(self.label)

    def model(self, name):
        return apps.get_model(self.label, name)

    def _forget_modules(self):
        for name in [n for n in sys.modules if n == self.label or n.startswith(f"{self.label}.")]:
            del sys.modules[name]

    def cleanup(self):
        """Forget the app (the settings fixture takes it out of INSTALLED_APPS)."""
        self._forget_modules()
        apps.all_models.pop(self.label, None)
        sys.path.remove(str(self.root))
        MigrationRecorder(connection).migration_qs.filter(app=self.label).delete()
