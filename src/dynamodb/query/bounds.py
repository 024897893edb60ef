"""Several conditions on one sort key, made the one key condition DynamoDB takes.

DynamoDB's KeyConditionExpression holds at most one condition per key, and a
Query's FilterExpression may not name a key attribute. So ``date_at__gte=a``
and ``date_at__lt=b`` must become ``date_at BETWEEN a AND b - 1 µs``: an
exclusive bound becomes inclusive by the field's smallest step (a
microsecond, a day, 1, the decimal places, the next string). Values are
DynamoDB values (Decimal, str, bytes), compared as DynamoDB compares them.
"""

import datetime
import decimal

from ..constants import STRING
from ..exceptions import UnsupportedOperation

EMPTY = "empty"  # the conditions exclude every value


def key_step(model_field, value):
    """The smallest difference between two stored values of a discrete key field, or None."""
    if isinstance(value, datetime.datetime):
        return datetime.timedelta(microseconds=1)
    if isinstance(value, datetime.date):
        return datetime.timedelta(days=1)
    if isinstance(value, int) and not isinstance(value, bool):
        return 1
    places = getattr(model_field, "decimal_places", None)
    if isinstance(value, decimal.Decimal) and places is not None:
        return decimal.Decimal(1).scaleb(-places)
    return None


def comparable(converter, value):
    """A DynamoDB value in the order DynamoDB sorts it (numbers, UTF-8 bytes, bytes)."""
    if converter.dynamo_type == STRING:
        return value.encode("utf-8")
    return value


def _inclusive(converter, value, sign):
    """The inclusive bound next to an exclusive one (``sign`` 1 above, -1 below), or None."""
    if converter.dynamo_type == STRING and sign > 0:
        return value + "\x00"  # the smallest string after value, in UTF-8 byte order
    python_value = converter.from_dynamo(value)
    step = key_step(converter.field, python_value)
    if step is None:
        return None
    try:
        return converter.to_dynamo(python_value + sign * step)
    except OverflowError:
        return EMPTY  # nothing lies beyond the largest (or smallest) value


def _matches(converter, lookup, value, candidate):
    candidate = comparable(converter, candidate)
    if lookup == "startswith":
        return candidate.startswith(comparable(converter, value))
    if lookup == "range":
        low, high = (comparable(converter, v) for v in value)
        return low <= candidate <= high
    other = comparable(converter, value)
    return {
        "exact": candidate == other,
        "lt": candidate < other,
        "lte": candidate <= other,
        "gt": candidate > other,
        "gte": candidate >= other,
    }[lookup]


def matches(leaf, value):
    """Whether a DynamoDB key value meets a key lookup (exact, bounds, startswith, in)."""
    if leaf.lookup == "in":
        return any(_matches(leaf.converter, "exact", v, value) for v in leaf.value)
    return _matches(leaf.converter, leaf.lookup, leaf.value, value)


def merge(converter, leaves):
    """(lookup, value) of one key condition meeting every leaf; EMPTY; or None for no leaf."""
    if not leaves:
        return None
    if len(leaves) == 1:
        return leaves[0].lookup, leaves[0].value
    exact = [leaf for leaf in leaves if leaf.lookup == "exact"]
    if exact:
        value = exact[0].value
        return ("exact", value) if all(matches(leaf, value) for leaf in leaves) else EMPTY
    if any(leaf.lookup == "startswith" for leaf in leaves):
        raise UnsupportedOperation(
            f"{converter.name}__startswith cannot be combined with another condition on the "
            f"sort key {converter.name}: DynamoDB takes one key condition per key."
        )
    low = high = None
    for leaf in leaves:
        bounds = leaf.value if leaf.lookup == "range" else [leaf.value]
        if leaf.lookup in ("gt", "gte", "range"):
            candidate = bounds[0] if leaf.lookup != "gt" else _inclusive(converter, bounds[0], 1)
            low = _tighter(converter, low, candidate, leaf, max)
        if leaf.lookup in ("lt", "lte", "range"):
            candidate = bounds[-1] if leaf.lookup != "lt" else _inclusive(converter, bounds[-1], -1)
            high = _tighter(converter, high, candidate, leaf, min)
    if EMPTY in (low, high):
        return EMPTY
    if low is None:
        return "lte", high
    if high is None:
        return "gte", low
    if comparable(converter, low) > comparable(converter, high):
        return EMPTY
    return "range", [low, high]


def _tighter(converter, current, candidate, leaf, pick):
    if candidate is None:
        raise UnsupportedOperation(
            f"{leaf.expression} cannot be combined with another bound: {converter.name} has no "
            f"smallest step. Use {converter.name}__gte and {converter.name}__lte."
        )
    if candidate is EMPTY or current is EMPTY:
        return EMPTY
    if current is None:
        return candidate
    return pick(current, candidate, key=lambda v: comparable(converter, v))
