"""The QuerySet's writes: create, get_or_create, update_or_create, bulk_create, update, delete.

Each keeps DynamoDB's guarantees: creates never overwrite (a conditional
put), ``update()`` changes only items that still exist and still match the
QuerySet's filter (one conditional UpdateItem each), ``delete()`` applies
``on_delete`` as ``Model.delete()`` does and returns Django's counts.
"""

from collections import Counter

from boto3.dynamodb.conditions import Attr
from django.core.exceptions import FieldError
from django.db.models import F
from django.db.models.expressions import CombinedExpression, Value
from django.db.models.signals import post_delete, pre_delete
from django.db.models.utils import resolve_callables

from ..exceptions import (
    BatchWriteFailed,
    BulkCreateConflict,
    ConditionFailed,
    ItemAlreadyExists,
    ItemNotFound,
    UnsupportedOperation,
    ValidationError,
    VersionConflict,
)
from ..storage import batch, items, relations
from ..storage import writes as storage_writes
from ..storage.expressions import expression_params
from ..storage.steps import Send, collect, collector
from ..wire.marshalling import serialize_value
from ..wire.requests import Request, Write
from . import execution
from .flows import Call

# Rounds of get_or_create / update_or_create that meet a concurrent writer before giving up.
RACE_ATTEMPTS = 3


def model_params(model, kwargs, defaults):
    """Field values of a new instance from lookups and defaults (lookups with ``__`` dropped)."""
    params = {name: value for name, value in kwargs.items() if "__" not in name}
    params.update(resolve_callables(defaults or {}))
    names = {field.name for field in model._meta.concrete_fields}
    names |= {field.attname for field in model._meta.concrete_fields} | {"pk"}
    invalid = sorted(set(params) - names)
    if invalid:
        raise FieldError(
            f"Invalid field name(s) for model {model._meta.object_name}: {', '.join(invalid)}."
        )
    return params


def get_or_create(queryset, defaults, kwargs):
    """Flow: (instance, created): a read, else a conditional insert, else (lost the race) a read."""
    model = queryset.model
    for _attempt in range(RACE_ATTEMPTS):
        try:
            return (yield Call(queryset, "get", kwargs)), False
        except model.DoesNotExist:
            pass
        params = model_params(model, kwargs, defaults)
        try:
            return (yield Call(queryset, "create", params)), True
        except ItemAlreadyExists as error:
            conflict = error
    raise conflict


def update_or_create(queryset, defaults, create_defaults, kwargs):
    """Flow: (instance, created): the matching item updated with ``defaults``, or a new one."""
    model = queryset.model
    defaults = defaults or {}
    error = None
    for _attempt in range(RACE_ATTEMPTS):
        try:
            instance = yield Call(queryset, "get", kwargs)
        except model.DoesNotExist:
            params = model_params(
                model, kwargs, defaults if create_defaults is None else create_defaults
            )
            try:
                return (yield Call(queryset, "create", params)), True
            except ItemAlreadyExists as conflict:
                error = conflict
                continue
        values = resolve_callables(defaults)
        fields = set()
        for name, value in values:
            setattr(instance, name, value)
            fields.add(name)
        fields |= _auto_fields(queryset.query.schema)
        try:
            if fields:
                yield Call(instance, "save", {"update_fields": fields})
            return instance, False
        except (VersionConflict, ItemNotFound) as conflict:
            error = conflict
    raise error


def _auto_fields(schema):
    """Non-key fields that set themselves on save (auto_now), as Django adds to update_fields."""
    return {
        c.name
        for c in schema.converters
        if getattr(c.field, "auto_now", False) and c.name not in schema.key_names
    }


def bulk_create(schema, instances, ignore_conflicts=False):
    """Steps: insert every instance with a conditional put; nothing is ever overwritten.

    Every instance is validated and the missing ids allocated (one block)
    before anything is sent. Items whose key already exists are skipped;
    then ``BulkCreateConflict`` names them and the ones written (unless
    ``ignore_conflicts``, which leaves them unsaved, ``_state.adding`` True).
    """
    instances = list(instances)
    validated, saved = yield from batch.prepare_all(schema, instances)
    written, existing = [], []
    for position, (instance, item) in enumerate(zip(instances, validated, strict=True)):
        try:
            yield from storage_writes.put_new(schema, instance, item, saved[position])
            written.append(instance)
        except ItemAlreadyExists:
            existing.append((position, instance))
    if existing and not ignore_conflicts:
        described = "; ".join(
            f"{position} ({items.describe_key(schema, instance)})"
            for position, instance in existing
        )
        raise BulkCreateConflict(
            f"{len(existing)} of {len(instances)} {schema.label} instances have the key of an "
            f"existing item and were not written (positions {described}); "
            f"the other {len(written)} were.",
            existing=[instance for _, instance in existing],
            written=written,
        )
    return instances


