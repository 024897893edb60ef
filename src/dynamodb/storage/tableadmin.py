"""Bringing a live table to a TableSpec: create, delete, global indexes, TTL, billing.

The cold path: botocore's client (``client.call``, ``client.send``,
``client.wait_for``), never the lean transport. Each function looks at the
live table first (DescribeTable), so that running it again after an
interruption carries on instead of failing: an index that exists is not
created twice, a TTL already on is left on, a table with the right keys is
kept. Every wait is bounded by ``DYNAMODB_MIGRATE_TIMEOUT`` and says how far
DynamoDB is (an index's backfill); an engine that answers an index change
without making it (dynalite: its issue #138) is found out by looking again,
and is an error rather than an endless wait.
"""

import dataclasses
import time

from ..conf import conf
from ..exceptions import (
    DynamoError,
    EngineRejected,
    TableInUse,
    TableMigrationError,
    TableNotFound,
    TableSchemaMismatch,
)
from ..wire import client
from ..wire.requests import Request
from . import ids, tables
from .paging import Pager, count
from .reports import current
from .steps import run
from .tablediff import ADD_INDEX, BILLING, REMOVE_INDEX, REPLACE_INDEX, TTL, compare
from .tablespecs import (
    TableSpec,
    add_index_request,
    billing_request,
    create_table_request,
    delete_table_request,
    describe_key,
    live_index,
    live_spec,
    remove_index_request,
    ttl_request,
)

# Seconds between two DescribeTable calls at most, however long the wait.
POLL_MAX = 10.0
IGNORED = (
    "The DynamoDB engine answered UpdateTable but did not {what} index {index!r} of {table}: "
    "it does not implement global index changes (dynalite ignores them: its issue #138). "
    "Migrate against AWS, DynamoDB Local or moto; on this engine, only a table created anew "
    "gets new indexes (`manage.py createdynamotables --delete` then `createdynamotables`: "
    "its items are lost)."
)


def describe(name):
    """The table's DescribeTable description, or None when it does not exist."""
    try:
        return client.call("describe_table", TableName=name)["Table"]
    except TableNotFound:
        return None


def ttl_description(name):
    """DescribeTimeToLive's description; None on an engine without TTL."""
    try:
        return client.call("describe_time_to_live", TableName=name)["TimeToLiveDescription"]
    except DynamoError as error:
        if error.code == "UnknownOperationException":
            return None
        raise


def live(name, table_name):
    """The live table ``name`` as a TableSpec called ``table_name``, or None when missing."""
    table = describe(name)
    if table is None:
        return None
    return live_spec(table, ttl_description(name), table_name)


def _index(table, name):
    return next(
        (i for i in table.get("GlobalSecondaryIndexes", ()) if i["IndexName"] == name), None
    )


def _busy(table):
    """What is not ACTIVE yet in a table's description (empty when everything is)."""
    busy = []
    if table.get("TableStatus", "ACTIVE") != "ACTIVE":
        busy.append(f"table {table['TableStatus']}")
    for index in table.get("GlobalSecondaryIndexes", ()):
        status = index.get("IndexStatus", "ACTIVE")
        if status == "ACTIVE":
            continue
        state = f"index {index['IndexName']} {status}"
        if status == "CREATING":
            total, done = table.get("ItemCount", 0), index.get("ItemCount", 0)
            percent = f" ({100 * done // total}%)" if total else ""
            backfill = "backfilling" if index.get("Backfilling") else "not backfilling yet"
            state += (
                f", {backfill}: {done} of {total} items{percent}, "
                f"{index.get('IndexSizeBytes', 0)} bytes"
            )
        busy.append(state)
    return busy


def wait_until_settled(name, report=None):
    """Wait until the table and its global indexes are ACTIVE; return its description.

    Polls DescribeTable from ``DYNAMODB_WAITER_DELAY`` seconds apart up to
    ``POLL_MAX``, reporting what DynamoDB is doing, for at most
    ``DYNAMODB_MIGRATE_TIMEOUT`` seconds.
    """
    report = report or current()
    deadline = time.monotonic() + conf.MIGRATE_TIMEOUT
    delay = conf.WAITER_DELAY
    while True:
        table = describe(name)
        if table is None:
            raise TableMigrationError(
                f"Table {name} does not exist: create it (the migration with its CreateTable, "
                "or `manage.py createdynamotables`)."
            )
        busy = _busy(table)
        if not busy:
            report.done()
            return table
        report.progress(f"{name}: {'; '.join(busy)}")
        if time.monotonic() + delay > deadline:
            report.done()
            raise TableMigrationError(
                f"{name} is still {'; '.join(busy)} after {conf.MIGRATE_TIMEOUT:g} s "
                "(DYNAMODB_MIGRATE_TIMEOUT). DynamoDB carries on by itself: run migrate again "
                "to wait on, or raise the timeout."
            )
        time.sleep(delay)
        delay = min(POLL_MAX, delay * 2)


