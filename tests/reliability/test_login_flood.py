"""A flood of wrong Basic passwords against the service under gunicorn.

Each wrong password costs a PBKDF2 hash (Django's default hasher here, as in
production). After ``DJANGO_LOGIN_FAILURE_LIMIT`` failures the username and
the address are locked out: every later attempt is a 429 with Retry-After,
answered before any hash, so the flood costs the workers little CPU. Once
the lockout window is over, the right password works again.
"""

import base64
import os
import time
from pathlib import Path

from tests.api_helpers import BOOKINGS
from tests.timing import took

FLOOD = 200
LIMIT = 5
WINDOW = 4  # seconds of lockout
# Django 5.2's PBKDF2 (1,000,000 iterations): about 230 ms of CPU per wrong password.
HASH_SECONDS = 0.23


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def cpu_seconds(pids):
    """User + system CPU time of processes, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def test_a_flood_of_wrong_passwords_is_locked_out_cheaply(site, stacks, figures):
    service = stacks.service(
        site.engine.url,
        "flood_",
        environment={
            "DJANGO_LOGIN_FAILURE_LIMIT": str(LIMIT),
            "DJANGO_LOGIN_LOCKOUT_SECONDS": str(WINDOW),
        },
    )
    service.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('flooded', password='the-right-password')",
    )
    api = site.api(service=service)
    workers = service.worker_pids()
    before = cpu_seconds(workers)
    started = time.monotonic()
    replies = []
    for n in range(FLOOD):
        replies.append((time.monotonic(), api.get(BOOKINGS, headers=basic("flooded", f"w{n}"))))
    flood_seconds = time.monotonic() - started
    spent = cpu_seconds(workers) - before
    statuses = [reply.status for _, reply in replies]
    first_refusal = statuses.index(429)
    assert statuses[:first_refusal] == [401] * first_refusal
    assert first_refusal <= LIMIT, statuses[: LIMIT + 1]
    # Refused for the whole window (a slow machine may outlast it: then failures count again).
    locked_at = replies[first_refusal][0]
    in_window = [reply for sent, reply in replies[first_refusal:] if sent - locked_at < WINDOW]
    assert {reply.status for reply in in_window} == {429}, statuses
    assert all(int(reply.headers["retry-after"]) <= WINDOW for reply in in_window)
    # Without the lockout every attempt would hash: FLOOD x HASH_SECONDS of CPU.
    assert spent < FLOOD * HASH_SECONDS / 10, f"{spent:.2f} s of worker CPU"

    locked = api.get(BOOKINGS, headers=basic("flooded", "the-right-password"))
    assert locked.status == 429, "the right password is refused during the lockout too"
    deadline = time.monotonic() + WINDOW + 30
    while True:
        time.sleep(0.5)
        reply = api.get(BOOKINGS, headers=basic("flooded", "the-right-password"))
        if reply.status != 429 or time.monotonic() > deadline:
            break
    assert reply.status == 200, reply.body
    took(time.monotonic() - started - flood_seconds, "the lockout window", bound=WINDOW + 30)
    figures.update(
        bad_requests=FLOOD,
        hashed=first_refusal,
        worker_cpu_seconds=round(spent, 2),
        cpu_ms_per_bad_request=round(spent / FLOOD * 1000, 1),
        flood_seconds=round(flood_seconds, 2),
    )
