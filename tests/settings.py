"""Settings for the test suite: the project's, plus a test-only app.

The project's settings are read as on a machine without ``.env`` and without
any variable the project reads: the suite's environment is made first
(tests/environment.py), so that neither a developer's ``.env`` nor their
shell changes an outcome. Only when ``project.settings`` is already imported,
by ``tests.reliability.service_settings`` under gunicorn (the service's
environment is the one the reliability fixtures give it, on purpose), are
they taken as they were read.
"""

import importlib
import os
import sys

from dynamodb.conf import DEFAULTS
from tests import environment

if "project.settings" not in sys.modules:
    environment.isolate()
    # The project's settings read the file DJANGO_ENV_FILE names: here, an empty one.
    os.environ["DJANGO_ENV_FILE"] = os.devnull
    # With DEBUG off, the project refuses to start without a real key; the suite's signs
    # nothing that outlives it.
    os.environ["DJANGO_SECRET_KEY"] = "test-suite-only-key-signing-nothing-that-outlives-a-run"
    try:
        importlib.import_module("project.settings")
    finally:
        del os.environ["DJANGO_ENV_FILE"], os.environ["DJANGO_SECRET_KEY"]
from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
ROOT_URLCONF = "tests.urls"
DEBUG = False
# The test client speaks plain HTTP; production redirects it to HTTPS.
SECURE_SSL_REDIRECT = False
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The fixtures start the engine and give each test its own table prefix.
DYNAMODB_ENDPOINT_URL = None
DYNAMODB_TABLE_PREFIX = "test_"
DYNAMODB_CREATE_TABLES_ON_MIGRATE = False
DYNAMODB_MAX_ATTEMPTS = 2
# The whole suite runs on either transport: DYNAMODB_TEST_TRANSPORT=boto3 pytest ...
# By default on the app's default.
DYNAMODB_TRANSPORT = os.environ.get("DYNAMODB_TEST_TRANSPORT", DEFAULTS["DYNAMODB_TRANSPORT"])
DYNAMODB_WAITER_DELAY = 0.05
# The suite sends hundreds of requests a second; throttling is tested on its own.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
