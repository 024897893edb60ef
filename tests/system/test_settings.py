"""Security properties of the service's settings: defaults, deployment, secrets."""

import os
import re
import subprocess
import sys
from pathlib import Path

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


def test_debug_is_off_unless_the_environment_turns_it_on():
    code = "import django; from django.conf import settings; django.setup(); print(settings.DEBUG)"
    assert run_settings(code).stdout.strip() == "False"
    assert run_settings(code, DJANGO_DEBUG="true").stdout.strip() == "True"


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
    result = check_deploy(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="k3y-" + "x9Yq2" * 12)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_default_secret_key_is_flagged_by_check_deploy():
    result = check_deploy()
    assert result.returncode != 0 and "security.W009" in result.stderr


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
