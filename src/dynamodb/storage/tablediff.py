"""What changes a table held as one TableSpec into another, and what DynamoDB cannot change.

``compare(old, new)`` is the one judge of a table's change: ``makemigrations``
turns its changes into operations, the drift check into warnings (the live
table as ``old``, the model as ``new``), ``createdynamotables --sync`` and
``CreateTable`` on an existing table into UpdateTable calls. A change DynamoDB
cannot make in place (keys, local indexes) is a refusal naming it.
"""

from typing import NamedTuple

from .tablespecs import describe_key

CREATE = "create"
DELETE = "delete"
COPY = "copy"
BILLING = "billing"
REMOVE_INDEX = "remove_index"
REPLACE_INDEX = "replace_index"
ADD_INDEX = "add_index"
TTL = "ttl"


class Change(NamedTuple):
    """One change: its kind, and what it is (an index, a TTL attribute...) before and after."""

    kind: str
    old: object = None
    new: object = None


def compare(old, new):
    """(changes, refusals) making a table held as ``old`` into ``new``; either may be None.

    A new ``table_name`` is a new table: one COPY change. Otherwise the
    changes come in the order they can be applied: billing, global indexes
    removed, replaced (a projection or key change: removed, then added) and
    added, then TTL. Refusals are sentences ("its partition key changes ...").
    """
    if old is None:
        return ([] if new is None else [Change(CREATE, None, new)]), []
    if new is None:
        return [Change(DELETE, old, None)], []
    if old.table_name != new.table_name:
        return [Change(COPY, old, new)], []
    refusals = key_refusals(old.key, new.key) + local_index_refusals(old, new)
    if refusals:
        return [], refusals
    changes = []
    if (old.billing, old.throughput) != (new.billing, new.throughput):
        before, after = (old.billing, old.throughput), (new.billing, new.throughput)
        changes.append(Change(BILLING, before, after))
    before = {index.name: index for index in old.global_indexes}
    after = {index.name: index for index in new.global_indexes}
    changes += [Change(REMOVE_INDEX, before[name]) for name in sorted(before.keys() - after)]
    changes += [
        Change(REPLACE_INDEX, before[name], after[name])
        for name in sorted(before.keys() & after.keys())
        if before[name] != after[name]
    ]
    changes += [Change(ADD_INDEX, None, after[name]) for name in sorted(after.keys() - before)]
    if old.ttl != new.ttl:
        changes.append(Change(TTL, old.ttl, new.ttl))
    return changes, []


def key_refusals(old, new):
    """Sentences saying how a table's key changes (DynamoDB cannot change it)."""
    refusals = []
    if old[0] != new[0]:
        refusals.append(
            f"its partition key changes from {describe_key(old[:1])} to {describe_key(new[:1])}"
        )
    old_sort, new_sort = old[1:], new[1:]
    if old_sort != new_sort:
        if not old_sort:
            refusals.append(f"it gains the sort key {describe_key(new_sort)}")
        elif not new_sort:
            refusals.append(f"it loses its sort key {describe_key(old_sort)}")
        else:
            refusals.append(
                f"its sort key changes from {describe_key(old_sort)} to {describe_key(new_sort)}"
            )
    return refusals


def local_index_refusals(old, new):
    """Sentences saying how its local indexes change (DynamoDB creates them with the table only)."""
    before = {index.name: index for index in old.local_indexes}
    after = {index.name: index for index in new.local_indexes}
    return (
        [f"local index {name!r} is added" for name in sorted(after.keys() - before)]
        + [f"local index {name!r} is removed" for name in sorted(before.keys() - after)]
        + [
            f"local index {name!r} changes from {before[name].describe()} "
            f"to {after[name].describe()}"
            for name in sorted(before.keys() & after.keys())
            if before[name] != after[name]
        ]
    )
