"""The suite depends on nothing of the developer's machine.

A ``.env`` at the project root (or named by ``DJANGO_ENV_FILE``), the
project's variables exported in a shell, an AWS profile or ``~/.aws``, and
HTTP proxies change no setting of the suite and reach neither its clients nor
the engine processes it starts (tests/environment.py); running the suite
leaves no ``.env`` in the repository.

Each check runs the suite's own code in a subprocess, in a copy of the
working tree: a hostile ``.env`` can then sit at the copy's root without
touching the developer's.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import environment

ROOT = Path(__file__).resolve().parents[2]
# What the copy holds: the project's files (the suite runs and ./manage.sh reads them),
# none of the state, caches or other trees a working copy may hold besides.
COPIED = [
    "src",
    "tests",
    "engines",
    "docs",
    "pyproject.toml",
    "manage.sh",
    ".env.example",
    ".gitignore",
    ".dockerignore",
    "Dockerfile",
    "docker-compose.yml",
    "README.md",
]
NOT_COPIED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "db.sqlite3", "staticfiles", ".env", "node_modules"
)
PROXY = "http://proxy.invalid:3128"

# Values of every kind the project reads, each far from the suite's own.
HOSTILE = {
    "DJANGO_DEBUG": "true",
    "DJANGO_SECRET_KEY": "hostile-secret-key",
    "DJANGO_ALLOWED_HOSTS": "hostile.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://hostile.example.com",
    "DJANGO_SECURE_HSTS_SECONDS": "7",
    "DJANGO_TIME_ZONE": "Pacific/Chatham",
    "DJANGO_LOG_LEVEL": "CRITICAL",
    "DJANGO_THROTTLE_ANON": "1/day",
    "DJANGO_THROTTLE_USER": "1/day",
    "DJANGO_LOGIN_FAILURE_LIMIT": "1",
    "DJANGO_NUM_PROXIES": "3",
    "DJANGO_STATIC_ROOT": "/nonexistent/hostile-static",
    "WHITENOISE_USE_FINDERS": "false",
    "CACHE_URL": "dummycache://",
    "DATABASE_URL": "sqlite:////nonexistent/hostile.sqlite3",
    "API_MAX_BODY_BYTES": "7",
    "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:9",
    "DYNAMODB_TABLE_PREFIX": "hostile_",
    "DYNAMODB_CONNECT_TIMEOUT": "77",
    "DYNAMODB_READ_TIMEOUT": "77",
    "DYNAMODB_MAX_ATTEMPTS": "9",
    "DYNAMODB_TRANSPORT": "boto3",
    "DYNAMODB_CREATE_TABLES_ON_MIGRATE": "true",
    "AWS_REGION": "ap-southeast-2",
    "AWS_DEFAULT_REGION": "ap-southeast-2",
    "AWS_ACCESS_KEY_ID": "HOSTILEKEY",
    "AWS_SECRET_ACCESS_KEY": "hostile",
}
# What a developer's shell holds besides: an AWS profile and files, and proxies.
SHELL = {
    "AWS_PROFILE": "hostile",
    "HTTP_PROXY": PROXY,
    "HTTPS_PROXY": PROXY,
    "ALL_PROXY": PROXY,
    "http_proxy": PROXY,
    "https_proxy": PROXY,
    "all_proxy": PROXY,
    "NO_PROXY": "hostile.example.com",
    "no_proxy": "hostile.example.com",
}

# What the suite's process sees once its settings are read (pytest-django reads them first,
# then the conftest is loaded): the settings, its environment, botocore's view, its client
# against a real engine started as the fixtures start it, and that engine's environment.
PROBE = """
import json, os, re, sys
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
TREE = os.getcwd()
import django

django.setup()
import botocore.session
from django.conf import settings

import tests.conftest  # what pytest loads next
from dynamodb.conf import conf
from dynamodb.wire import client
from tests.engine import MotoServer



def shown(value):  # a setting's repr, without the copy's path or objects' addresses
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value).replace(TREE, "<tree>"))


report = {
    "settings": {name: shown(getattr(settings, name)) for name in dir(settings) if name.isupper()},
    "environ": dict(os.environ),
}
session = botocore.session.Session()
frozen = session.get_credentials().get_frozen_credentials()
report["botocore"] = {
    "profiles": session.available_profiles,
    "config": session.full_config,
    "access_key": frozen.access_key,
    "region": session.get_config_variable("region"),
}
engine = MotoServer()
try:
    engine.start()
    raw = Path(f"/proc/{engine.process.pid}/environ").read_bytes()
    report["engine"] = dict(
        entry.split("=", 1) for entry in raw.decode().split("\\0") if "=" in entry
    )
    settings.DYNAMODB_ENDPOINT_URL = engine.url
    conf.reload()
    report["client"] = type(client.get_client()).__name__
    report["tables"] = client.call("list_tables")["TableNames"]
