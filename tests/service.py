"""The project served by gunicorn on a free loopback port, for the suites that test it over HTTP.

The reliability suite (tests/reliability) and the browser suite (tests/browser)
start the service as an operator would: ``manage.py`` subprocesses migrate its
SQLite file and create its tables, then gunicorn runs with the project's
``gunicorn.conf.py``, next to an engine of the suite's own. The service's
environment is given explicitly (never the developer's ``.env``): the
reliability suite serves the test settings, the browser suite the project's own,
as ``./manage.sh run`` does.
"""

import contextlib
import dataclasses
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from django.conf import settings

from tests.api_helpers import BOOKINGS
from tests.engine import die_with_parent, free_port

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
GUNICORN_CONF = SRC / "project" / "gunicorn.conf.py"
SETTINGS_MODULE = "tests.reliability.service_settings"
WORKERS = 2
# DEBUG is off in the service, which then needs a real-looking key.
SERVICE_SECRET_KEY = "reliability-service-only-" + "k3y9Q" * 8
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def alive(pid):
    """Whether ``pid`` is a live process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def children(pid):
    """The pids of the live processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


# HTTP


@dataclasses.dataclass
class Reply:
    status: int
    headers: dict  # lower-case names
    body: bytes
    elapsed: float

    def json(self):
        return json.loads(self.body)

    @property
    def is_json(self):
        return self.headers.get("content-type", "").startswith("application/json")


class Traffic:
    """What a service was sent and answered (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.statuses = Counter()

    def record(self, status):
        with self._lock:
            self.statuses[status] += 1

    @property
    def sent(self):
        return sum(self.statuses.values())

    def errors(self):
        """Answers of 500 and above (and -1: no answer at all)."""
        return sum(n for status, n in self.statuses.items() if status >= 500 or status < 0)


class Api:
    """JSON requests to a service on loopback, authenticated with a DRF token (or not)."""

    def __init__(self, service, token=None, timeout=30.0):
        self.service = service
        self.token = token
        self.timeout = timeout

    def request(self, method, path, body=None, headers=None):
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token is not None:
            sent["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.service.port, self.timeout)
        started = time.monotonic()
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            payload = response.read()
        except OSError:
            self.service.traffic.record(-1)
            raise
        finally:
            connection.close()
        reply = Reply(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            payload,
            time.monotonic() - started,
        )
        self.service.traffic.record(reply.status)
        return reply

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def patch(self, path, body, **kwargs):
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def listed(self, query=""):
        """Every booking of the listing ``query`` selects, through every page."""
        found, url = [], f"{BOOKINGS}?page_size=100{query}"
        while url:
            page = self.get(url)
            assert page.status == 200, page.body
            found += page.json()["results"]
            url = page.json()["next"]
            url = url and url[url.index(BOOKINGS) :]
        return found


# The service


class Service:
    """gunicorn serving the project on a free loopback port, its output in a log file.

    ``environment`` adds to (or overrides) the service's variables, e.g.
    ``DYNAMODB_READ_TIMEOUT``. Tables are created in ``engine_url``
    (``createdynamotables``) under the service's own ``prefix``.
    """

    def __init__(self, workdir, database, endpoint_url, prefix, environment=None, server=None):
        self.workdir = Path(workdir)
        self.database = database
        self.server = server  # DJANGO_SERVER: wsgi or asgi; None, the project's default
        self.endpoint_url = endpoint_url
        self.prefix = prefix
        self.extra = dict(environment or {})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / f"gunicorn-{prefix.strip('_')}-{self.port}.log"
        self.process = None
        self.traffic = Traffic()

    def environment(self, endpoint_url=None):
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DYN"))}
        return {
            **inherited,
            **CREDENTIALS,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(SRC)]),
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DJANGO_ENV_FILE": "/nonexistent",
            **({} if self.server is None else {"DJANGO_SERVER": self.server}),
            "DJANGO_SECRET_KEY": SERVICE_SECRET_KEY,
            "DATABASE_URL": f"sqlite:///{self.database}",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_THROTTLE_USER": "",
            "DJANGO_THROTTLE_ANON": "",
            "DJANGO_HOST": "127.0.0.1",
            "DJANGO_PORT": str(self.port),
            "GUNICORN_WORKERS": str(WORKERS),
            # Its own control socket (gunicorn's default path is shared by every gunicorn).
            "GUNICORN_CONTROL_SOCKET": str(self.log_path.with_suffix(".ctl")),
            "DYNAMODB_ENDPOINT_URL": endpoint_url or self.endpoint_url,
            "DYNAMODB_TABLE_PREFIX": self.prefix,
            # The suite's transport (DYNAMODB_TEST_TRANSPORT) is the service's too.
            "DYNAMODB_TRANSPORT": settings.DYNAMODB_TRANSPORT,
            # Loopback only: never through an HTTP proxy of the environment.
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            **self.extra,
        }

    def manage(self, *args, endpoint_url=None, timeout=120):
        """Run a management command of the service (in a subprocess); its stdout."""
        result = subprocess.run(
            [sys.executable, str(SRC / "manage.py"), *args],
            cwd=SRC,
            env=self.environment(endpoint_url),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}"
        return result.stdout

    def create_tables(self, endpoint_url=None):
        """``createdynamotables`` against the engine (directly, even when served by a proxy)."""
        self.manage("createdynamotables", endpoint_url=endpoint_url)

    def start(self, timeout=90):  # seconds to serve: a hang's bound, for a loaded machine
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)),
                ],
                cwd=SRC,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                urllib.request.urlopen(f"{self.url}/health/", timeout=1).close()
                if len(self.worker_pids()) == WORKERS:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not serve {self.url} within {timeout}s:\n{self.log()}")

    def worker_pids(self):
        return children(self.process.pid)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def booted_workers(self):
        """The pids of every worker the master booted (gunicorn logs each one)."""
        return {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", self.log())}

    def stop(self):
        """Stop gunicorn gracefully (SIGTERM); return the pids of processes still alive."""
        if self.process is None:
            return set()
        pids = {self.process.pid, *self.booted_workers(), *children(self.process.pid)}
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)  # gunicorn's graceful_timeout is 30 s
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in pids):
            time.sleep(0.05)
        return {pid for pid in pids if alive(pid)}
