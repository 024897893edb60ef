"""Transactions as the rest of the app uses them: blocks, actions, snapshot reads.

``collecting()`` is the block (``dynamodb.transaction.atomic()`` is it for
users); ``add_action`` the Connector's low-level form; ``get`` TransactGetItems.
The machinery is ``transactions``.
"""

import contextlib

from django.db import models

from ..exceptions import (
    DynamoError,
    EngineUnavailable,
    Throttled,
    TransactionAborted,
    TransactionCanceled,
    TransactionTooLarge,
    UnsupportedOperation,
    ValidationError,
)
from ..wire.marshalling import serialize
from ..wire.requests import Request
from . import writes
from .expressions import exact_key, filter_condition
from .paging import single_item
from .schema import is_dynamo_model, schema_for
from .steps import arun, collector, run
from .transactions import MAX_ACTIONS, Engine, Transaction, as_token, get_steps

KEY_CHANGE_REFUSED = (
    "key fields cannot change on this engine (it has no transactions): delete the item "
    "and create a new one."
)
# A table no one has: what the engine answers about it says whether it knows transactions.
PROBE_TABLE = "dynamodb-connector-transaction-probe"


def supported():
    """Whether the engine implements transactions (asked once per process, cheaply).

    An engine that is down or throttling answers nothing about it: the error
    is raised and the question asked again next time.
    """
    if Engine.supports_transactions is None:
        Engine.supports_transactions = run(_probe())
    return Engine.supports_transactions


async def asupported():
    """``supported()`` from a coroutine: the same probe, sent by the event loop's client."""
    if Engine.supports_transactions is None:
        Engine.supports_transactions = await arun(_probe())
    return Engine.supports_transactions


def _probe():
    """Steps: whether the engine knows TransactGetItems (a read of a table no one has)."""
    probe = [{"Get": {"TableName": PROBE_TABLE, "Key": {"k": {"S": "k"}}}}]
    try:
        yield from get_steps(probe)
    except (EngineUnavailable, Throttled):
        raise
    except DynamoError as error:
        return error.code != "UnknownOperationException"
    return True


def move(schema, old, new):
    """Replace the item ``old`` by ``new``, whose key differs: a key change.

    DynamoDB cannot change a key in place: ``old`` is deleted and ``new``
    inserted (with ``old``'s id and the version after ``old``'s), in one
    transaction. The delete is conditioned on ``old``'s version, the insert
    on the new key being free; on failure nothing is written and the first
    action's own error is raised (VersionConflict, ItemNotFound,
    ItemAlreadyExists). Refused on an engine without transactions, where the
    two writes could not be one.
    """
    if not supported():
        raise _move_refused(schema)
    _moved(schema, old, new)
    try:
        with collecting():
            run(writes.delete(schema, old))
            run(writes.insert(schema, new))
    except TransactionCanceled as canceled:
        raise first_error(canceled) from canceled
    return new


async def amove(schema, old, new):
    """``move`` from a coroutine: the same transaction, sent by the event loop's client."""
    if not await asupported():
        raise _move_refused(schema)
    _moved(schema, old, new)
    try:
        async with acollecting():
            await arun(writes.delete(schema, old))
            await arun(writes.insert(schema, new))
    except TransactionCanceled as canceled:
        raise first_error(canceled) from canceled
    return new


def _move_refused(schema):
    return UnsupportedOperation(f"{schema.label}: {KEY_CHANGE_REFUSED}")


def _moved(schema, old, new):
    """Make ``new`` the insert that replaces ``old``: the next version, a new item."""
    if schema.version is not None:
        version = getattr(old, schema.version.attname)
        setattr(new, schema.version.attname, (version or 0) + 1)
    new._state.adding = True


def first_error(canceled):
    """The error of the first action that failed for a reason of its own (not another's)."""
    for _label, _key, error in canceled.actions:
        if error is not None and not isinstance(error, TransactionAborted):
            return error
    return canceled