except Exception as error:  # reported: the settings' differences are shown first
    report["failed"] = repr(error)
finally:
    engine.stop()
print(json.dumps(report))
"""


def copy_tree(destination):
    """A copy of the working tree's project files (sources, tests, manage.sh...), no .env."""
    destination.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=NOT_COPIED, symlinks=True)
        else:
            shutil.copy2(source, destination / name)
    for requirements in ROOT.glob("requirements*"):
        shutil.copy2(requirements, destination / requirements.name)
    return destination


@pytest.fixture
def tree(tmp_path):
    return copy_tree(tmp_path / "tree")


@pytest.fixture
def home(tmp_path):
    """A home directory of its own: empty unless a test writes into it."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def hostile_home(home):
    """A ~/.aws with a profile named as the hostile AWS_PROFILE, and other credentials."""
    aws = home / ".aws"
    aws.mkdir()
    (aws / "config").write_text(
        "[default]\nregion = eu-west-3\nca_bundle = /nonexistent/ca.pem\nmax_attempts = 9\n"
        "[profile hostile]\nregion = eu-west-3\n"
    )
    (aws / "credentials").write_text(
        "[default]\naws_access_key_id = HOSTILEFILEKEY\naws_secret_access_key = x\n"
        "[hostile]\naws_access_key_id = HOSTILEPROFILEKEY\naws_secret_access_key = x\n"
    )
    return home


def dotenv(values):
    return "".join(f"{name}={value}\n" for name, value in values.items())


def base_environment(tree, home):
    """What any shell has: a PATH and a HOME; the suite's own choice of transport."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(tree / "src"), str(tree)]),
        "DYNAMODB_TEST_TRANSPORT": "lean",
    }


def probe(tree, env):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The probe's report on a machine with no .env, no project variable, no ~/.aws, no proxy."""
    base = tmp_path_factory.mktemp("clean")
    tree = copy_tree(base / "tree")
    home = base / "home"
    home.mkdir()
    return probe(tree, base_environment(tree, home))


def assert_absent(variables, hostile, where):
    leaked = {name for name, value in hostile.items() if variables.get(name) == value}
    assert leaked == set(), f"reached {where}"
    proxies = {name for name in variables if name.upper().endswith("_PROXY")}
    assert proxies == set(), f"proxy variables in {where}"
    assert "AWS_PROFILE" not in variables, where


def assert_nothing_leaked(report, clean, hostile):
    changed = {
        name: (value, report["settings"].get(name))
        for name, value in clean["settings"].items()
        if report["settings"].get(name) != value
    }
    assert changed == {}, "settings the developer's machine changed (clean, hostile)"
    assert report["settings"].keys() == clean["settings"].keys()
    assert_absent(report["environ"], hostile, "the suite's environment")
    assert report["botocore"] == clean["botocore"]
    assert report["botocore"]["access_key"] == "testing"
    assert report["botocore"]["region"] == "us-east-1"
    assert "failed" not in clean, clean["failed"]
    assert "failed" not in report, report["failed"]
    assert_absent(report["engine"], hostile, "the engine's environment")
    # No proxy turned the lean transport into boto3's, and requests reach the engine.
    assert report["client"] == clean["client"] == "LeanClient"
    assert report["tables"] == clean["tables"] == []


def test_a_dotenv_at_the_root_and_the_shell_change_nothing(tree, home, clean):
    # Half the variables in the project's .env, the other half exported by the shell.
    names = sorted(HOSTILE)
    (tree / ".env").write_text(dotenv({name: HOSTILE[name] for name in names[::2]}))
    shell = {**{name: HOSTILE[name] for name in names[1::2]}, **SHELL}
    report = probe(tree, {**base_environment(tree, hostile_home(home)), **shell})
    assert_nothing_leaked(report, clean, {**HOSTILE, **SHELL})


