"""A slow engine: its answers come after the service's read timeout.

A service of its own reaches the session's moto through ``DelayingProxy``
with a 1 s read timeout and 2 attempts. While the proxy holds answers back,
requests are 503 (their durations reported); the engine still executes them, so
the service cannot know whether a write took effect. Once the answers flow
again, nothing is stored twice: a create that timed out is stored once or
not at all, and retrying it with its Idempotency-Key gives one booking.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api_helpers import BOOKINGS
from tests.reliability.conftest import Stacks
from tests.reliability.proxy import DelayingProxy
from tests.timing import took

TABLE = b"BookingUserByDateAt"
KEYS = b"DynamoIdempotencyKeys"
READ_TIMEOUT = 1.0
ATTEMPTS = 2
LATE = 3.0  # seconds an answer is held back: longer than the read timeout
# A request waits at most about 3 s (each attempt its read timeout, botocore's backoff under
# 1 s between them): its duration is reported, and bounded only against a hang (tests/timing.py).
RETRY_DEADLINE = 60.0  # seconds a client keeps retrying (honouring Retry-After), at most
# Seconds an Idempotency-Key stays "in progress" when its request could not clean up. Shorter
# than a request may last here: the tests retry only once the first request has ended.
LEASE = 2.0


@pytest.fixture(scope="module")
def proxy(site):
    proxy = DelayingProxy(site.engine.port).start()
    yield proxy
    assert proxy.stop() == [], "proxy threads left running"


@pytest.fixture(scope="module")
def slow(site, proxy):
    """The service (for the module), reaching the engine through the proxy.

    Its tables are created in the engine directly.
    """
    environment = {
        "DYNAMODB_CONNECT_TIMEOUT": "1",
        "DYNAMODB_READ_TIMEOUT": str(READ_TIMEOUT),
        "DYNAMODB_MAX_ATTEMPTS": str(ATTEMPTS),
        "DYNAMODB_IDEMPOTENCY_LEASE": str(LEASE),
    }
    stacks = Stacks(site.stacks.workdir, site.stacks.database, site.stacks.server)
    try:
        yield stacks.service(proxy.url, "slow_", environment, tables_at=site.engine.url)
    finally:
        left = stacks.stop()
    assert not left, f"processes left running: {sorted(left)}"


@pytest.fixture
def counts(slow, proxy):
    """This test's figures so far: requests sent, answers held back, requests cut."""

    def now():
        return {
            "requests": slow.traffic.sent,
            "answers_held": proxy.held,
            "requests_cut": proxy.refused,
        }

    start = now()
    proxy.recover()
    yield lambda: {name: value - start[name] for name, value in now().items()}
    proxy.recover()


def assert_unavailable(reply, what):
    assert reply.status == 503, (what, reply.status, reply.body)
    took(reply.elapsed, f"{what} with the engine's answers late")
    assert reply.is_json and int(reply.headers["retry-after"]) > 0, what


def named(api, name):
    """The user's bookings called ``name`` (every page)."""
    return api.listed(f"&name={name}")


def create_with_retries(api, body, key):
    """POST with an Idempotency-Key until it is not 409/503 (honouring Retry-After), bounded."""
    deadline = time.monotonic() + RETRY_DEADLINE
    replies = []
    while True:
        reply = api.post(BOOKINGS, body, headers={"Idempotency-Key": key})
        replies.append(reply)
        if reply.status not in (409, 503):
            return reply, replies
        assert time.monotonic() < deadline, [(r.status, r.body) for r in replies]
        time.sleep(min(float(reply.headers.get("retry-after", 1)), 1.0))


