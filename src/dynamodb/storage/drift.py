"""How a model's live table differs from the table the model declares (the drift check).

Each difference is (check id, message); the ids are stable (``dynamodb.W001``
to ``W008``), for ``SILENCED_SYSTEM_CHECKS`` and for scripts reading
``createdynamotables --check``.
"""

from .tableadmin import live
from .tablediff import (
    ADD_INDEX,
    BILLING,
    REMOVE_INDEX,
    REPLACE_INDEX,
    TTL,
    compare,
    key_refusals,
    local_index_refusals,
)
from .tablespecs import TableSpec

MISSING = "dynamodb.W001"
KEYS = "dynamodb.W002"
LOCAL_INDEXES = "dynamodb.W003"
CHANGES = {
    ADD_INDEX: "dynamodb.W004",
    REMOVE_INDEX: "dynamodb.W005",
    REPLACE_INDEX: "dynamodb.W006",
    TTL: "dynamodb.W007",
    BILLING: "dynamodb.W008",
}
UNREACHABLE = "dynamodb.W009"
# The differences only a new table (CopyTable) resolves.
NEW_TABLE_ONLY = (KEYS, LOCAL_INDEXES)


def _billing(billing):
    mode, throughput = billing
    return mode if throughput is None else f"{mode} {throughput}"


def differences(schema):
    """[(check id, message)] of the ways the live table differs from the schema's declaration."""
    name, label, declared = schema.table_name, schema.label, schema.spec()
    found = live(name, declared.table_name)
    if found is None:
        return [(MISSING, f"Table {name} of {label} does not exist.")]
    problems = [
        (KEYS, f"Table {name} differs from {label}: {refusal}.")
        for refusal in key_refusals(found.key, declared.key)
    ] + [
        (LOCAL_INDEXES, f"Table {name} differs from {label}: {refusal}.")
        for refusal in local_index_refusals(found, declared)
    ]
    # The rest, as if keys and local indexes were right, so that every difference shows.
    comparable = TableSpec.described(
        table_name=found.table_name,
        key=declared.key,
        indexes=tuple(found.global_indexes) + tuple(declared.local_indexes),
        ttl=found.ttl,
        billing=found.billing,
        throughput=found.throughput,
    )
    changes, _ = compare(comparable, declared)
    for kind, old, new in changes:
        if kind == ADD_INDEX:
            message = f"Table {name} lacks the {new.describe()}, which {label} declares."
        elif kind == REMOVE_INDEX:
            message = f"Table {name} has a {old.describe()}, which {label} does not declare."
        elif kind == REPLACE_INDEX:
            message = (
                f"Table {name} has the {old.describe()}, but {label} declares the "
                f"{new.describe()}."
            )
        elif kind == TTL:
            message = (
                f"Table {name} expires items on {old!r}, but {label} declares "
                f"{'ttl_field on ' + repr(new) if new else 'no ttl_field'}."
            )
        else:
            message = (
                f"Table {name} is billed {_billing(old)}, but {label} declares {_billing(new)}."
            )
        problems.append((CHANGES[kind], message))
    return problems
