"""Conditions from Django-style lookups, and the request parameters they compile to.

A key tuple list names fields and lookups as Django does:
``[("user", user), ("date_at__gte", dt)]``. Values are the model's own Python
values; they are converted here with the field's converter, and the
expressions are built with ``boto3.dynamodb.conditions`` (placeholders for
every name and value, so reserved words such as ``name`` or ``user`` work).
``expression_params`` turns conditions into a request's parameters.
"""

import functools
from functools import reduce
from operator import and_

from boto3.dynamodb.conditions import Attr, ConditionExpressionBuilder, Key

from .. import constants
from ..exceptions import ValidationError
from ..wire.marshalling import serialize
from .values import check_key_value

KEY_LOOKUPS = {
    "exact": "eq",
    "lt": "lt",
    "lte": "lte",
    "gt": "gt",
    "gte": "gte",
    "range": "between",
    "startswith": "begins_with",
}
FILTER_LOOKUPS = {
    **KEY_LOOKUPS,
    "contains": "contains",
    "in": "is_in",
    "isnull": None,
}


def split_lookup(expression):
    """``"date_at__gte"`` -> ``("date_at", "gte")``; a bare name is ``exact``."""
    if not isinstance(expression, str) or not expression:
        raise ValidationError(None, f"A lookup must be a field name, got {expression!r}.")
    name, _, lookup = expression.partition("__")
    return name, lookup or "exact"


def pairs(key_tuple_list, argument):
    """Read (without modifying) a key tuple list; a dict is accepted too."""
    if isinstance(key_tuple_list, dict):
        key_tuple_list = key_tuple_list.items()
    try:
        result = [(expression, value) for expression, value in key_tuple_list]
    except (TypeError, ValueError):
        raise ValidationError(
            None, f"{argument} must be a list of (lookup, value) pairs, got {key_tuple_list!r}."
        ) from None
    return result


def resolved(schema, key_tuple_list, argument):
    """(expression, converter, lookup, value) of each pair, naming unknown fields."""
    for expression, value in pairs(key_tuple_list, argument):
        name, lookup = split_lookup(expression)
        converter = schema.by_name.get(name)
        if converter is None:
            raise ValidationError(name, f"{schema.label} has no field {name!r}.")
        yield expression, converter, lookup, value


def convert(converter, lookup, value, key_limit=None):
    """Convert a lookup's value (or values) to DynamoDB values for the field."""
    if lookup == "range":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValidationError(converter.name, "A range lookup takes a (low, high) pair.")
        return [convert(converter, "exact", item, key_limit) for item in value]
    if lookup == "in":
        if not isinstance(value, list | tuple | set | frozenset) or not value:
            raise ValidationError(converter.name, "An in lookup takes a non-empty list.")
        return [convert(converter, "exact", item, key_limit) for item in value]
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise ValidationError(converter.name, "An isnull lookup takes True or False.")
        return value
    if lookup in ("startswith", "contains"):
        if converter.dynamo_type != constants.STRING or not isinstance(value, str):
            raise ValidationError(
                converter.name, f"{lookup} needs a string field and a string value."
            )
        return value
    if value is None:
        raise ValidationError(converter.name, "None is not a value to compare with.")
    converted = converter.to_dynamo(value)
    if key_limit is not None:
        check_key_value(converter.name, converted, key_limit)
    return converted


def key_condition(schema, index, key_tuple_list):
    """The KeyConditionExpression for a query on the table or an index."""
    conditions = {}
    for _, converter, lookup, value in resolved(schema, key_tuple_list, "key_tuple_list"):
        name = converter.name
        if converter is index.partition:
            if lookup != "exact":
                raise ValidationError(
                    name, f"The partition key takes only an exact value, not {lookup!r}."
                )
        elif converter is not index.sort:
            where = f"index {index.name!r}" if index.name else "the table"
            raise ValidationError(
                name,
                f"{name!r} is not a key of {where}; filter on it with filter=[...] instead.",
            )
        elif lookup not in KEY_LOOKUPS:
            raise ValidationError(
                name, f"Unknown sort-key lookup {lookup!r}; use one of {sorted(KEY_LOOKUPS)}."
            )
        if converter.attribute in conditions:
            raise ValidationError(name, "Only one condition per key attribute.")
        conditions[converter.attribute] = lookup_condition(
            Key(converter.attribute),
            lookup,
            convert(converter, lookup, value, key_limit=key_size_limit(index, converter)),
        )
    if index.partition.attribute not in conditions:
        raise ValidationError(
            index.partition.name,
            f"A query needs the partition key {index.partition.name!r} (exact value).",
        )
    return reduce(and_, conditions.values())


