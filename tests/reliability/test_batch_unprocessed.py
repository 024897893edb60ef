"""BatchWriteItem answered with ``UnprocessedItems``, as DynamoDB does under load.

Injected at the HTTP layer (``faults.hold_back``, tests/faults.py), on both
transports: the items are taken out of the request before it reaches the
engine and reported back as unprocessed, so the engine's final state shows
what ``bulk_insert`` really wrote. Resent with backoff, every item ends up
stored; when the retries run out, ``BatchWriteFailed.failed_keys`` names
exactly the items not written.
"""

import pytest

from dynamodb.connector import Connector
from dynamodb.exceptions import BatchWriteFailed
from tests.testapp.models import Note

pytestmark = pytest.mark.usefixtures("dynamodb_tables")

ITEMS = 60  # three requests: 25, 25 and 10 items


@pytest.fixture(params=["boto3", "lean"])
def transport(request, settings):
    settings.DYNAMODB_TRANSPORT = request.param
    settings.DYNAMODB_BATCH_BACKOFF_BASE = 0.005
    settings.DYNAMODB_BATCH_BACKOFF_MAX = 0.02
    return request.param


def notes():
    return [Note(board="b", title=f"t{n:02}", body=f"body {n}", stars=n) for n in range(ITEMS)]


def title(entry):
    return entry["PutRequest"]["Item"]["title"]["S"]


def holding_back(stuck):
    """A selection for ``faults.hold_back``: the entries ``stuck(title, attempt)`` selects;
    and the number of entries of each request, in order."""
    attempts = []

    def select(entries):
        attempts.append(len(entries))
        return [entry for entry in entries if stuck(title(entry), len(attempts))]

    return select, attempts


def stored(instances):
    found = Connector(Note).batch_get([[("board", "b"), ("title", n.title)] for n in instances])
    return {n.title: (n.pk, n.body, n.stars) for n in found if n is not None}


def test_unprocessed_items_are_resent_until_every_item_is_stored(transport, faults, figures):
    # Every third item is left unprocessed once.
    once = set()

    def stuck(name, attempt):
        if int(name[1:]) % 3 or name in once:
            return False
        once.add(name)
        return True

    select, attempts = holding_back(stuck)
    faults.hold_back("BatchWriteItem", select)
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
        batch_requests=faults.count("BatchWriteItem"),
        items_checked=ITEMS,
        items_resent=len(once),
    )


def test_exhausted_retries_name_exactly_the_items_not_written(transport, faults, settings, figures):
    settings.DYNAMODB_BATCH_MAX_ATTEMPTS = 3
    stuck = {"t52", "t57"}  # in the last request: the earlier ones complete
    select, attempts = holding_back(lambda name, attempt: name in stuck)
    faults.hold_back("BatchWriteItem", select)
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
        batch_requests=faults.count("BatchWriteItem"),
        items_checked=ITEMS,
        failed_keys=len(raised.value.failed_keys),
    )
