"""A real DynamoDB-compatible engine for the tests, in its own process.

Two engines, chosen by ``DYNAMODB_TEST_ENGINE`` (``./manage.sh test --engine NAME``):

- ``moto`` (default): moto's server. Transactions, TTL, PartiQL; but it accepts
  some requests AWS rejects (26-item batches, 39-digit numbers).
- ``dynalite``: the npm package, installed under ``.engines/dynalite`` by
  ``./manage.sh test --engine dynalite``. It validates requests as AWS does,
  but has no transactions, TTL or PartiQL, and ignores global index changes.

Both listen on one loopback port for their whole life: ``stop()`` then
``start()`` simulates an outage and a recovery at the same address.
"""

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ENGINE = ROOT / "src" / "dynamodb" / "local_engine.py"
ENGINE_VARIABLE = "DYNAMODB_TEST_ENGINE"
DEFAULT_ENGINE = "moto"
# What an engine may lack (name: what it covers); a test needing one is marked ``needs_<name>``.
CAPABILITIES = {
    "transactions": "TransactWriteItems/TransactGetItems",
    "ttl": "UpdateTimeToLive/DescribeTimeToLive",
    "partiql": "ExecuteStatement/BatchExecuteStatement",
    "gsi_updates": "UpdateTable's GlobalSecondaryIndexUpdates",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent():
    """Linux: the engine gets SIGTERM when the test process dies, even killed or interrupted."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EngineServer:
    """A DynamoDB-compatible server process on a fixed loopback port."""

    name = ""
    capabilities = frozenset()
    health_path = "/"

    def __init__(self, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def command(self):
        raise NotImplementedError

    def environment(self):
        return dict(os.environ)

    def start(self, timeout=60):  # seconds to answer: a hang's bound, for a loaded machine
        # Errors go to a file (a pipe nobody reads could fill and block the engine).
        with tempfile.TemporaryFile() as errors:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=self.environment(),
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    code, self.process = self.process.returncode, None
                    errors.seek(0)
                    output = errors.read().decode(errors="replace").strip()[-2000:]
                    raise RuntimeError(f"{self.name} exited with {code}: {output}")
                try:
                    urllib.request.urlopen(f"{self.url}{self.health_path}", timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on {self.url} within {timeout}s")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class MotoServer(EngineServer):
    """moto's server as ./manage.sh run starts it (src/dynamodb/local_engine.py): one
    request at a time, as DynamoDB applies an item's writes; in memory; transactions,
    TTL and PartiQL."""

    name = "moto"
    capabilities = frozenset(CAPABILITIES)
    health_path = "/moto-api/"

    def command(self):
        return [sys.executable, str(LOCAL_ENGINE), "--port", str(self.port)]

    def environment(self):
        return {**os.environ, "MOTO_CALL_RESET_API": "false"}


def dynalite_cli():
    """dynalite's cli.js: ``DYNALITE_CLI``, else the project's install under .engines/."""
    configured = os.environ.get("DYNALITE_CLI")
    candidates = [Path(configured)] if configured else []
    candidates.append(ROOT / ".engines" / "dynalite" / "node_modules" / "dynalite" / "cli.js")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise RuntimeError(
        f"dynalite is not installed (looked for {', '.join(map(str, candidates))}): "
        "run the suite with ./manage.sh test --engine dynalite, which installs it."
    )


class DynaliteServer(EngineServer):
    """dynalite (npm) on Node.js: in memory unless ``path`` names a LevelDB directory.

    Tables are ACTIVE at once (``--createTableMs 0`` and its delete/update twins).
    No transactions, TTL or PartiQL: its unknown operations answer
    UnknownOperationException.
    """

    name = "dynalite"
    capabilities = frozenset()

    def __init__(self, port=None, path=None):
        super().__init__(port)
        self.path = path

    def command(self):
        node = os.environ.get("NODE") or shutil.which("node")
        if node is None:
            raise RuntimeError("dynalite needs Node.js 20 or later: `node` is not on PATH.")
        command = [node, str(dynalite_cli()), "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
        if self.path is not None:
            command += ["--path", str(self.path)]
        return command


ENGINES = {engine.name: engine for engine in (MotoServer, DynaliteServer)}


def selected_engine_class():
    """The engine class named by ``DYNAMODB_TEST_ENGINE`` (default moto)."""
    name = os.environ.get(ENGINE_VARIABLE) or DEFAULT_ENGINE
    try:
        return ENGINES[name]
    except KeyError:
        raise RuntimeError(
            f"{ENGINE_VARIABLE}={name!r} is not an engine; use one of {sorted(ENGINES)}."
        ) from None
