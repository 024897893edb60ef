"""Settings of the service the reliability tests run under gunicorn.

The test suite's settings (its test app and the EveryField route of
``tests.urls``), but read from the environment as the project reads them:
a file database shared by the processes (``DATABASE_URL``), the engine, the
table prefix, the timeouts and attempts, the transport and the throttles.

``project.settings`` is imported first, on purpose: ``tests.settings`` then
takes the project's settings as read here, from the environment the
reliability fixtures give the service, instead of making the suite's own
environment (tests/environment.py) and reading them without it.
"""

import os

from django.conf import global_settings

from dynamodb.conf import DEFAULTS
from project import settings as project
from tests.settings import *  # noqa: F403

DATABASES = project.DATABASES
# The async viewsets where the service is served over ASGI, as booking/urls.py chooses.
ROOT_URLCONF = "tests.urls_async" if project.SERVER_INTERFACE == "asgi" else "tests.urls"
# Django's own hashers (PBKDF2), not the suite's fast one: a login costs what it costs.
PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
SECURE_SSL_REDIRECT = project.SECURE_SSL_REDIRECT
REST_FRAMEWORK = project.REST_FRAMEWORK
# As the project reads them: the environment's value, else the app's default.
for _name in (
    "DYNAMODB_ENDPOINT_URL",
    "DYNAMODB_TABLE_PREFIX",
    "DYNAMODB_CONNECT_TIMEOUT",
    "DYNAMODB_READ_TIMEOUT",
    "DYNAMODB_MAX_ATTEMPTS",
    "DYNAMODB_TRANSPORT",
):
    globals()[_name] = getattr(project, _name, DEFAULTS[_name])
# The tests that lose the engine's answers retry sooner than the default lease allows.
DYNAMODB_IDEMPOTENCY_LEASE = float(os.environ.get("DYNAMODB_IDEMPOTENCY_LEASE", "120"))