def update(query, values):
    """Steps: set ``values`` on every matching item, one conditional UpdateItem each; how many.

    Each UpdateItem is conditioned on the item existing and still meeting
    the QuerySet's filter, so an item deleted or changed since it was read is
    not updated (nor counted). A versioned model's version moves on.
    """
    schema = query.schema
    query.refuse_after_slice("update")
    sets, removes, names, placeholders = _assignments(schema, values)
    plan = query.keys_plan()
    if plan.is_empty:
        return 0
    if schema.version is not None:
        names["#uv"] = schema.version.attribute
        placeholders.update({":uv": {"N": "1"}, ":uvz": {"N": "0"}})
        sets.append("#uv = if_not_exists(#uv, :uvz) + :uv")
    condition = Attr(schema.table.partition.attribute).exists()
    if plan.read.filter is not None:
        condition &= plan.read.filter
    params = expression_params(ConditionExpression=condition)
    params["ExpressionAttributeNames"].update(names)
    params.setdefault("ExpressionAttributeValues", {}).update(placeholders)
    params["UpdateExpression"] = storage_writes.update_expression(sets, removes)
    params["TableName"] = schema.table_name
    found = yield from collect(execution.rows(plan))
    updated = 0
    for item in found:
        key = {name: item[name] for name in schema.table.key_attributes()}
        try:
            # In a transaction, an action of it (whose failure cancels the whole).
            yield Request("update_item", {**params, "Key": key}, Write(schema.label, key, False))
            updated += 1
        except ConditionFailed:
            continue  # deleted, or no longer matching, since it was read
    return updated


def _assignments(schema, values):
    """SET and REMOVE clauses of ``update(**values)``, with their placeholders."""
    if not values:
        raise ValidationError(None, "update() needs at least one field=value.")
    sets, removes, names, placeholders = [], [], {}, {}
    for position, (name, value) in enumerate(values.items()):
        (converter,) = storage_writes.field_converters(schema, [name])
        names[f"#u{position}"] = converter.attribute
        if isinstance(value, CombinedExpression):
            sets.append(_arithmetic(schema, converter, value, position, placeholders))
            continue
        if hasattr(value, "resolve_expression"):
            raise UnsupportedOperation(
                f"update({name}=...) on {schema.label}: DynamoDB can add to or subtract from a "
                "number (F(field) + n, F(field) - n), nothing else."
            )
        stored = converter.to_dynamo(value)
        if stored is None:
            removes.append(f"#u{position}")
        else:
            placeholders[f":u{position}"] = serialize_value(stored)
            sets.append(f"#u{position} = :u{position}")
    return sets, removes, names, placeholders


def _arithmetic(schema, converter, expression, position, placeholders):
    """``F("stars") + 1`` as ``#u0 = #u0 + :u0`` (the field itself, plus or minus a number)."""
    left, right = expression.lhs, expression.rhs
    if (
        not isinstance(left, F)
        or left.name not in (converter.name, converter.attname)
        or expression.connector not in ("+", "-")
        or converter.dynamo_type != "N"
        or hasattr(right, "resolve_expression")
        and not isinstance(right, Value)
    ):
        raise UnsupportedOperation(
            f"update({converter.name}=...) on {schema.label}: DynamoDB adds to or subtracts "
            f"from the field itself only: F({converter.name!r}) + n or F({converter.name!r}) - n."
        )
    amount = right.value if isinstance(right, Value) else right
    placeholders[f":u{position}"] = serialize_value(converter.to_dynamo(amount))
    return f"#u{position} = #u{position} {expression.connector} :u{position}"


def delete(query, origin):
    """Steps: delete the matching items in batches, apply on_delete; return Django's counts.

    As Django's deletion: pre_delete for every instance (PROTECT and
    RESTRICT refuse here, before anything is deleted), the deletion, then
    post_delete for every instance (CASCADE and SET_* act here). Without
    receivers or relations to apply, only the keys are read.
    """
    schema, model = query.schema, query.model
    if query.is_sliced:
        raise TypeError("Cannot use 'limit' or 'offset' with delete().")
    with_signals = (
        pre_delete.has_listeners(model)
        or post_delete.has_listeners(model)
        or relations.has_relations(model)
    )
    plan = query.plan if with_signals else query.keys_plan()
    found = yield from collect(execution.rows(plan))
    instances = [schema.instance(item) for item in found] if with_signals else []
    for instance in instances:
        yield Send(
            pre_delete, {"sender": model, "instance": instance, "using": None, "origin": origin}
        )
    keys = [{name: item[name] for name in schema.table.key_attributes()} for item in found]
    if collector.get() is None:
        try:
            yield from batch.delete(schema, keys)
        except BatchWriteFailed as failed:
            # The others are gone: their relations' on_delete applies all the same.
            left = {tuple(value for _name, value in key) for key in failed.failed_keys}
            yield from _deleted(
                model, [i for i in instances if _key(schema, i) not in left], origin
            )
            raise
    else:  # in a transaction: one Delete action per item (BatchWriteItem is no action)
        for key in keys:
            params = {"TableName": schema.table_name, "Key": key}
            yield Request("delete_item", params, Write(schema.label, key, False))
    counts = Counter({model._meta.label: len(keys)} if keys else {})
    counts.update((yield from _deleted(model, instances, origin)))
    return sum(counts.values()), dict(counts)


def _deleted(model, instances, origin):
    """Steps: post_delete for each deleted instance; the counts its receivers answer (cascades)."""
    counts = Counter()
    for instance in instances:
        responses = yield Send(
            post_delete, {"sender": model, "instance": instance, "using": None, "origin": origin}
        )
        for _receiver, response in responses:
            if isinstance(response, dict):
                counts.update(response)
    return counts


def _key(schema, instance):
    return tuple(value for _name, value in schema.key_list(instance))