@contextlib.contextmanager
def collecting(token=None, savepoint=False):
    """The current transaction, or a new one committed when the block ends without error.

    A block inside another is part of it (its token, if any, must be the
    outer one's); ``savepoint=True`` is refused: DynamoDB has no savepoints.
    """
    transaction, reset = _begin(token, savepoint)
    if reset is None:
        yield transaction
        return
    try:
        yield transaction
    except BaseException:
        _abandon(transaction, reset)
        raise
    collector.reset(reset)
    transaction.commit()


@contextlib.asynccontextmanager
async def acollecting(token=None, savepoint=False):
    """``collecting`` for ``async with``: committed by the event loop's client."""
    transaction, reset = _begin(token, savepoint)
    if reset is None:
        yield transaction
        return
    try:
        yield transaction
    except BaseException:
        _abandon(transaction, reset)
        raise
    collector.reset(reset)
    await transaction.acommit()


def _begin(token, savepoint):
    """(the transaction a block joins or starts, the collector's reset token; None: joined)."""
    outer = collector.get()
    if outer is None:
        transaction = Transaction(token)
        return transaction, collector.set(transaction)
    if savepoint:
        raise UnsupportedOperation(
            "DynamoDB transactions have no savepoints: a nested atomic() is part of the "
            "outer one (call it without savepoint=True)."
        )
    if token is not None and as_token(token) != outer.token:
        raise UnsupportedOperation(
            "A nested atomic() is part of the outer transaction: give the token to the "
            "outermost atomic() only."
        )
    return outer, None


def _abandon(transaction, reset):
    collector.reset(reset)
    transaction.discard()


def add_action(transaction, schema, position, kind, target, *rest):
    """One action of ``Connector.transact_write``, made inside ``transaction``.

    ``schema`` is the Connector's, for a key tuple list; an instance brings its own.
    """
    run(action_steps(transaction, schema, position, kind, target, *rest))


async def aadd_action(transaction, schema, position, kind, target, *rest):
    """``add_action`` from a coroutine (an insert may allocate its id first)."""
    await arun(action_steps(transaction, schema, position, kind, target, *rest))


def action_steps(transaction, schema, position, kind, target, *rest):
    """Steps of one action: its write, collected by the transaction, or its check."""
    if isinstance(target, models.Model) and is_dynamo_model(type(target)):
        schema = schema_for(type(target))
    if kind == "insert":
        yield from writes.insert(schema, target)
    elif kind == "update":
        fields = rest[0] if rest else None
        yield from (
            writes.update_fields(schema, target, fields)
            if fields
            else writes.replace(schema, target)
        )
    elif kind == "delete":
        yield from writes.delete(schema, target)
    elif kind == "check":
        key = schema.key_list(target) if isinstance(target, schema.model) else target
        condition = filter_condition(schema, list((rest[0] if rest else {}).items()))
        transaction.condition_check(schema, serialize(exact_key(schema, key)), condition)
    else:
        raise ValidationError(
            None, f"Action {position}: {kind!r} is not insert, update, delete or check."
        )


def get(targets):
    """Instances (None where missing) of ``(schema, key)`` targets, read as one snapshot.

    TransactGetItems, up to 100 items; on an engine without transactions a
    consistent GetItem each (not a snapshot).
    """
    return run(get_instances(targets, supported()))


async def aget(targets):
    """``get`` from a coroutine (the engine probe, once per process, in a thread)."""
    return await arun(get_instances(targets, await asupported()))


def get_instances(targets, has_transactions):
    """Steps of ``get``."""
    if len(targets) > MAX_ACTIONS:
        raise TransactionTooLarge(
            None, f"A transaction reads at most {MAX_ACTIONS} items, not {len(targets)}."
        )
    gets = [
        {"Get": {"TableName": schema.table_name, "Key": serialize(key)}} for schema, key in targets
    ]
    if has_transactions:
        items = yield from get_steps(gets)
    else:
        items = []
        for entry in gets:
            request = Request("get_item", {**entry["Get"], "ConsistentRead": True})
            items.append((yield from single_item(request)))
    return [
        None if item is None else schema.instance(item)
        for (schema, _), item in zip(targets, items, strict=True)
    ]
