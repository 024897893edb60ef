"""Django lookups on a DynamoDB model, resolved and checked before any request.

``filter(date_at__gte=t)``, ``Q(name="x") | Q(name="y")`` and ``exclude(...)``
become a tree of ``Leaf`` conditions (``Node`` for AND, OR, NOT) whose values
are already converted by the field's converter. Names follow Django: a field's
name or attname, ``pk``, a ForeignKey's own value as ``user``, ``user_id``,
``user__pk`` or ``user__id``. What DynamoDB cannot evaluate (case-insensitive
or regex matches, date transforms, lookups across a relation) is refused here
with the way out.
"""

from typing import NamedTuple

from django.core.exceptions import FieldError
from django.db.models import Q
from django.db.models.expressions import Combinable

from ..exceptions import InvalidLookupValue, UnsupportedOperation, ValidationError
from ..storage.expressions import FILTER_LOOKUPS, convert

LOOKUPS = frozenset(FILTER_LOOKUPS)
CASE_INSENSITIVE = {"iexact", "icontains", "istartswith", "iendswith"}
TRANSFORMS = {
    "year", "month", "day", "week_day", "iso_week_day", "week", "iso_year", "quarter",
    "date", "time", "hour", "minute", "second", "contained_by", "overlap",
    "has_key", "has_keys", "has_any_keys", "len", "trigram_similar", "unaccent",
}  # fmt: skip
REFUSALS = {
    "endswith": "DynamoDB matches only the start of a string (startswith)",
    "regex": "DynamoDB has no regular expressions",
    "iregex": "DynamoDB has no regular expressions",
    "search": "DynamoDB has no full-text search",
}


class Leaf(NamedTuple):
    """One lookup: a field's converter, the lookup name and its DynamoDB value(s)."""

    converter: object
    lookup: str
    value: object
    expression: str


class Node(NamedTuple):
    """``AND`` or ``OR`` of children (Leaf or Node), negated or not."""

    connector: str
    children: tuple
    negated: bool = False

    def __invert__(self):
        return Node(self.connector, self.children, not self.negated)


EVERYTHING = Node("AND", ())


def combine(left, right, connector="AND"):
    """``left AND right`` (or OR), flattening nodes of the same connector."""
    if connector == "AND" and not left.children and not left.negated:
        return right
    children = []
    for node in (left, right):
        if node.connector == connector and not node.negated:
            children.extend(node.children)
        else:
            children.append(node)
    return Node(connector, tuple(children))


def where(schema, args, kwargs):
    """The tree of ``filter(*args, **kwargs)``: Q objects and keyword lookups, ANDed."""
    if not args:  # keyword lookups only (the usual case): no Q to build and walk
        leaves = [resolve(schema, name, value) for name, value in sorted(kwargs.items())]
        return Node("AND", tuple(leaves))
    return _node(schema, Q(*args, **kwargs))


def _node(schema, q):
    children = []
    for child in q.children:
        if isinstance(child, Q):
            node = _node(schema, child)
            if node.connector == q.connector and not node.negated:
                children.extend(node.children)  # (a AND (b AND c)) is (a AND b AND c)
            else:
                children.append(node)
        else:
            expression, value = child
            children.append(resolve(schema, expression, value))
    if len(children) == 1 and isinstance(children[0], Node) and not q.negated:
        return children[0]
    return Node(q.connector, tuple(children), q.negated)


def resolve(schema, expression, value):
    """The Leaf of one keyword lookup, e.g. ``("date_at__gte", moment)``."""
    converter = schema.by_name.get(expression)
    if converter is not None and value is not None and not isinstance(value, Combinable):
        return _leaf(converter, "exact", value, expression)  # field=value: the usual case
    model = schema.label
    if not isinstance(expression, str) or not expression:
        raise FieldError(f"{expression!r} is not a lookup on {model}.")
    name, *rest = expression.split("__")
    converter = schema.pk if name == "pk" else schema.by_name.get(name)
    if converter is None:
        choices = ", ".join(sorted({"pk", *(c.name for c in schema.converters)}))
        raise FieldError(
            f"Cannot resolve keyword {name!r} into a field of {model}. Choices are: {choices}."
        )
    field = converter.field
    if rest and field.is_relation and rest[0] in ("pk", field.target_field.name):
        rest = rest[1:]  # user__pk and user__id are the relation's own value
    if rest and field.is_relation and rest[0] not in LOOKUPS | CASE_INSENSITIVE | REFUSALS.keys():
        target = field.related_model._meta.label
        raise UnsupportedOperation(
            f"{model}.{field.name} refers to {target}, which DynamoDB cannot join "
            f"({expression!r}). Filter on {field.name}=<{target} or its pk> instead, or find "
            f"the {target} rows first and filter on each."
        )
    if len(rest) > 1 or (rest and rest[0] in TRANSFORMS):
        raise UnsupportedOperation(
            f"{expression!r} on {model}: DynamoDB has no transforms such as "
            f"{'__'.join(rest[:-1]) or rest[0]!r}. Compare the stored value itself, e.g. "
            f"{name}__range=(start, end)."
        )
    lookup = rest[0] if rest else "exact"
    if lookup in CASE_INSENSITIVE:
        raise UnsupportedOperation(
            f"{expression!r} on {model}: DynamoDB compares case-sensitively. Store a lower-cased "
            f"copy of {name} in another field and filter on it with {lookup[1:]}."
        )
    if lookup in REFUSALS:
        raise UnsupportedOperation(f"{expression!r} on {model}: {REFUSALS[lookup]}.")
    if lookup not in LOOKUPS:
        raise FieldError(
            f"Unsupported lookup {lookup!r} for {model}.{name}; use one of {sorted(LOOKUPS)}."
        )
    if isinstance(value, Combinable):
        raise UnsupportedOperation(
            f"{expression!r} on {model}: DynamoDB compares attributes with values only, "
            "not with other fields or expressions."
        )
    if lookup == "exact" and value is None:
        lookup, value = "isnull", True  # as Django: filter(x=None) is x__isnull=True
    if lookup in ("in", "range") and value is not None and not isinstance(value, str | bytes):
        value = list(value)
        if lookup == "in" and not value:
            return Leaf(converter, lookup, [], expression)  # matches nothing, as in Django
    return _leaf(converter, lookup, value, expression)


def _leaf(converter, lookup, value, expression):
    try:
        converted = convert(converter, lookup, value)
    except ValidationError as error:
        reason = "; ".join(error.messages).rstrip(".")
        raise InvalidLookupValue(converter.name, f"{reason} ({expression}).") from error
    return Leaf(converter, lookup, converted, expression)
