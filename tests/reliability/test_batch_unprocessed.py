"""BatchWriteItem answered with ``UnprocessedItems``, as DynamoDB does under load.

Injected on the wire (``wire.Wire``), on both transports: the items are
taken out of the request before it reaches the engine and reported back as
unprocessed, so the engine's final state shows what ``bulk_insert`` really
wrote. Resent with backoff, every item ends up stored; when the retries run
out, ``BatchWriteFailed.failed_keys`` names exactly the items not written.
"""

import pytest

from dynamodb.connector import Connector
from dynamodb.exceptions import BatchWriteFailed
from tests.reliability.wire import Wire, json_response
from tests.testapp.models import Note

pytestmark = pytest.mark.usefixtures("dynamodb_tables")

ITEMS = 60  # three requests: 25, 25 and 10 items


@pytest.fixture(params=["boto3", "lean"])
def transport(request, settings):
    settings.DYNAMODB_TRANSPORT = request.param
    settings.DYNAMODB_BATCH_BACKOFF_BASE = 0.005
    settings.DYNAMODB_BATCH_BACKOFF_MAX = 0.02
    return request.param


@pytest.fixture
def wire(monkeypatch):
    return Wire(monkeypatch)


def notes():
    return [Note(board="b", title=f"t{n:02}", body=f"body {n}", stars=n) for n in range(ITEMS)]


def title(entry):
    return entry["PutRequest"]["Item"]["title"]["S"]


def holding_back(stuck):
    """A request change: the entries ``stuck(title, attempt)`` selects are held back."""
    attempts = []

    def change(request):
        ((table, entries),) = request["RequestItems"].items()
        attempts.append(len(entries))
        held = [entry for entry in entries if stuck(title(entry), len(attempts))]
        if len(held) == len(entries):
            # DynamoDB refuses an empty request: it would answer this one all unprocessed.
            return json_response(200, {"UnprocessedItems": {table: held}})
        request["RequestItems"][table] = [entry for entry in entries if entry not in held]

        def after(answer):
            if held:
                answer["UnprocessedItems"] = {table: held}

        return after

    return change, attempts


def stored(instances):
    found = Connector(Note).batch_get([[("board", "b"), ("title", n.title)] for n in instances])
    return {n.title: (n.pk, n.body, n.stars) for n in found if n is not None}


def test_unprocessed_items_are_resent_until_every_item_is_stored(transport, wire, figures):
    # Every third item is left unprocessed once.
    once = set()

    def stuck(name, attempt):
        if int(name[1:]) % 3 or name in once:
            return False
        once.add(name)
        return True

    change, attempts = holding_back(stuck)
    wire.rewrite("BatchWriteItem", change)
    instances = Connector(Note).bulk_insert(notes())

    expected = {n.title: (n.pk, n.body, n.stars) for n in instances}
    assert len({pk for pk, _body, _stars in expected.values()}) == ITEMS
    assert stored(instances) == expected
    assert Connector(Note).count() == ITEMS
    assert all(not n._state.adding for n in instances)
    # Each request, then the resend of exactly what it left unprocessed.
    assert attempts == [25, 9, 25, 8, 10, 3]
    figures.update(
        transport=transport,
        batch_requests=wire.sent["BatchWriteItem"],
        items_checked=ITEMS,
        items_resent=len(once),
    )


def test_exhausted_retries_name_exactly_the_items_not_written(transport, wire, settings, figures):
    settings.DYNAMODB_BATCH_MAX_ATTEMPTS = 3
    stuck = {"t52", "t57"}  # in the last request: the earlier ones complete
    change, attempts = holding_back(lambda name, attempt: name in stuck)
    wire.rewrite("BatchWriteItem", change)
    instances = notes()

    with pytest.raises(BatchWriteFailed) as raised:
        Connector(Note).bulk_insert(instances)

    assert sorted(raised.value.failed_keys) == [
        [("board", "b"), ("title", t)] for t in sorted(stuck)
    ]
    for name in stuck:
        assert name in str(raised.value)
    assert attempts == [25, 25, 10, 2, 2]  # the last request and its two resends
    written = [n for n in instances if n.title not in stuck]
    assert stored(instances) == {n.title: (n.pk, n.body, n.stars) for n in written}
    assert Connector(Note).count() == ITEMS - len(stuck)
    assert all(not n._state.adding for n in written)
    assert all(n._state.adding and n.pk is not None for n in instances if n.title in stuck)
    figures.update(
        transport=transport,
        batch_requests=wire.sent["BatchWriteItem"],
        items_checked=ITEMS,
        failed_keys=len(raised.value.failed_keys),
    )
