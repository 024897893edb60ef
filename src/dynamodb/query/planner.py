"""The planner: which DynamoDB read serves a QuerySet, decided before any request.

Every QuerySet becomes a GetItem, a BatchGetItem (ids), a Query, or, only
when the code says ``.scan()``, a Scan:

- ``pk`` lookups (``get(pk=3)``, ``filter(pk__in=ids)``) resolve ids to keys
  through the id index and its cache, then read those items;
- equality on the partition key of the table or of an index chooses it (an
  index whose sort key the lookups or ``order_by`` name wins; ``using_index``
  forces one); the sort-key conditions become the KeyConditionExpression,
  everything else the FilterExpression; the full key and nothing else is a
  GetItem;
- anything else is an ``UnsupportedOperation`` naming the keys that could
  serve it and ``.scan()``.
"""

import itertools
from dataclasses import dataclass

from boto3.dynamodb.conditions import Attr, Key

from ..exceptions import UnsupportedOperation
from ..storage.compiler import GET_ITEM, QUERY, SCAN, Read
from ..storage.expressions import KEY_LOOKUPS, key_size_limit, lookup_condition
from ..storage.values import check_key_value
from ..wire.marshalling import serialize
from . import bounds
from .lookups import Leaf


@dataclass(slots=True)
class Plan:
    """How a QuerySet reads: ``read`` (None when nothing can match), or listed items.

    An id plan resolves ``ids`` to keys (a key plan has its ``keys`` at
    once), keeps those meeting ``key_leaves`` (lookups on the table's keys),
    and reads them with ``read`` as a template (its filter and projection);
    ``order`` sorts its items (converter, descending). ``segments`` > 1 is a
    parallel Scan.
    """

    schema: object
    read: Read | None
    ids: tuple | None = None
    key_leaves: tuple = ()
    order: tuple | None = None
    segments: int = 1
    keys: tuple | None = None

    @property
    def is_empty(self):
        return self.read is None

    @property
    def listed(self):
        """Whether the plan reads listed items (ids or keys), not a Query or Scan."""
        return self.ids is not None or self.keys is not None


def plan(schema, query, *, count=False, attributes=None):
    """The Plan of a ``query.Query``; ``count`` asks for Select=COUNT."""
    if query.empty:
        return Plan(schema, None)
    conjuncts, nodes = _split(query.where)
    if conjuncts is None:
        return Plan(schema, None)
    options = {"consistent": query.consistent, "attributes": attributes, "count": count}
    if not nodes and not query.scan and query.index is None:
        key = _full_key(schema, conjuncts)
        if key is not None:  # the table's key, exactly: the plan of get(user=..., date_at=...)
            return Plan(schema, Read(schema, GET_ITEM, schema.table, key=key, **options))
    order_field, descending = _order(schema, query)
    if query.scan:
        index = schema.index(query.index) if query.index else schema.table
        if order_field is not None:
            raise UnsupportedOperation(
                f"A Scan of {schema.label} returns items in no order: order_by() needs a "
                "query on one partition (filter on its partition key instead of .scan())."
            )
        condition = _condition(schema, [*conjuncts, *nodes])
        read = Read(schema, SCAN, index, filter=condition, **options)
        return Plan(schema, read, segments=query.segments)
    pk = [c for c in conjuncts if c.converter is schema.pk and c.lookup in ("exact", "in")]
    if pk and query.index is None and (schema.id_index is not None or pk[0].lookup == "in"):
        return _id_plan(schema, pk[0], conjuncts, nodes, order_field, descending, options)
    if query.index is None:
        listed = _listed_keys(schema, conjuncts)
        if listed is not None:
            return _keys_plan(schema, listed, conjuncts, nodes, order_field, descending, options)
    index = _choose_index(schema, query, conjuncts, nodes, order_field)
    partition = [leaf for leaf in conjuncts if leaf.converter is index.partition]
    values = {_hashable(leaf.value) for leaf in partition if leaf.lookup == "exact"}
    if len(values) > 1:
        return Plan(schema, None)  # two different partitions: nothing is in both
    sort = [c for c in conjuncts if c.converter is index.sort and c.lookup in KEY_LOOKUPS]
    merged = bounds.merge(index.sort, sort)
    if merged == bounds.EMPTY:
        return Plan(schema, None)
    rest = nodes
    if len(partition) + len(sort) < len(conjuncts):
        used = {id(leaf) for leaf in (*partition, *sort)}
        rest = [leaf for leaf in conjuncts if id(leaf) not in used] + nodes
    condition = None
    if rest:
        _refuse_key_filters(schema, index, rest)
        condition = _condition(schema, rest)
    if _is_get(index, merged, condition):
        raw_key = {index.partition.attribute: partition[0].value}
        if index.sort is not None:
            raw_key[index.sort.attribute] = merged[1]
        _check_key_sizes(index, raw_key)
        return Plan(schema, Read(schema, GET_ITEM, index, key=raw_key, **options))
    key = _key(index, partition[0], merged)
    read = Read(
        schema, QUERY, index, key_condition=key, filter=condition, descending=descending, **options
    )
    return Plan(schema, read)


