"""Fuzzing the REST API from the OpenAPI schema the project serves (schemathesis, Hypothesis).

    pytest tests/fuzz                                      # CI budget: 160 cases
    FUZZ_MAX_EXAMPLES=50 FUZZ_COVERAGE=1 pytest -m fuzz tests/fuzz   # full run: 2,700 cases

FUZZ_MAX_EXAMPLES (default 5) is Hypothesis's ``max_examples`` for each
operation and identity (a regular user, staff) in test_booking_api.py, and
ten times that in test_list_bounds.py. FUZZ_COVERAGE=1 adds schemathesis's
coverage phase (about 1,100 deterministic boundary and type cases).
FUZZ_SEED replays a run (the header of the run prints it).

The engine and the tables come from tests/conftest.py: each test (one per
operation and identity) gets its own table prefix, kept for all its examples.
"""

import os
import random
from collections import Counter

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

DEFAULT_MAX_EXAMPLES = 5
# Responses, per (identity, operation, status code): summed up at the end of the run.
CASES = Counter()


def max_examples():
    raw = os.environ.get("FUZZ_MAX_EXAMPLES", "")
    try:
        value = int(raw) if raw else DEFAULT_MAX_EXAMPLES
    except ValueError:
        raise pytest.UsageError(f"FUZZ_MAX_EXAMPLES must be an integer, got {raw!r}.") from None
    if value < 1:
        raise pytest.UsageError(f"FUZZ_MAX_EXAMPLES must be at least 1, got {value}.")
    return value


def coverage_phase():
    """Whether schemathesis also runs its coverage phase (~1,000 deterministic boundary cases)."""
    return os.environ.get("FUZZ_COVERAGE", "") not in ("", "0")


def seed():
    raw = os.environ.get("FUZZ_SEED", "")
    try:
        return int(raw) if raw else random.SystemRandom().randrange(2**32)
    except ValueError:
        raise pytest.UsageError(f"FUZZ_SEED must be an integer, got {raw!r}.") from None


SEED = seed()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fuzz: requests generated from the OpenAPI schema (budget: FUZZ_MAX_EXAMPLES)"
    )


def pytest_report_header(config):
    coverage = int(coverage_phase())
    return f"fuzz: FUZZ_MAX_EXAMPLES={max_examples()} FUZZ_COVERAGE={coverage} FUZZ_SEED={SEED}"


def pytest_terminal_summary(terminalreporter):
    if not CASES:
        return
    terminalreporter.section("fuzz: cases sent (responses by status)")
    operations = sorted({(identity, operation) for identity, operation, _status in CASES})
    for identity, operation in operations:
        statuses = {
            status: count
            for (who, what, status), count in sorted(CASES.items())
            if (who, what) == (identity, operation)
        }
        spread = " ".join(f"{status}:{count}" for status, count in statuses.items())
        terminalreporter.write_line(
            f"{identity:6} {operation:32} {sum(statuses.values()):5}  {spread}"
        )
    terminalreporter.write_line(f"{'total':39} {sum(CASES.values()):5}")


@pytest.fixture
def in_process_requests():
    """Django's WSGI handler keeps the test's database connection between requests.

    Like Django's test client: a request must not close the connection that
    holds the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _tables(dynamodb_tables):
    """Every fuzzing test runs against empty tables of its own (see tests/conftest.py)."""
    return dynamodb_tables