def create(spec, name, report=None):
    """Create the table of ``spec`` (and the id counters); True if created.

    An existing table with the same keys is kept and brought to ``spec``
    (``reconcile``); one with other keys is a TableSchemaMismatch.
    """
    report = report or current()
    try:
        client.send(create_table_request(spec, name))
    except TableInUse:
        table = wait_until_settled(name, report)
        keys = live_spec(table, None, spec.table_name).key
        if keys != spec.key:
            raise TableSchemaMismatch(
                f"Table {name} exists with the key {describe_key(keys)}, but its migrations "
                f"declare {describe_key(spec.key)}: DynamoDB cannot change a table's key. "
                "Copy it into a table of another name (CopyTable)."
            ) from None
        report.say(f"Table {name} exists: kept")
        reconcile(spec, name, report)
        created = False
    else:
        report.say(f"Created table {name}")
        wait_until_settled(name, report)
        if spec.ttl is not None:
            set_ttl(name, spec.ttl, report)
        created = True
    tables.create_counter_table()
    return created


def delete(name, report=None):
    """Delete a table and its items; True if it existed."""
    try:
        client.send(delete_table_request(name))
    except TableNotFound:
        return False
    client.wait_for("table_not_exists", TableName=name)
    ids.key_cache.clear()
    (report or current()).say(f"Deleted table {name}")
    return True


def is_empty(name):
    """Whether the table holds no item (one Scan of one item)."""
    return not client.call("scan", TableName=name, Limit=1, ConsistentRead=True).get("Items")


def count_items(name, page_size=1000):
    """How many items the table holds (a Scan with Select=COUNT over every page).

    Pages of ``page_size`` items keep each request short on any engine.
    """
    params = {"TableName": name, "Select": "COUNT", "ConsistentRead": True}
    return run(count(Pager(Request("scan", params), page_size=page_size)))


def reconcile(spec, name, report=None):
    """Bring an existing table to ``spec``: billing, global indexes, TTL; the changes made.

    Keys and local indexes cannot change: a difference there is an error naming it.
    """
    report = report or current()
    live_table = live(name, spec.table_name)
    if live_table is None:
        raise TableNotFound(f"Table {name} does not exist.")
    changes, refusals = compare(live_table, spec)
    if refusals:
        raise TableMigrationError(
            f"Table {name} cannot become what its model declares: {'; '.join(refusals)}. "
            "DynamoDB cannot change a table's keys or local indexes: copy it into a table of "
            "another name (CopyTable)."
        )
    stage = live_table
    for change in changes:
        stage = _apply(stage, spec, name, change, report)
    return changes


def _staged(spec, **changes):
    fields = {field.name: getattr(spec, field.name) for field in dataclasses.fields(spec)}
    return TableSpec.described(**{**fields, **changes})


def _apply(stage, spec, name, change, report):
    """Make one change of ``reconcile``; the table as it is after it."""
    if change.kind == BILLING:
        stage = _staged(stage, billing=spec.billing, throughput=spec.throughput)
        set_billing(stage, name, report)
    elif change.kind == REMOVE_INDEX:
        stage = _staged(stage, indexes=tuple(i for i in stage.indexes if i != change.old))
        remove_index(name, change.old.name, report)
    elif change.kind in (REPLACE_INDEX, ADD_INDEX):
        others = tuple(i for i in stage.indexes if i.name != change.new.name)
        stage = _staged(stage, indexes=(*others, change.new))
        if change.kind == REPLACE_INDEX:
            remove_index(name, change.old.name, report)
        add_index(stage, name, change.new, report)
    elif change.kind == TTL:
        stage = _staged(stage, ttl=change.new)
        set_ttl(name, change.new, report)
    return stage