def _full_key(schema, conjuncts):
    """The raw key when the lookups are exact values of the table's keys and nothing else.

    The plan of ``get(user=..., date_at=...)``, decided before anything else
    (a GetItem returns one item: no order applies).
    """
    table = schema.table
    wanted = 1 if table.sort is None else 2
    if len(conjuncts) != wanted:
        return None
    key = {}
    for leaf in conjuncts:
        if leaf.lookup != "exact" or leaf.converter not in (table.partition, table.sort):
            return None
        key[leaf.converter.attribute] = leaf.value
    if len(key) != wanted:
        return None  # one key twice
    _check_key_sizes(table, key)
    return key


def _split(where):
    """(top-level AND leaves, other nodes), or (None, None) when an ``in []`` excludes all."""
    if where.negated or where.connector != "AND":
        return [], [where]
    conjuncts, nodes = [], []
    for child in where.children:
        if isinstance(child, Leaf):
            if child.lookup == "in" and not child.value:
                return None, None
            conjuncts.append(child)
        else:
            nodes.append(child)
    return conjuncts, nodes


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _order(schema, query):
    """(converter of the sort key to order by, descending), from order_by, reverse and Meta."""
    names = query.order if query.order is not None else schema.model._meta.ordering
    if not names:
        return None, query.reversed
    keys = [schema.table.partition.name, schema.table.partition.attname]
    names = [name for name in names if name.lstrip("-") not in keys]
    if not names:
        return None, query.reversed
    if len(names) > 1:
        raise UnsupportedOperation(
            f"{schema.label} can be ordered by one sort key only, not by {names}: "
            "DynamoDB returns a partition's items in the order of one index's sort key."
        )
    name = names[0]
    converter = schema.by_name.get(name.lstrip("-"))
    sort_keys = _sort_keys(schema)
    if converter is None or converter not in sort_keys.values():
        raise UnsupportedOperation(
            f"{schema.label} cannot be ordered by {name!r}: DynamoDB orders a query by the sort "
            f"key of the table or index it reads. Order by one of {sorted(sort_keys)} "
            "(prefixed by '-' for descending), or sort the results in Python."
        )
    return converter, name.startswith("-") != query.reversed


def _sort_keys(schema):
    indexes = [schema.table, *schema.indexes.values()]
    return {index.sort.name: index.sort for index in indexes if index.sort is not None}


def _choose_index(schema, query, conjuncts, nodes, order_field):
    equal = {leaf.converter for leaf in conjuncts if leaf.lookup == "exact"}
    if query.index is not None:
        index = schema.index(query.index)
        if index.partition not in equal:
            raise UnsupportedOperation(
                f"using_index({query.index!r}) on {schema.label} needs an exact "
                f"{index.partition.name}=... filter: its partition key."
            )
        if order_field is not None and order_field not in (index.sort, index.partition):
            raise UnsupportedOperation(
                f"Index {query.index!r} of {schema.label} sorts by "
                f"{index.sort.name if index.sort else 'nothing'}, not {order_field.name}."
            )
        return index
    usable = [index for index in schema.query_indexes if index.partition in equal]
    if order_field is not None:
        usable = [index for index in usable if index.sort is order_field]
    if len(usable) == 1:
        return usable[0]
    if not usable:
        raise UnsupportedOperation(_no_index_message(schema, conjuncts, order_field))
    conditioned = {leaf.converter for leaf in conjuncts if leaf.lookup in KEY_LOOKUPS}

    def preference(index):
        return (index.sort in conditioned, index is schema.table, not index.is_global)

    return max(usable, key=preference)


def _no_index_message(schema, conjuncts, order_field):
    ways = [f"{schema.table.partition.name} (the table)"]
    ways += [
        f"{index.partition.name} (index {index.name!r})"
        for index in schema.global_indexes
        if index is not schema.id_index
    ]
    asked = ", ".join(leaf.expression for leaf in conjuncts) or "no key"
    if order_field is not None:
        asked += f", ordered by {order_field.name}"
    return (
        f"This query on {schema.label} ({asked}) would need a Scan of the whole table: "
        f"DynamoDB queries need an exact value of a partition key. Filter on "
        f"{' or '.join(ways)}, or on pk; or read every item on purpose with .scan()."
    )


def _refuse_key_filters(schema, index, conditions):
    """DynamoDB refuses a Query whose FilterExpression names one of its key attributes."""
    keys = {converter for converter in (index.partition, index.sort) if converter is not None}
    for converter in _converters(conditions):
        if converter in keys:
            raise UnsupportedOperation(
                f"{converter.name} is a key of {index.describe()} of {schema.label}: DynamoDB "
                "takes one exact partition key and one sort-key condition (or a range) per "
                "query, and no other condition on them. Combine the conditions into one, or "
                "split the query."
            )


