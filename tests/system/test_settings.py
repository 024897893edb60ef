"""Security properties of the service's settings: defaults, deployment, secrets."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_settings(code, **env):
    clean = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_ENV_FILE": "/nonexistent/.env",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, cwd=ROOT / "src"
    )


PRODUCTION_KEY = "k3y-" + "x9Yq2" * 12


def test_debug_is_off_unless_the_environment_turns_it_on():
    code = "import django; from django.conf import settings; django.setup(); print(settings.DEBUG)"
    assert run_settings(code, DJANGO_SECRET_KEY=PRODUCTION_KEY).stdout.strip() == "False"
    assert run_settings(code, DJANGO_DEBUG="true").stdout.strip() == "True"


@pytest.mark.parametrize(
    "key", [None, "", "change-me", "x" * 60, "django-insecure-" + "k3y9Q" * 10, PRODUCTION_KEY[:49]]
)
def test_without_debug_a_missing_or_weak_secret_key_stops_the_start(key):
    code = "import django; django.setup()"
    env = {} if key is None else {"DJANGO_SECRET_KEY": key}
    result = run_settings(code, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr
    assert run_settings(code, DJANGO_SECRET_KEY=PRODUCTION_KEY).returncode == 0


def check_deploy(**env):
    """``manage.py check --deploy`` in a clean environment with the given variables."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT / "src",
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DJANGO_ENV_FILE": "/nonexistent/.env",
            "DJANGO_ALLOWED_HOSTS": "api.example.com",
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = check_deploy(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=PRODUCTION_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_cannot_even_start_without_a_real_secret_key():
    result = check_deploy()
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


SECRET_PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)aws_secret_access_key\s*=\s*['\"]?[A-Za-z0-9/+]{40}"),
    re.compile(r"ghp_[A-Za-z0-9]{36}"),
]


def test_no_secret_is_committed():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".env" not in files
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 1_000_000:
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {p.pattern}" for p in SECRET_PATTERNS if p.search(text)]
    assert found == []
