"""Settings of the django_dynamo_connector service, read from the environment.

Every variable is documented in `.env.example`. Locally `.env` at the project
root is read too; in containers the environment alone is used.
"""

import datetime
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_ROOT = BASE_DIR.parent

env = environ.Env()
# Variables already in the environment win over the file's.
environ.Env.read_env(
    env.str("DJANGO_ENV_FILE", default=str(PROJECT_ROOT / ".env")), overwrite=False
)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "django-insecure-local-development-only"
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    # Sessions, password resets and the API's cursors are signed with it: a guessable
    # key would let anyone forge them. The same test as `check --deploy` (security.W009).
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to 50 or more random characters when DJANGO_DEBUG "
        "is false (it is missing, short or an example). Generate one with: python3 -c "
        "'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS hardening, on by default whenever DEBUG is off (`manage.py check --deploy`
# is clean with DJANGO_DEBUG=false, a real DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS).
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto, trust that header with
# DJANGO_SECURE_PROXY_SSL_HEADER=true; never by default, or any client could claim HTTPS.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
# Where sessions live: Django's database by default; "django.contrib.sessions.backends.cache"
# keeps them in the cache (DynamoDB without DEBUG), shared by every instance.
SESSION_ENGINE = env.str("DJANGO_SESSION_ENGINE", default="django.contrib.sessions.backends.db")
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "axes",
    "project",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dynamodb",
    "booking",
]

MIDDLEWARE = [
    # First: probes answer whatever the Host header (the container's IP) or scheme.
    "project.health.ProbeMiddleware",
    "project.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "project.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # DynamoDB down or throttling in any view the API and the admin do not guard: 503.
    "dynamodb.middleware.EngineUnavailableMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its 429.
    "axes.middleware.AxesMiddleware",
]

# Failed logins (project/logins.py): after AXES_FAILURE_LIMIT failures from one
# client address or for one username, every login attempt of that address or
# username is refused for DJANGO_LOGIN_LOCKOUT_SECONDS (429 with Retry-After),
# before any password hash runs. Counted in the default cache (DynamoDB in
# production), so every process and instance shares the counts.
AUTHENTICATION_BACKENDS = [
    "project.logins.LockoutBackend",
    "project.logins.RefuseDevPasswordBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(
    seconds=env.int("DJANGO_LOGIN_LOCKOUT_SECONDS", default=15 * 60)
)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_RESET_ON_SUCCESS = True
# The window runs from the lockout: attempts during it neither count nor extend it, so
# the right password works once it is over (and a flood cannot keep an account shut).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "project.logins.client_address"
AXES_LOCKOUT_CALLABLE = "project.logins.lockout_response"
AXES_ENABLE_ADMIN = False  # the attempts are in the cache, not in SQL
AXES_VERBOSE = False  # lockouts are logged as warnings; no banner on every start

# Proxies in front of the service whose X-Forwarded-For is trusted (0: none, the
# client address is REMOTE_ADDR). Throttles and login lockouts key on that address.
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"
# How gunicorn serves the project: "asgi" (uvicorn workers, the async viewsets: no thread
# waits on DynamoDB) or "wsgi" (sync workers and viewsets). project/gunicorn.conf.py and
# booking/urls.py follow it.
SERVER_INTERFACE = env.str("DJANGO_SERVER", default="asgi")
if SERVER_INTERFACE not in ("asgi", "wsgi"):
    raise ImproperlyConfigured(f"DJANGO_SERVER must be asgi or wsgi, not {SERVER_INTERFACE!r}.")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Throttle counters, login lockouts and any cached data. Without DEBUG, in DynamoDB
# (dynamodb.cache.DynamoDBCache, table DynamoCache): shared by every worker and
# instance. With DEBUG, in local memory: per process. CACHE_URL chooses another:
# dynamodb://, redis://host:6379/1, locmemcache://, ...
_cache_url = env.str("CACHE_URL", default="") or ("locmemcache://" if DEBUG else "dynamodb://")
if _cache_url == "dynamodb://":
    CACHES = {"default": {"BACKEND": "dynamodb.cache.DynamoDBCache"}}
else:
    CACHES = {"default": env.cache_url_config(_cache_url)}

# Django's relational database keeps only Django's own data (users, tokens,
# sessions); DynamoCompatibleModel data lives in DynamoDB.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve the static files of the installed apps without collectstatic (local runs).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

# Seconds /ready/ reuses its answer: a flood of probes is not a flood of DescribeTable.
READY_CACHE_SECONDS = env.float("DJANGO_READY_CACHE_SECONDS", default=5.0)

# Request bodies larger than this are refused with 413, whatever their type.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=512 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

REST_FRAMEWORK = {
    # Token first: an unauthenticated request gets 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "project.throttling.AnonThrottle",
        "project.throttling.UserThrottle",
    ],
    # "<requests>/<second|minute|hour|day>"; empty turns a throttle off.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("DJANGO_THROTTLE_ANON", default="60/minute") or None,
        "user": env.str("DJANGO_THROTTLE_USER", default="6000/minute") or None,
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dynamodb.rest.errors.exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "django_dynamo_connector",
    "DESCRIPTION": "Bookings stored in Amazon DynamoDB, served by Django REST Framework.",
    "VERSION": "1.0.0",
    # Request bodies get their own components (BookingRequest): without the read-only
    # fields, and with minLength 1 where a blank string is refused.
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# DynamoDB: dynamodb/conf.py holds every default; a variable set in the environment
# (or .env) overrides it. Credentials come from boto3's normal chain (environment,
# profile, role).
for _setting, _read in {
    "DYNAMODB_ENDPOINT_URL": lambda: env.str("DYNAMODB_ENDPOINT_URL") or None,  # empty: AWS
    "DYNAMODB_TABLE_PREFIX": lambda: env.str("DYNAMODB_TABLE_PREFIX"),
    "DYNAMODB_CONNECT_TIMEOUT": lambda: env.float("DYNAMODB_CONNECT_TIMEOUT"),
    "DYNAMODB_READ_TIMEOUT": lambda: env.float("DYNAMODB_READ_TIMEOUT"),
    "DYNAMODB_MAX_ATTEMPTS": lambda: env.int("DYNAMODB_MAX_ATTEMPTS"),
    "DYNAMODB_TRANSPORT": lambda: env.str("DYNAMODB_TRANSPORT"),
    "DYNAMODB_CREATE_TABLES_ON_MIGRATE": lambda: env.bool("DYNAMODB_CREATE_TABLES_ON_MIGRATE"),
}.items():
    if _setting in os.environ:
        globals()[_setting] = _read()
_region = env.str("AWS_REGION", default=env.str("AWS_DEFAULT_REGION", default="")) or None
if _region:
    DYNAMODB_REGION = _region

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# In development (DEBUG on) the cache is this process's memory: login failures are
# counted per process, which axes warns about (axes.W001). Production's cache is shared.
if DEBUG and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]
