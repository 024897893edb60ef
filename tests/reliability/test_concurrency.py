"""Concurrent clients over real HTTP: no lost update with If-Match, one winner per key.

Through gunicorn (2 sync workers) and moto, from client threads of this
process; every client has a deadline and a bound on its attempts.
"""

import datetime
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api_helpers import BOOKINGS

EVERY = "/api/test/everyfield/"
WRITERS = 8
CYCLES = 25
TRIES = 200  # per cycle: a cycle that cannot win in that many rounds fails the test
# Seconds for the whole test: a bound against a livelock, not a speed (a loaded 2-core
# machine takes several times an idle one's); the time taken is in the figures.
DEADLINE = 300.0
BACKOFF = 0.02  # seconds: the first backoff's bound after a 412


def run_all(count, work):
    """``work(n)`` for n in range(count), each in its own thread; their results (or raise)."""
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(work, range(count)))


def test_concurrent_read_modify_writes_with_if_match_lose_no_update(site, figures):
    api = site.api("writer")
    created = api.post(EVERY, {"owner": site.owner, "text": "", "char": "kept"})
    assert created.status == 201, created.body
    url = f"{EVERY}{created.json()['id']}/"
    initial = created.json()["version"]
    started = time.monotonic()
    deadline = started + DEADLINE
    acknowledged = []  # (version, marker) of every PATCH answered 200
    conflicts = []

    def writer(n):
        for cycle in range(CYCLES):
            marker = f"<{n}.{cycle}>"
            for attempt in range(TRIES):
                assert time.monotonic() < deadline, "the writers ran out of time"
                read = api.get(url)
                assert read.status == 200, read.body
                patched = api.patch(
                    url,
                    {"text": read.json()["text"] + marker},
                    headers={"If-Match": read.headers["etag"]},
                )
                if patched.status == 412:
                    # Another writer won this round: back off with jitter, as a client should.
                    conflicts.append(marker)
                    time.sleep(random.uniform(0, BACKOFF * 2 ** min(attempt, 4)))
                    continue
                assert patched.status == 200, patched.body
                assert patched.headers["etag"] == f'"{patched.json()["version"]}"'
                assert patched.json()["text"].endswith(marker)
                acknowledged.append((patched.json()["version"], marker))
                break
            else:
                pytest.fail(f"{marker} lost {TRIES} rounds in a row")

    run_all(WRITERS, writer)
    seconds = time.monotonic() - started

    final = api.get(url)
    assert final.status == 200
    stored = final.json()
    assert len(acknowledged) == WRITERS * CYCLES
    # Every acknowledged PATCH made exactly one version, and no two made the same.
    assert stored["version"] == initial + len(acknowledged)
    assert sorted(version for version, _marker in acknowledged) == list(
        range(initial + 1, stored["version"] + 1)
    )
    # Every acknowledged marker is in the text, once, in the order of the versions.
    assert stored["text"] == "".join(marker for _version, marker in sorted(acknowledged))
    assert len(re.findall(r"<\d+\.\d+>", stored["text"])) == WRITERS * CYCLES
    assert stored["char"] == "kept"
    assert conflicts, "the writers never conflicted: the test did not test concurrency"
    figures.update(
        requests=site.service.traffic.sent,
        acknowledged=len(acknowledged),
        conflicts_412=len(conflicts),
        errors=site.service.traffic.errors(),
        seconds=round(seconds, 1),
    )


def parse(moment):
    return datetime.datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_concurrent_creates_of_one_key_store_exactly_one_booking(site, figures):
    api = site.api("racer")
    racers = 20
    when = "2031-01-02T03:04:05.678901Z"
    barrier = threading.Barrier(racers, timeout=30)
    sent_before = site.service.traffic.sent

    def create(n):
        barrier.wait()
        return api.post(BOOKINGS, {"name": f"racer {n}", "address": "1 Main St", "date_at": when})

    replies = run_all(racers, create)

    statuses = sorted(reply.status for reply in replies)
    assert statuses == [201] + [409] * (racers - 1), statuses
    (winner,) = (reply.json() for reply in replies if reply.status == 201)
    for reply in replies:
        if reply.status == 409:
            assert "already exists" in reply.json()["detail"]
    listing = api.get(f"{BOOKINGS}?page_size=100")
    assert listing.status == 200
    stored = [b for b in listing.json()["results"] if parse(b["date_at"]) == parse(when)]
    assert stored == [winner]
    assert api.get(f"{BOOKINGS}{winner['id']}/").json() == winner
    figures.update(
        requests=site.service.traffic.sent - sent_before,
        created=1,
        conflicts_409=statuses.count(409),
        items_checked=len(listing.json()["results"]),
    )
