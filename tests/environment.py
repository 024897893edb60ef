"""The suite's environment: the same on every machine.

``tests/settings.py`` calls ``isolate()`` first thing, before the project's
settings are read (pytest-django imports it before any conftest), and reads
them with no ``.env``. From then on the suite's process holds:

- none of the variables the project reads: every one ``.env.example``
  documents (tests/system/test_stack.py checks that it documents them all),
  and any ``DJANGO_*``, ``DYNAMODB_*``, ``GUNICORN_*``, ``WHITENOISE_*``,
  ``CACHE_URL``, ``DATABASE_URL``, ``API_MAX_BODY_BYTES``. The suite's own
  (``DYNAMODB_TEST_*``, and ``DJANGO_SETTINGS_MODULE``, pytest-django's
  choice) stay;
- AWS as the suite sets it: test credentials and region, no profile, no
  ``~/.aws`` (config and credentials files are ``os.devnull``), no instance
  metadata; every other ``AWS_*`` variable removed;
- no HTTP proxy (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``,
  in either case) and no ``REQUESTS_CA_BUNDLE``.

The clients the suite builds read this environment, and every process it
starts (the engines, manage.py, gunicorn, ./manage.sh) inherits it; those
that need a variable are given it explicitly.
"""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEPT = frozenset({"DJANGO_SETTINGS_MODULE"})
SUITE_PREFIXES = ("DYNAMODB_TEST_",)
PROJECT_PREFIXES = ("DJANGO_", "DYNAMODB_", "GUNICORN_", "WHITENOISE_", "AWS_")
PROJECT_NAMES = frozenset({"CACHE_URL", "DATABASE_URL", "API_MAX_BODY_BYTES"})
PROXIES = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"})
OTHERS = frozenset({"REQUESTS_CA_BUNDLE"})
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def documented():
    """The variables ``.env.example`` documents (set or commented out)."""
    example = ROOT / ".env.example"
    if not example.is_file():
        return frozenset()
    return frozenset(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example.read_text(), re.M))


def foreign(name, project_names):
    """Whether the suite drops ``name`` from its environment."""
    if name in KEPT or name.startswith(SUITE_PREFIXES):
        return False
    return (
        name in project_names
        or name.startswith(PROJECT_PREFIXES)
        or name.upper() in PROXIES
        or name in OTHERS
    )


def isolate(environ=os.environ):
    """Make ``environ`` the suite's (see above); return the names it removed."""
    project_names = PROJECT_NAMES | documented()
    removed = sorted(name for name in environ if foreign(name, project_names))
    for name in removed:
        del environ[name]
    environ.update(AWS)
    return removed