def test_the_env_file_named_by_django_env_file_changes_nothing(tree, home, clean, tmp_path):
    named = tmp_path / "hostile.env"
    named.write_text(dotenv({**HOSTILE, **SHELL, "AWS_CONFIG_FILE": "/nonexistent/config"}))
    env = {**base_environment(tree, hostile_home(home)), "DJANGO_ENV_FILE": str(named)}
    report = probe(tree, env)
    assert_nothing_leaked(report, clean, {**HOSTILE, **SHELL})
    assert "DJANGO_ENV_FILE" not in report["environ"]


def test_the_reliability_service_still_reads_its_environment(tree, home, tmp_path):
    """tests.reliability.service_settings reads what the fixtures give gunicorn's workers."""
    code = (
        "import json, os\n"
        "import django\n"
        "django.setup()\n"
        "from django.conf import settings as s\n"
        "print(json.dumps([s.DATABASES['default']['NAME'], s.DYNAMODB_READ_TIMEOUT,"
        " s.DYNAMODB_MAX_ATTEMPTS, s.DYNAMODB_TABLE_PREFIX, s.DYNAMODB_IDEMPOTENCY_LEASE,"
        " s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], os.environ.get('GUNICORN_WORKERS')]))\n"
    )
    database = tmp_path / "service.sqlite3"
    env = {
        **base_environment(tree, home),
        "DJANGO_SETTINGS_MODULE": "tests.reliability.service_settings",
        "DJANGO_ENV_FILE": "/nonexistent",
        "DJANGO_SECRET_KEY": "service-" + "k3y9Q" * 10,
        "DATABASE_URL": f"sqlite:///{database}",
        "DYNAMODB_READ_TIMEOUT": "1.5",
        "DYNAMODB_MAX_ATTEMPTS": "2",
        "DYNAMODB_TABLE_PREFIX": "rel_",
        "DYNAMODB_IDEMPOTENCY_LEASE": "2",
        "DJANGO_THROTTLE_USER": "5/minute",
        "DJANGO_THROTTLE_ANON": "",
        "GUNICORN_WORKERS": "2",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        str(database),
        1.5,
        2,
        "rel_",
        2.0,
        {"anon": None, "user": "5/minute"},
        "2",
    ]


def run_pytest(tree, home, *args, **env):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=tree,
        env={**base_environment(tree, home), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_settings_module_from_the_shell_changes_nothing(tree, home):
    """pytest-django prefers an exported DJANGO_SETTINGS_MODULE to an ini option, not to --ds."""
    result = run_pytest(
        tree,
        home,
        "-q",
        "tests/unit/test_checks.py",
        DJANGO_SETTINGS_MODULE="project.settings",
    )
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert " passed" in result.stdout


def assert_passed(result, test):
    """``test`` ran and passed in a ``pytest -rA`` run (whatever the others did)."""
    assert f"PASSED tests/system/test_stack.py::{test}" in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )


def test_the_stack_tests_leave_no_dotenv_in_the_repository(tree, home):
    """``./manage.sh run`` writes .env beside itself: never in the repository under test."""
    assert not (tree / ".env").exists()
    result = run_pytest(tree, home, "-rA", "-m", "not e2e", "tests/system/test_stack.py")
    assert_passed(result, "test_run_refuses_a_port_taken_by_another_program")
    assert not (tree / ".env").exists(), "a test of test_stack.py created .env at the root"


@pytest.mark.e2e
def test_the_e2e_test_leaves_no_dotenv_in_the_repository(tree, home):
    git = ["git", "-c", "user.name=suite", "-c", "user.email=suite@example.com"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "working tree"]):
        subprocess.run([*git, *command], cwd=tree, check=True, capture_output=True)
    result = run_pytest(tree, home, "-rA", "-m", "e2e", "tests/system/test_stack.py")
    assert_passed(result, "test_fresh_clone_runs_the_readme_walkthrough")
    assert not (tree / ".env").exists(), "the e2e test created .env at the root"


def test_the_suite_removes_what_the_project_reads_and_keeps_its_own():
    hostile = {**HOSTILE, **SHELL, "DJANGO_ENV_FILE": "/x", "GUNICORN_WORKERS": "9"}
    own = {
        "DYNAMODB_TEST_ENGINE": "moto",
        "DYNAMODB_TEST_TRANSPORT": "boto3",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PATH": "/usr/bin",
    }
    environ = {**hostile, **own}
    environment.isolate(environ)
    assert {name: environ[name] for name in own} == own
    assert not {name for name, value in hostile.items() if environ.get(name) == value}
    assert environ["AWS_CONFIG_FILE"] == environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
