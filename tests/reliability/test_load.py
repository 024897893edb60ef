"""A bounded load run against the service under gunicorn, then a check of every booking.

``RELIABILITY_LOAD_CLIENTS`` clients (default 16) send a random mix of
list, create, retrieve, patch (with If-Match) and delete on
/api/dynamo/booking/ with DRF tokens for ``RELIABILITY_LOAD_SECONDS``
(default 60). Each client writes only the bookings it created, so it knows
their last acknowledged state: every read of one must return exactly that.
No answer may be a 5xx. Afterwards, every booking that got a 201 and no
successful DELETE is read back by id and by listing its user's partition,
and must equal the last acknowledged response body; every deleted one is a 404.
"""

import datetime
import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.api_helpers import BOOKINGS
from tests.reliability.conftest import LOAD_USERS

SECONDS = float(os.environ.get("RELIABILITY_LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("RELIABILITY_LOAD_CLIENTS", "16"))
MAX_REQUESTS = 200  # per client and second of the run: a bound, far above what 2 workers serve
OPERATIONS = {"create": 25, "retrieve": 25, "patch": 20, "list": 20, "delete": 10}


class Client:
    """One load client: a user's token, the bookings it created and their last known state."""

    def __init__(self, number, api, seed):
        self.number = number
        self.api = api
        self.random = random.Random(seed)
        self.live = {}  # id -> the last acknowledged body
        self.deleted = set()
        self.done = Counter()
        self.problems = []  # (operation, status, detail): every unexpected answer
        self.sequence = 0

    def run(self, deadline, max_requests):
        names, weights = zip(*OPERATIONS.items(), strict=True)
        while time.monotonic() < deadline and sum(self.done.values()) < max_requests:
            operation = self.random.choices(names, weights)[0]
            if operation in ("retrieve", "patch", "delete") and not self.live:
                operation = "create"
            getattr(self, operation)()
            self.done[operation] += 1
        return self

    def expect(self, operation, reply, status):
        if reply.status != status:
            self.problems.append((operation, reply.status, reply.body[:300]))
            return False
        return True

    def compare(self, operation, body, expected):
        if body != expected:
            self.problems.append((operation, "differs", {"got": body, "acknowledged": expected}))

    def pick(self):
        return self.random.choice(sorted(self.live))

    def create(self):
        self.sequence += 1
        date_for = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            minutes=self.random.randrange(10**6)
        )
        body = {
            "name": f"c{self.number}-{self.sequence}",
            "address": f"{self.sequence} Load St",
            "date_for": date_for.isoformat(),
        }
        reply = self.api.post(BOOKINGS, body)
        if self.expect("create", reply, 201):
            created = reply.json()
            self.live[created["id"]] = created

    def retrieve(self):
        booking = self.pick()
        reply = self.api.get(f"{BOOKINGS}{booking}/")
        if self.expect("retrieve", reply, 200):
            self.compare("retrieve", reply.json(), self.live[booking])

    def patch(self):
        booking = self.pick()
        self.sequence += 1
        acknowledged = self.live[booking]
        reply = self.api.patch(
            f"{BOOKINGS}{booking}/",
            {"name": f"p{self.number}-{self.sequence}"},
            headers={"If-Match": f'"{acknowledged["version"]}"'},
        )
        if self.expect("patch", reply, 200):
            patched = reply.json()
            expected = {
                **acknowledged,
                "name": f"p{self.number}-{self.sequence}",
                "version": acknowledged["version"] + 1,
            }
            self.compare("patch", patched, expected)
            self.live[booking] = patched

    def delete(self):
        booking = self.pick()
        version = self.live[booking]["version"]
        reply = self.api.delete(f"{BOOKINGS}{booking}/", headers={"If-Match": f'"{version}"'})
        if self.expect("delete", reply, 204):
            del self.live[booking]
            self.deleted.add(booking)

    def list(self):
        reply = self.api.get(f"{BOOKINGS}?page_size=20&ordering=-date_at")
        if self.expect("list", reply, 200):
            for booking in reply.json()["results"]:
                if booking["id"] in self.deleted:
                    self.problems.append(("list", "deleted booking listed", booking))
                elif booking["id"] in self.live:
                    self.compare("list", booking, self.live[booking["id"]])

    def check(self):
        """Read back every live booking by id and every deleted one; return how many."""
        for booking, acknowledged in sorted(self.live.items()):
            reply = self.api.get(f"{BOOKINGS}{booking}/")
            if self.expect("final retrieve", reply, 200):
                self.compare("final retrieve", reply.json(), acknowledged)
        for booking in sorted(self.deleted):
            self.expect(
                "final retrieve of a deleted booking", self.api.get(f"{BOOKINGS}{booking}/"), 404
            )
        return len(self.live) + len(self.deleted)


def test_a_bounded_load_run_answers_no_5xx_and_loses_no_acknowledged_write(site, figures):
    service = site.service
    workers = service.worker_pids()
    sent_before = service.traffic.sent
    errors_before = service.traffic.errors()
    users = [LOAD_USERS[n % len(LOAD_USERS)] for n in range(CLIENTS)]
    clients = [Client(n, site.api(user), seed=n) for n, user in enumerate(users)]
    deadline = time.monotonic() + SECONDS
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda c: c.run(deadline, int(MAX_REQUESTS * SECONDS)), clients))
        load_requests = service.traffic.sent - sent_before
        load_errors = service.traffic.errors() - errors_before
        checked = sum(pool.map(Client.check, clients))

    problems = [problem for client in clients for problem in client.problems]
    assert load_errors == 0, problems[:20]
    assert problems == [], problems[:20]
    # Each user's partition holds exactly the live bookings of that user's clients.
    partitions = 0
    for user in sorted(set(users)):
        expected = {
            b: body
            for c, u in zip(clients, users, strict=True)
            if u == user
            for b, body in c.live.items()
        }
        listed = site.api(user).listed()
        assert {booking["id"]: booking for booking in listed} == expected
        assert len(listed) == len(expected)
        partitions += len(listed)
    assert service.worker_pids() == workers, "a worker was restarted"
    assert "WORKER TIMEOUT" not in service.log()
    assert "Traceback" not in service.log()
    done = sum((client.done for client in clients), Counter())
    assert done["create"] and done["patch"] and done["delete"] and done["list"] and done["retrieve"]
    figures.update(
        seconds=SECONDS,
        clients=CLIENTS,
        requests=load_requests,
        per_second=round(load_requests / SECONDS),
        **{f"{name}s": count for name, count in sorted(done.items())},
        errors_5xx=load_errors,
        live_checked=sum(len(client.live) for client in clients),
        deleted_checked=sum(len(client.deleted) for client in clients),
        listed=partitions,
        final_requests=service.traffic.sent - sent_before - load_requests,
        checked=checked,
    )
