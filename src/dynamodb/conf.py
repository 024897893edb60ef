"""The one place where the dynamodb app reads Django settings, with their defaults.

Read at call time (not import time) so that `override_settings` in tests and a
per-test table prefix take effect immediately.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Endpoint of a DynamoDB-compatible engine; None means AWS DynamoDB itself.
    "DYNAMODB_ENDPOINT_URL": None,
    "DYNAMODB_REGION": "us-east-1",
    # Prepended to every table name: one namespace per environment or test run.
    "DYNAMODB_TABLE_PREFIX": "",
    # Seconds; kept short so that an unreachable engine fails fast.
    "DYNAMODB_CONNECT_TIMEOUT": 2.0,
    "DYNAMODB_READ_TIMEOUT": 3.0,
    # Total attempts per call in botocore's "standard" retry mode (1 = no retry).
    "DYNAMODB_MAX_ATTEMPTS": 3,
    # Seconds between DescribeTable polls while waiting for a table to be ACTIVE.
    "DYNAMODB_WAITER_DELAY": 0.2,
    "DYNAMODB_WAITER_MAX_ATTEMPTS": 150,
    # Create the missing tables of migrated apps after `migrate`; turn off where
    # tables are managed elsewhere (infrastructure as code).
    "DYNAMODB_CREATE_TABLES_ON_MIGRATE": True,
    # Table holding the id counters shared by every model (prefixed like the others).
    "DYNAMODB_ID_COUNTER_TABLE": "DynamoIdCounters",
    # Ids reserved per counter write (hi/lo): larger means fewer writes, bigger gaps.
    "DYNAMODB_ID_BLOCK_SIZE": 100,
    # Entries of the in-process id -> key cache, per model.
    "DYNAMODB_ID_CACHE_SIZE": 10000,
}


class Settings:
    """Attribute access to the DYNAMODB_* settings, falling back to DEFAULTS."""

    def __getattr__(self, name):
        setting = f"DYNAMODB_{name}"
        if setting not in DEFAULTS:
            raise AttributeError(f"Unknown dynamodb setting: {setting}")
        return getattr(django_settings, setting, DEFAULTS[setting])


conf = Settings()