def test_a_slow_engine_is_503_in_bounded_time_and_nothing_is_written_twice(
    site, slow, proxy, counts, figures
):
    api = site.api("slow", service=slow)
    booking = api.post(BOOKINGS, {"name": "Dinner", "address": "1 Main St"})
    assert booking.status == 201, booking.body
    detail = f"{BOOKINGS}{booking.json()['id']}/"

    proxy.slow_down(LATE)
    plain = {"name": "plain", "address": "1 Main St"}
    keyed = {"name": "keyed", "address": "1 Main St"}
    requests = {
        "retrieve": lambda: api.get(detail),
        "patch": lambda: api.patch(detail, {"name": "Late"}),
        "create": lambda: api.post(BOOKINGS, plain),
        "keyed create": lambda: api.post(BOOKINGS, keyed, headers={"Idempotency-Key": "k-1"}),
    }
    # Two at a time: one for each worker, so that none waits for another's request.
    with ThreadPoolExecutor(2) as pool:
        replies = dict(zip(requests, pool.map(lambda send: send(), requests.values()), strict=True))
    proxy.recover()
    for what, reply in replies.items():
        assert_unavailable(reply, what)

    # The PATCH took effect once or not at all.
    stored = api.get(detail).json()
    assert (stored["name"], stored["version"]) in {("Dinner", 1), ("Late", 2)}, stored
    assert len(named(api, "plain")) <= 1
    reply, replies = create_with_retries(api, keyed, "k-1")
    assert reply.status == 201, reply.body
    assert named(api, "keyed") == [reply.json()]
    again = api.post(BOOKINGS, keyed, headers={"Idempotency-Key": "k-1"})
    assert (again.status, again.json()) == (201, reply.json())
    figures.update(
        **counts(),
        errors_503=4,
        keyed_retries=len(replies),
        plain_stored=len(named(api, "plain")),
    )


@pytest.mark.parametrize("lost", [1, None], ids=["one-answer-lost", "every-answer-lost"])
def test_a_create_whose_answer_is_lost_is_one_booking_after_a_retry(
    site, slow, proxy, counts, figures, lost
):
    """The booking's write reaches the engine but its answer does not come back in time."""
    api = site.api("slow", service=slow)
    name = f"lost-{lost}"
    body = {"name": name, "address": "1 Main St"}
    # A keyed create writes the booking and its key's response in one transaction.
    proxy.slow_down(LATE, b"TransactWriteItems", TABLE, limit=lost)
    first = api.post(BOOKINGS, body, headers={"Idempotency-Key": name})
    # One answer lost: botocore's resend meets the item the first attempt stored, the
    # insert's own. Every answer lost: a 503, though the booking may be stored.
    expected = 201 if lost == 1 else 503
    took(first.elapsed, f"a create with {lost or 'every'} answer lost")
    assert first.status == expected, first.body
    proxy.recover()

    reply, replies = create_with_retries(api, body, name)
    assert reply.status == 201, reply.body
    assert named(api, name) == [reply.json()]
    if first.status == 201:
        assert reply.json() == first.json()
    plain = {"name": f"{name}-plain", "address": "1 Main St"}
    proxy.slow_down(LATE, b"PutItem", TABLE, limit=lost)
    unkeyed = api.post(BOOKINGS, plain)
    proxy.recover()
    assert unkeyed.status == expected, unkeyed.body
    assert len(named(api, plain["name"])) == 1  # the engine executed it: stored once
    figures.update(
        **counts(),
        first_status=first.status,
        unkeyed_status=unkeyed.status,
        retries=len(replies),
    )


@pytest.mark.parametrize(
    "fault",
    [
        # The key's record is stored, its answers are lost, and its deletion never arrives.
        ("key-stored", (LATE, b"PutItem", KEYS), (b"DeleteItem", KEYS, 0)),
        # The booking and the key's response are stored in one transaction whose answers
        # are all lost: the key is left as the transaction made it, or as it was.
        ("booking-stored", (LATE, b"TransactWriteItems", TABLE), None),
    ],
    ids=lambda fault: fault[0],
)
def test_a_key_its_request_left_in_progress_is_settled_after_the_lease(
    site, slow, proxy, counts, figures, fault
):
    name, (delay, *held), refused = fault
    api = site.api("slow", service=slow)
    body = {"name": name, "address": "1 Main St"}
    proxy.slow_down(delay, *held)
    if refused is not None:
        *needles, skip = refused
        proxy.refuse(*needles, skip=skip)
    first = api.post(BOOKINGS, body, headers={"Idempotency-Key": name})
    proxy.recover()
    assert first.status == 503, first.body
    assert counts()["answers_held"], "the fault did not happen"
    assert refused is None or counts()["requests_cut"], "the fault did not happen"

    reply, replies = create_with_retries(api, body, name)
    assert reply.status == 201, reply.body
    assert named(api, name) == [reply.json()]
    waited = [r for r in replies if r.status == 409]
    for early in waited:
        assert "in progress" in early.json()["detail"] and early.headers["retry-after"]
    figures.update(
        **counts(),
        retries_409=len(waited),
        bookings=1,
    )
