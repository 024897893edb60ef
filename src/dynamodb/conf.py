"""The one place where the dynamodb app reads Django settings, with their defaults.

``conf.READ_TIMEOUT`` reads ``DYNAMODB_READ_TIMEOUT`` once, casts it once and
keeps it as a plain attribute, so the hot path pays an attribute lookup.
Django's ``setting_changed`` signal (``override_settings``, pytest-django's
``settings`` fixture) drops the cache, as DRF's ``api_settings`` does; code
that assigns to ``django.conf.settings`` directly calls ``conf.reload()``.
Caches built from settings (the per-thread clients) compare ``conf.generation``.
"""

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

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
    # How requests are sent: "lean" (GetItem, PutItem, UpdateItem, DeleteItem,
    # Query, Scan and the batch calls signed by botocore but sent without its
    # per-call pipeline, for well under half its client CPU; see wire/transport.py)
    # or "boto3" (botocore's client for everything).
    "DYNAMODB_TRANSPORT": "lean",
    # Seconds between DescribeTable polls while waiting for a table to be ACTIVE.
    "DYNAMODB_WAITER_DELAY": 0.2,
    "DYNAMODB_WAITER_MAX_ATTEMPTS": 150,
    # Seconds a migration operation waits for a table or index to become ACTIVE (an index's
    # backfill on AWS can take hours): then it fails, and running migrate again waits on.
    "DYNAMODB_MIGRATE_TIMEOUT": 3600,
    # Let `migrate` create and change tables: the table operations of migrations, and
    # the missing tables of apps without migrations. Turn off where tables are managed
    # elsewhere (infrastructure as code): migrate then changes no table (data migrations
    # still run, and CopyTable copies into a table made elsewhere).
    "DYNAMODB_CREATE_TABLES_ON_MIGRATE": True,
    # Table holding the id counters shared by every model (prefixed like the others).
    "DYNAMODB_ID_COUNTER_TABLE": "DynamoIdCounters",
    # Ids reserved per counter write (hi/lo): larger means fewer writes, bigger gaps.
    "DYNAMODB_ID_BLOCK_SIZE": 100,
    # Entries of the in-process id -> key cache (all models together).
    "DYNAMODB_ID_CACHE_SIZE": 10000,
    # Seconds a POST's Idempotency-Key is remembered (then DynamoDB's TTL drops it).
    "DYNAMODB_IDEMPOTENCY_TTL": 24 * 3600,
    # Seconds a retry waits (409, Retry-After) for a create with its key still in progress,
    # longer than a request may last: then the retry settles what that request left.
    "DYNAMODB_IDEMPOTENCY_LEASE": 120,
    # Seconds a listing's next/previous cursor stays valid (then a 400 says it expired).
    "DYNAMODB_CURSOR_MAX_AGE": 3600,
    # Batch requests (bulk_insert, batch_get, cascades) resend what DynamoDB left
    # unprocessed at most this many requests per chunk, sleeping a random time up to
    # BACKOFF_BASE * 2**n seconds (never more than BACKOFF_MAX) between them.
    "DYNAMODB_BATCH_MAX_ATTEMPTS": 8,
    "DYNAMODB_BATCH_BACKOFF_BASE": 0.05,
    "DYNAMODB_BATCH_BACKOFF_MAX": 2.0,
}

# The values of DYNAMODB_TRANSPORT.
TRANSPORTS = ("boto3", "lean")

# How each numeric setting is cast when it is read (the system checks report bad values).
CASTS = {
    "CONNECT_TIMEOUT": float,
    "READ_TIMEOUT": float,
    "WAITER_DELAY": float,
    "MIGRATE_TIMEOUT": float,
    "BATCH_BACKOFF_BASE": float,
    "BATCH_BACKOFF_MAX": float,
    "MAX_ATTEMPTS": int,
    "WAITER_MAX_ATTEMPTS": int,
    "ID_BLOCK_SIZE": int,
    "ID_CACHE_SIZE": int,
    "IDEMPOTENCY_TTL": int,
    "IDEMPOTENCY_LEASE": float,
    "CURSOR_MAX_AGE": int,
    "BATCH_MAX_ATTEMPTS": int,
}


class Settings:
    """Attribute access to the DYNAMODB_* settings: read, cast and cached on first use."""

    def __init__(self):
        self.generation = 0

    def raw(self, name):
        """The setting as configured, uncast and uncached (for the system checks)."""
        setting = f"DYNAMODB_{name}"
        if setting not in DEFAULTS:
            raise AttributeError(f"Unknown dynamodb setting: {setting}")
        return getattr(django_settings, setting, DEFAULTS[setting])

    def __getattr__(self, name):
        value = self.raw(name)
        cast = CASTS.get(name)
        if cast is not None:
            try:
                value = cast(value)
            except (TypeError, ValueError) as error:
                raise ImproperlyConfigured(
                    f"DYNAMODB_{name} is {value!r}: {error}. Run `manage.py check`."
                ) from error
        setattr(self, name, value)
        return value

    def reload(self):
        """Forget every cached value (settings changed); caches built on them rebuild."""
        generation = self.generation + 1
        self.__dict__.clear()
        self.generation = generation


conf = Settings()


def _reload_on_change(*, setting, **kwargs):
    if setting.startswith("DYNAMODB_"):
        conf.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="dynamodb.conf.reload")