def filter_condition(schema, filters):
    """A FilterExpression on any fields, or None when there is no filter."""
    if not filters:
        return None
    conditions = []
    for _, converter, lookup, value in resolved(schema, filters, "filter"):
        name = converter.name
        if lookup not in FILTER_LOOKUPS:
            raise ValidationError(
                name, f"Unknown lookup {lookup!r}; use one of {sorted(FILTER_LOOKUPS)}."
            )
        converted = convert(converter, lookup, value)
        conditions.append(lookup_condition(Attr(converter.attribute), lookup, converted))
    return reduce(and_, conditions)


def exact_key(schema, key_tuple_list):
    """The raw-value key {attribute: value} of one item, from exact lookups on the table keys."""
    values = {}
    for expression, converter, lookup, value in resolved(schema, key_tuple_list, "key_tuple_list"):
        name = converter.name
        if converter not in (schema.table.partition, schema.table.sort) or lookup != "exact":
            raise ValidationError(
                name, f"An item is addressed by exact values of its keys; {expression!r} is not."
            )
        if converter.attribute in values:
            raise ValidationError(name, "The key is given twice.")
        values[converter.attribute] = key_value(schema, converter, value)
    for converter in (schema.table.partition, schema.table.sort):
        if converter is not None and converter.attribute not in values:
            raise ValidationError(converter.name, f"The key needs {converter.name!r}.")
    return values


def key_value(schema, converter, value):
    """A key attribute's DynamoDB value, checked for emptiness and size."""
    if value is None:
        raise ValidationError(converter.name, "A key attribute needs a value.")
    converted = converter.to_dynamo(value)
    check_key_value(converter.name, converted, key_size_limit(schema.table, converter))
    return converted


def key_size_limit(index, converter):
    """The size limit of a key attribute: 2048 bytes (partition key) or 1024 (sort key)."""
    if converter is index.partition:
        return constants.MAX_PARTITION_KEY_BYTES
    return constants.MAX_SORT_KEY_BYTES


def lookup_condition(attribute, lookup, value):
    """The boto3 condition of one lookup on ``attribute`` (a ``Key`` or an ``Attr``)."""
    if lookup == "isnull":
        return attribute.not_exists() if value else attribute.exists()
    method = FILTER_LOOKUPS[lookup]
    if method == "between":
        return attribute.between(*value)
    return getattr(attribute, method)(value)


def expression_params(**conditions):
    """Request parameters for boto3 conditions, e.g. ``ConditionExpression=Attr("a").exists()``.

    The expressions of one request share a builder, so their placeholders differ.
    ``ProjectionExpression`` takes a list of attribute names.
    """
    builder = None
    params, names, values = {}, {}, {}
    for parameter, condition in conditions.items():
        if condition is None:
            continue
        if parameter == "ProjectionExpression":
            placeholders = [f"#p{n}" for n in range(len(condition))]
            names.update(zip(placeholders, condition, strict=True))
            params[parameter] = ", ".join(placeholders)
            continue
        builder = builder or ConditionExpressionBuilder()
        built = builder.build_expression(condition, parameter == "KeyConditionExpression")
        params[parameter] = built.condition_expression
        names.update(built.attribute_name_placeholders)
        values.update(built.attribute_value_placeholders)
    if names:
        params["ExpressionAttributeNames"] = names
    if values:
        params["ExpressionAttributeValues"] = serialize(values)
    return params


@functools.cache
def existence_condition(partition_attribute, version_attribute=None, version_test=None):
    """(expression, names, value placeholder) of "the item exists" [and its version is ...].

    ``version_test`` is None (any version), ``"absent"`` or ``"equal"`` (the
    value is the placeholder's, given per call). The expressions of a model
    never change: boto3's builder runs once for each, not on every write.
    """
    condition = Attr(partition_attribute).exists()
    if version_test == "absent":
        condition &= Attr(version_attribute).not_exists()
    elif version_test == "equal":
        condition &= Attr(version_attribute).eq(0)
    built = ConditionExpressionBuilder().build_expression(condition)
    placeholder = next(iter(built.attribute_value_placeholders), None)
    return built.condition_expression, built.attribute_name_placeholders, placeholder
