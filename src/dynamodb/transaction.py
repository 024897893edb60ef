"""Transactions of DynamoDB writes: ``atomic()``, ``get()`` and ``on_commit()``.

    from dynamodb import transaction

    with transaction.atomic(token=request_key) as tx:
        order.save()                              # collected, not sent
        Entry.objects.create(order=order.pk, amount=5)
        tx.condition_check(account, version=account.version)
        tx.on_commit(notify)
    # TransactWriteItems was sent when the block ended without an exception

    async with transaction.aatomic() as tx:      # the same, from async code
        await order.asave()

Inside a block, ``Model.save()``, ``Model.delete()``, ``QuerySet.create()``,
``QuerySet.update()`` and ``QuerySet.delete()`` are collected and sent as one
TransactWriteItems when the block ends; an exception in the block sends
nothing and gives every instance back its id and version. Reads go to the
engine as usual. Nested blocks are part of the outermost one (DynamoDB has no
savepoints). Django's SQL ``transaction.atomic`` is a different thing and is
left alone. See ``storage.transactions`` for the limits and the failures.
"""

import contextlib

from .exceptions import ValidationError
from .storage import atomic as blocks
from .storage.expressions import exact_key, filter_condition
from .storage.schema import is_dynamo_model, schema_for
from .storage.steps import collector
from .wire.marshalling import serialize

__all__ = ["aatomic", "aget", "atomic", "get", "on_commit"]


class Block:
    """What ``with atomic() as tx`` gives: checks and callbacks of the transaction."""

    def __init__(self, transaction):
        self.transaction = transaction

    def condition_check(self, target, **conditions):
        """Commit only if this item exists and meets the lookups (``version=3``...)."""
        schema, key = _target(target)
        condition = filter_condition(schema, list(conditions.items()))
        self.transaction.condition_check(schema, serialize(key), condition)

    def on_commit(self, callback):
        """Call ``callback()`` after the transaction is written (never if it is not)."""
        self.transaction.callbacks.append(callback)


@contextlib.contextmanager
def atomic(token=None, savepoint=False):
    """Collect the DynamoDB writes of the block; send them as one transaction at its end.

    ``token`` (any string; longer than 36 characters it is hashed) makes a
    retry of the whole block within 10 minutes a success that writes nothing
    twice. A nested block is part of the outermost; ``savepoint=True`` is
    refused: DynamoDB transactions have no savepoints.
    """
    with blocks.collecting(token, savepoint) as transaction:
        yield Block(transaction)


@contextlib.asynccontextmanager
async def aatomic(token=None, savepoint=False):
    """``atomic()`` for async code: ``async with transaction.aatomic() as tx:``.

    The block's writes (``await obj.asave()``, ``await qs.aupdate(...)``...)
    are collected as in ``atomic()`` and sent by the event loop's client.
    """
    async with blocks.acollecting(token, savepoint) as transaction:
        yield Block(transaction)


def on_commit(callback):
    """Call ``callback()`` after the current block's transaction commits; at once outside one."""
    transaction = collector.get()
    if transaction is None:
        callback()
    else:
        transaction.callbacks.append(callback)


def get(targets):
    """The items (instances, or None where missing) of up to 100 targets, read as one snapshot.

    A target is a model instance or ``(Model, key)`` with ``key`` a key tuple
    list or dict. TransactGetItems reads them all at one point in time; on an
    engine without transactions they are read one by one (not a snapshot).
    """
    return blocks.get([_target(target) for target in targets])


async def aget(targets):
    """``get()`` from a coroutine."""
    return await blocks.aget([_target(target) for target in targets])


def _target(target):
    """(schema, key as {attribute: value}) of an instance or a ``(Model, key)`` pair."""
    if is_dynamo_model(type(target)):
        schema = schema_for(type(target))
        return schema, exact_key(schema, schema.key_list(target))
    if isinstance(target, tuple) and len(target) == 2 and is_dynamo_model(target[0]):
        schema = schema_for(target[0])
        return schema, exact_key(schema, target[1])
    raise ValidationError(
        None, f"A target is a DynamoDB model instance or (Model, key), not {target!r}."
    )
