"""The engine's process stops under a running service, then comes back.

A service of its own (gunicorn, 2 workers, the project's default timeouts
and attempts) next to a moto server of its own, which the test stops: every
request then answers 503 JSON with Retry-After (its duration reported, and
bounded only against a hang: tests/timing.py), the workers neither time out
nor restart, and once the engine is back (tables recreated: moto keeps its
data in memory) the same workers serve correctly again.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from tests.api_helpers import BOOKINGS
from tests.timing import HANG, took

BODY = {"name": "Dinner", "address": "1 Main St"}


def assert_unavailable(reply, what):
    assert reply.status == 503, (what, reply.status, reply.body)
    took(reply.elapsed, f"{what} during an outage")
    assert reply.is_json, (what, reply.headers)
    assert int(reply.headers["retry-after"]) > 0, what
    assert "unavailable" in reply.json()["detail"], (what, reply.body)


def test_an_engine_outage_is_503_quickly_and_the_same_workers_recover(site, stacks, figures):
    engine = stacks.engine()
    service = stacks.service(engine.url, "down_")
    api = site.api("outage", service=service)
    workers = service.worker_pids()
    assert len(workers) == 2
    before = api.post(BOOKINGS, BODY)
    assert before.status == 201, before.body
    detail = f"{BOOKINGS}{before.json()['id']}/"

    engine.stop()
    requests = {
        "list": lambda: api.get(BOOKINGS),
        "retrieve": lambda: api.get(detail),
        "create": lambda: api.post(BOOKINGS, BODY),
        "patch": lambda: api.patch(detail, {"name": "Lunch"}),
        "delete": lambda: api.delete(detail),
    }
    for what, send in requests.items():
        assert_unavailable(send(), what)
    ready = api.get("/ready/")
    assert ready.status == 503 and ready.headers["retry-after"]
    took(ready.elapsed, "/ready/ during an outage")
    assert api.get("/health/").status == 200

    engine.start()
    service.create_tables()
    recovered = time.monotonic()
    # /ready/ reuses its answer a few seconds (DJANGO_READY_CACHE_SECONDS, per worker): a
    # quick machine asks again within them, so it is asked until it says ready.
    while (ready := api.get("/ready/")).status != 200:
        assert ready.status == 503, ready.body
        assert time.monotonic() - recovered < HANG, "/ready/ never said ready again"
        time.sleep(0.2)
    took(time.monotonic() - recovered, "/ready/ ready again after the engine came back")
    # Creates from concurrent clients reach both workers: every booking is its own.
    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(lambda n: api.post(BOOKINGS, {**BODY, "name": f"n{n}"}), range(16)))
    failed = [(reply.status, reply.body[:300]) for reply in created if reply.status != 201]
    assert not failed, (failed, service.log()[-3000:])
    bodies = [reply.json() for reply in created]
    assert len({body["id"] for body in bodies}) == 16, sorted(body["id"] for body in bodies)
    for body in bodies:
        assert api.get(f"{BOOKINGS}{body['id']}/").json() == body
    listing = api.get(f"{BOOKINGS}?page_size=100").json()["results"]
    assert sorted(listing, key=lambda b: b["id"]) == sorted(bodies, key=lambda b: b["id"])
    first = f"{BOOKINGS}{bodies[0]['id']}/"
    assert api.patch(first, {"name": "Lunch"}).json()["name"] == "Lunch"
    assert api.delete(first).status == 204
    assert api.get(first).status == 404

    assert service.worker_pids() == workers, "a worker was restarted"
    log = service.log()
    assert "WORKER TIMEOUT" not in log
    assert "Traceback" not in log
    figures.update(
        requests=service.traffic.sent,
        errors_5xx_during_outage=len(requests) + 1,
        errors_5xx_after=service.traffic.errors() - len(requests) - 1,
        items_checked=len(bodies),
    )
