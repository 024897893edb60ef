"""manage.sh, the compose file and the Dockerfile.

The end-to-end test (marked ``e2e``; run alone with ``./manage.sh test -m e2e``)
clones the repository, starts the local stack with ``./manage.sh run`` on free
ports, walks through the README's curl examples over real HTTP against
gunicorn, stops it, and checks that no process it started is left.
"""

import base64
import concurrent.futures
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.engine import free_port

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "manage.sh"


def manage(*args, cwd=ROOT, env=None, timeout=60):
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [str(cwd / "manage.sh"), *args],
        cwd=cwd,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def venv_env():
    """Reuse the running interpreter's virtual environment: no second install."""
    return {"VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}


def test_help_lists_every_subcommand():
    result = manage("help")
    assert result.returncode == 0
    for command in (
        "run",
        "stop",
        "status",
        "logs",
        "test",
        "bench",
        "fmt",
        "lint",
        "lock",
        "help",
    ):
        assert re.search(rf"^\s+{command}\b", result.stdout, re.MULTILINE), command


def test_unknown_subcommand_prints_usage_and_fails():
    result = manage("frobnicate")
    assert result.returncode != 0
    assert "unknown command: frobnicate" in result.stderr
    assert "Usage: ./manage.sh" in result.stderr


def test_logs_rejects_a_bad_argument():
    result = manage("logs", "--tail=many", env={"STACK_MODE": "local"})
    assert result.returncode != 0
    assert "--tail takes a number" in result.stderr


def test_bad_stack_mode_is_a_clear_error(tmp_path):
    result = manage("status", env={"STACK_MODE": "kubernetes"})
    assert result.returncode != 0
    assert "STACK_MODE must be 'docker' or 'local'" in result.stderr


def test_run_refuses_settings_the_service_cannot_start_with_before_starting_anything(tmp_path):
    clone = scratch_checkout(tmp_path / "clone")
    shutil.copytree(ROOT / "src", clone / "src", ignore=shutil.ignore_patterns("__pycache__"))
    ports = {"DJANGO_PORT": str(free_port()), "DYNAMODB_PORT": str(free_port())}
    environment = {**venv_env(), **ports, "STACK_MODE": "local", "DJANGO_SERVER": "bogus"}
    result = manage("run", cwd=clone, env=environment)
    assert result.returncode != 0
    assert "the settings are refused: DJANGO_SERVER must be asgi or wsgi, not 'bogus'" in (
        result.stderr
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert not list((clone / "var/run").glob("*.pid"))


def compose_files(tmp_path):
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    return tmp_path / "docker-compose.yml"


def compose_command():
    """``docker compose`` (the plugin) when it answers, else ``docker-compose``, else None."""
    plugin = shutil.which("docker") and subprocess.run(
        ["docker", "compose", "version"], capture_output=True
    )
    if plugin and plugin.returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


COMPOSE = compose_command()


# Never skipped in CI: .ci/run installs Debian's docker-compose.
@pytest.mark.skipif(COMPOSE is None and not os.environ.get("CI"), reason="no docker compose")
def test_compose_file_validates(tmp_path):
    assert COMPOSE, "neither docker compose nor docker-compose is installed"
    compose = compose_files(tmp_path)
    result = subprocess.run(
        [*COMPOSE, "-f", str(compose), "config", "-q"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_dockerfile_and_compose_agree():
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    gunicorn_conf = "/app/src/project/gunicorn.conf.py"
    assert gunicorn_conf.removeprefix("/app/") in {
        str(p.relative_to(ROOT)) for p in ROOT.glob("src/project/*.py")
    }
    assert f'"gunicorn", "--config", "{gunicorn_conf}"' in dockerfile
    assert "EXPOSE 8000" in dockerfile and "DJANGO_PORT=8000" in dockerfile
    assert "${DJANGO_PORT:-8000}:8000" in compose
    assert "DYNAMODB_ENDPOINT_URL: http://dynamodb:8000" in compose
    assert "http://127.0.0.1:8000/health/" in dockerfile
    assert "http://127.0.0.1:8000/health/" in compose
    assert "USER app" in dockerfile
    # Python 3.11 by default, another base by --build-arg (CI builds on its own).
    assert "ARG PYTHON_IMAGE=python:3.11-slim\n" in dockerfile
    assert "FROM ${PYTHON_IMAGE} AS build\n" in dockerfile
    assert "FROM ${PYTHON_IMAGE} AS runtime\n" in dockerfile
    assert "pip install --require-hashes" in dockerfile
    # The code is root's: app owns nothing but /app/data.
    assert "--chown" not in dockerfile and "chown app:app /app/data" in dockerfile
    assert compose.count("condition: service_healthy") >= 2
    # The worst DynamoDB call stays under gunicorn's timeout (attempts x timeouts).
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    worst = int(example["DYNAMODB_MAX_ATTEMPTS"]) * (
        float(example["DYNAMODB_CONNECT_TIMEOUT"]) + float(example["DYNAMODB_READ_TIMEOUT"])
    )
    assert worst + 20 < int(example["GUNICORN_TIMEOUT"])


def test_env_example_documents_every_variable_the_project_reads():
    read = set()
    for path in [ROOT / "src/project/settings.py", ROOT / "src/project/gunicorn.conf.py"]:
        read |= set(
            re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", path.read_text())
        )
        read |= set(re.findall(r"""environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", path.read_text()))
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert read, "no variables found: the pattern is out of date"
    assert read - documented == set()


class Stack:
    """A clone of the repository with its own ports, driven through manage.sh."""

    def __init__(self, path):
        self.path = path
        self.django_port = free_port()
        self.dynamodb_port = free_port()
        self.env = {
            **venv_env(),
            "DJANGO_PORT": str(self.django_port),
            "DYNAMODB_PORT": str(self.dynamodb_port),
            "STACK_MODE": "local",
        }
        self.url = f"http://127.0.0.1:{self.django_port}"

    def manage(self, *args, timeout=120):
        return manage(*args, cwd=self.path, env=self.env, timeout=timeout)

    def pids(self):
        return [int(p.read_text()) for p in (self.path / "var/run").glob("*.pid")]

    def request(self, method, path, body=None, user="admin", password="admin"):
        status, _headers, answer = self.send(method, path, body, user=user, password=password)
        return status, answer

    def send(self, method, path, body=None, headers=None, user="admin", password="admin"):
        """(status, headers, JSON body) of one request with Basic credentials."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=headers or {}
        )
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, response.headers, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, error.headers, json.loads(error.read() or b"null")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and re.search(r"^State:\s*Z", status.read_text(), re.M))


@pytest.mark.e2e
def test_fresh_clone_runs_the_readme_walkthrough(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    stack = Stack(clone)
    started = []
    try:
        result = stack.manage("run")
        assert result.returncode == 0, result.stderr
        started = stack.pids()
        assert len(started) == 2
        assert result.stdout.splitlines()[0] == f"Service:  {stack.url}"
        assert f"{stack.url}/api/docs/" in result.stdout

        again = stack.manage("run")
        assert again.returncode == 0 and "Already running." in again.stdout
        assert sorted(stack.pids()) == sorted(started)

        status, created = stack.request(
            "POST",
            "/api/dynamo/booking/",
            {"name": "Dinner", "address": "1 Main St", "date_for": "2026-12-24T19:00:00Z"},
        )
        assert status == 201, created
        booking_id = created["id"]
        status, page = stack.request("GET", "/api/dynamo/booking/?page_size=10")
        assert status == 200 and [b["id"] for b in page["results"]] == [booking_id]
        status, page = stack.request(
            "GET", f"/api/dynamo/booking/?user={created['user']}&ordering=-date_at"
        )
        assert status == 200 and [b["id"] for b in page["results"]] == [booking_id]
        status, one = stack.request("GET", f"/api/dynamo/booking/{booking_id}/")
        assert status == 200 and one["name"] == "Dinner"
        status, patched = stack.request(
            "PATCH", f"/api/dynamo/booking/{booking_id}/", {"name": "Lunch"}
        )
        assert status == 200 and patched["name"] == "Lunch" and patched["address"] == "1 Main St"
        assert_the_admin_lists(stack, booking_id, "Lunch")
        status, _ = stack.request("DELETE", f"/api/dynamo/booking/{booking_id}/")
        assert status == 204
        status, _ = stack.request("GET", f"/api/dynamo/booking/{booking_id}/")
        assert status == 404
        status, _ = stack.request("GET", "/api/dynamo/booking/", password="wrong")
        assert status == 401

        assert_the_engine_applies_writes_one_at_a_time(stack)

        command = stack.manage("run", "createdynamotables")
        assert command.returncode == 0 and "already exists" in command.stdout

        logs = stack.manage("logs", "--tail=5", "django")
        assert logs.returncode == 0 and "/api/dynamo/booking/" in logs.stdout

        # A dead engine is restarted by run, with its tables.
        engine_pid = int((clone / "var/run/dynamodb.pid").read_text())
        os.kill(engine_pid, 15)
        deadline = time.monotonic() + 10
        while alive(engine_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        repaired = stack.manage("run")
        assert repaired.returncode == 0, repaired.stderr
        started += stack.pids()
        status, page = stack.request("GET", "/api/dynamo/booking/")
        assert status == 200 and page["results"] == []
    finally:
        stopped = stack.manage("stop")
    assert stopped.returncode == 0
    assert not [pid for pid in started if alive(pid)]
    again = stack.manage("stop")
    assert again.returncode == 0 and "Nothing is running." in again.stderr
    status = stack.manage("status")
    assert "dynamodb: stopped" in status.stdout and "django: stopped" in status.stdout


def assert_the_admin_lists(stack, booking_id, name):
    """The dev superuser logs in to /admin/ and finds the booking in its changelist."""
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login = f"{stack.url}/admin/login/?next=/admin/booking/booking/"
    page = browser.open(login, timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "admin", "password": "admin"}
    ).encode()
    request = urllib.request.Request(login, data=form, headers={"Referer": login})
    with browser.open(request, timeout=30) as response:
        assert response.status == 200 and response.url.endswith("/admin/booking/booking/")
        changelist = response.read().decode()
    assert f"/admin/booking/booking/{booking_id}/change/" in changelist
    assert name in changelist


def assert_the_engine_applies_writes_one_at_a_time(stack):
    """The local engine is linearisable for writes, as DynamoDB is for an item's."""
    bookings = "/api/dynamo/booking/"
    racers = 20
    body = {"address": "1 Main St", "date_at": "2026-06-01T12:00:00Z"}
    with concurrent.futures.ThreadPoolExecutor(racers) as pool:
        replies = list(
            pool.map(
                lambda n: stack.request("POST", bookings, {**body, "name": f"r{n}"}), range(racers)
            )
        )
    statuses = sorted(status for status, _ in replies)
    assert statuses == [201] + [409] * (racers - 1), statuses
    (created,) = [answer for status, answer in replies if status == 201]
    url = f"{bookings}{created['id']}/"
    _, headers, _ = stack.send("GET", url)
    first_version = int(headers["ETag"].strip('"'))

    def writer(n):
        """Read the ETag, write with If-Match; return the versions this writer moved from."""
        moved_from = []
        for attempt in range(5):
            _, headers, _ = stack.send("GET", url)
            status, _, _ = stack.send(
                "PATCH", url, {"name": f"w{n}-{attempt}"}, headers={"If-Match": headers["ETag"]}
            )
            assert status in (200, 412), status
            if status == 200:
                moved_from.append(int(headers["ETag"].strip('"')))
        return moved_from

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        moved = [version for versions in pool.map(writer, range(8)) for version in versions]
    _, headers, _ = stack.send("GET", url)
    assert int(headers["ETag"].strip('"')) == first_version + len(moved), "an update was lost"
    assert len(set(moved)) == len(moved), "two writes succeeded from one version"
    status, _ = stack.request("DELETE", url)
    assert status == 204


def scratch_checkout(path):
    """manage.sh and .env.example alone, all ``./manage.sh run`` reads before it starts the
    engine: it creates its .env there, not in the repository."""
    path.mkdir()
    for name in ("manage.sh", ".env.example"):
        shutil.copy2(ROOT / name, path / name)
    return path


def test_run_refuses_a_port_taken_by_another_program(tmp_path):
    checkout = scratch_checkout(tmp_path / "checkout")
    stack = Stack(checkout)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", stack.dynamodb_port))
        sock.listen()
        state = tmp_path / "state"
        result = manage(
            "run",
            cwd=checkout,
            env={**stack.env, "MANAGE_STATE_DIR": str(state)},
        )
    assert result.returncode != 0
    assert f"port {stack.dynamodb_port} is already in use" in result.stderr
    assert (checkout / ".env").is_file()  # written beside this manage.sh