def add_index(spec, name, index, report=None):
    """Create global ``index`` on a table that becomes ``spec``; wait until it is ACTIVE.

    An index of that name and definition is waited for, not created again;
    one of another definition is an error. True if created.
    """
    report = report or current()
    table = wait_until_settled(name, report)
    found = live_index(table, index.name)
    if found is not None:
        if found == index:
            report.say(f"Index {index.name} of {name} exists: kept")
            return False
        raise TableMigrationError(
            f"Table {name} already has an index {found.describe()}, not {index.describe()}. "
            "Remove it first (RemoveGlobalIndex), or make the migration replace it "
            "(ReplaceGlobalIndex)."
        )
    try:
        response = client.send(add_index_request(spec, name, index))
    except EngineRejected as error:
        raise TableMigrationError(
            f"DynamoDB refused to create index {index.name!r} on {name}: {error}"
        ) from error
    if _index(response.get("TableDescription", {}), index.name) is None and (
        _index(describe(name) or {}, index.name) is None
    ):
        raise TableMigrationError(IGNORED.format(what="create", index=index.name, table=name))
    report.say(f"Creating {index.describe()} on {name}")
    table = wait_until_settled(name, report)
    if _index(table, index.name) is None:
        raise TableMigrationError(
            f"Index {index.name!r} of {name} was gone before it became ACTIVE (deleted "
            "meanwhile?): run migrate again to create it."
        )
    report.say(f"Index {index.name} of {name} is ACTIVE")
    return True


def remove_index(name, index_name, report=None):
    """Delete global index ``index_name`` and wait until it is gone; True if it existed."""
    report = report or current()
    table = wait_until_settled(name, report)
    if _index(table, index_name) is None:
        return False
    try:
        client.send(remove_index_request(name, index_name))
    except EngineRejected as error:
        raise TableMigrationError(
            f"DynamoDB refused to delete index {index_name!r} of {name}: {error}"
        ) from error
    after = _index(describe(name) or {}, index_name)
    if after is not None and after.get("IndexStatus", "ACTIVE") == "ACTIVE":
        raise TableMigrationError(IGNORED.format(what="delete", index=index_name, table=name))
    wait_until_settled(name, report)
    report.say(f"Deleted index {index_name} of {name}")
    return True


def replace_index(spec, name, old, new, report=None):
    """Replace a global index by ``new`` of the same name: delete it, then create it again.

    Queries through it fail between the two. Nothing is done when the live
    index is already ``new``.
    """
    table = wait_until_settled(name, report)
    found = live_index(table, new.name)
    if found is not None:
        if found == new:
            return False
        remove_index(name, new.name, report)
    return add_index(spec, name, new, report)


def set_ttl(name, attribute, report=None):
    """Expire items on ``attribute`` (None: never); True if TTL changed.

    An engine without TTL (dynalite) gets a warning: its items never expire.
    """
    report = report or current()
    described = ttl_description(name)
    if described is None:
        report.say(f"The DynamoDB engine does not implement TTL: {name} keeps its items.")
        return False
    enabled = described.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    live_attribute = described.get("AttributeName") if enabled else None
    if live_attribute == attribute:
        return False
    requests = []
    if live_attribute is not None:
        requests.append(ttl_request(name, live_attribute, False))
    if attribute is not None:
        requests.append(ttl_request(name, attribute, True))
    for request in requests:
        try:
            client.send(request)
        except EngineRejected as error:
            raise TableMigrationError(
                f"DynamoDB refused to change the TTL of {name}: {error}. AWS allows one TTL "
                "change per table within an hour: run migrate again later."
            ) from error
        except DynamoError as error:
            if error.code != "UnknownOperationException":
                raise
            report.say(f"The DynamoDB engine does not implement TTL: {name} keeps its items.")
            return False
    report.say(f"TTL of {name}: {'on ' + attribute if attribute else 'off'}")
    return True


def set_billing(spec, name, report=None):
    """Give the table the billing of ``spec``; True if it changed."""
    report = report or current()
    table = wait_until_settled(name, report)
    found = live_spec(table, None, spec.table_name)
    if (found.billing, found.throughput) == (spec.billing, spec.throughput):
        return False
    client.send(billing_request(spec, name))
    wait_until_settled(name, report)
    report.say(f"Billing of {name}: {spec.billing}{'' if not spec.throughput else spec.throughput}")
    return True