def _converters(conditions):
    for condition in conditions:
        if isinstance(condition, Leaf):
            yield condition.converter
        else:
            yield from _converters(condition.children)


def _key(index, partition, merged):
    """The KeyConditionExpression: the partition's value and the merged sort-key condition."""
    check_key_value(
        partition.converter.name, partition.value, key_size_limit(index, partition.converter)
    )
    condition = Key(index.partition.attribute).eq(partition.value)
    if merged is not None:
        lookup, value = merged
        for item in value if lookup == "range" else [value]:
            check_key_value(index.sort.name, item, key_size_limit(index, index.sort))
        condition &= lookup_condition(Key(index.sort.attribute), lookup, value)
    return condition


def _check_key_sizes(index, raw_key):
    """A GetItem's key values: non-empty and within DynamoDB's key sizes."""
    for converter in (index.partition, index.sort):
        if converter is not None:
            check_key_value(
                converter.name, raw_key[converter.attribute], key_size_limit(index, converter)
            )


def _is_get(index, merged, condition):
    if index.name is not None or condition is not None:
        return False
    return index.sort is None or (merged is not None and merged[0] == "exact")


def _condition(schema, conditions):
    """The boto3 condition of leaves and nodes ANDed, or None when there are none."""
    built = None
    for condition in conditions:
        part = _leaf(condition) if isinstance(condition, Leaf) else _node(condition)
        if part is not None:
            built = part if built is None else built & part
    return built


def _leaf(leaf):
    if leaf.lookup == "in" and not leaf.value:
        raise UnsupportedOperation(
            f"{leaf.expression}=[] inside Q(...) | Q(...) or exclude() cannot be sent to "
            "DynamoDB; leave the condition out."
        )
    return lookup_condition(Attr(leaf.converter.attribute), leaf.lookup, leaf.value)


def _node(node):
    parts = [_leaf(c) if isinstance(c, Leaf) else _node(c) for c in node.children]
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    built = parts[0]
    for part in parts[1:]:
        built = built & part if node.connector == "AND" else built | part
    return ~built if node.negated else built


def _id_plan(schema, pk_leaf, conjuncts, nodes, order_field, descending, options):
    ids = [pk_leaf.value] if pk_leaf.lookup == "exact" else list(dict.fromkeys(pk_leaf.value))
    table_keys = (schema.table.partition, schema.table.sort)
    key_leaves, rest = [], []
    for leaf in conjuncts:
        if leaf is pk_leaf:
            continue
        if leaf.converter in table_keys and leaf.lookup in (*KEY_LOOKUPS, "in"):
            key_leaves.append(leaf)
        else:
            rest.append(leaf)
    _refuse_key_filters(schema, schema.table, [*rest, *nodes])
    condition = _condition(schema, [pk_leaf, *rest, *nodes]) if rest or nodes else None
    read = Read(schema, QUERY if condition is not None else GET_ITEM, schema.table,
                filter=condition, **options)  # fmt: skip
    order = (order_field, descending)
    return Plan(schema, read, ids=tuple(ids), key_leaves=tuple(key_leaves), order=order)


def _listed_keys(schema, conjuncts):
    """(the key leaves, every raw key they list) when ``in`` lists the table's full keys.

    ``filter(board="b", title__in=[...])`` names its items: a BatchGetItem of
    those keys, not a Query of the partition.
    """
    table = schema.table
    chosen = []
    for converter in (table.partition, table.sort):
        if converter is None:
            continue
        leaves = [c for c in conjuncts if c.converter is converter and c.lookup in ("exact", "in")]
        if len(leaves) != 1:
            return None
        chosen.append(leaves[0])
    if not any(leaf.lookup == "in" for leaf in chosen):
        return None
    values = [leaf.value if leaf.lookup == "in" else [leaf.value] for leaf in chosen]
    keys = []
    for combination in itertools.product(*(list(dict.fromkeys(v)) for v in values)):
        key = {leaf.converter.attribute: v for leaf, v in zip(chosen, combination, strict=True)}
        _check_key_sizes(table, key)
        keys.append(serialize(key))
    return chosen, keys


def _keys_plan(schema, listed, conjuncts, nodes, order_field, descending, options):
    chosen, keys = listed
    rest = [leaf for leaf in conjuncts if not any(leaf is c for c in chosen)]
    table_keys = (schema.table.partition, schema.table.sort)
    key_leaves = [leaf for leaf in rest if leaf.converter in table_keys]
    rest = [leaf for leaf in rest if leaf.converter not in table_keys]
    _refuse_key_filters(schema, schema.table, nodes)
    condition = _condition(schema, [*rest, *nodes])
    operation = QUERY if condition is not None else GET_ITEM
    read = Read(schema, operation, schema.table, filter=condition, **options)
    return Plan(
        schema,
        read,
        key_leaves=tuple(key_leaves),
        order=(order_field, descending),
        keys=tuple(keys),
    )
