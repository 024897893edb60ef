"""ForeignKey ``on_delete`` for relations from DynamoDB items to their targets.

Django's deletion collector cannot delete DynamoDB items, so the dynamodb app
applies each relation's ``on_delete`` itself when a target is deleted (an
SQL row, or a DynamoDB item through ``Model.delete()`` or
``QuerySet.delete()``): PROTECT and RESTRICT refuse the deletion (for an SQL
row in Django's own ``collect()``, see ``query.collector``; for an item in
``pre_delete``), before anything is deleted; CASCADE, SET_NULL, SET_DEFAULT
and SET(...) act after the target is deleted (``post_delete``, inside the
same SQL transaction, so a DynamoDB failure rolls an SQL deletion back), in
DynamoDB transactions of up to 100 items: all or nothing for up to 99 items
(with a DynamoDB target, itself the 100th), resumable chunks beyond (a
failure leaves the target in place; deleting it again finishes the work).
DO_NOTHING does nothing.

``apply_on_delete`` answers the signal with what it deleted, ``{label:
count}``, which ``Model.delete()`` and ``QuerySet.delete()`` add to their counts.
"""

from collections import Counter, defaultdict

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, pre_delete

from ..exceptions import TransactionCanceled
from ..wire.marshalling import serialize_value
from ..wire.requests import Request, Write
from . import atomic, paging, transactions
from .compiler import compile_read, key_read, scan_read
from .schema import is_dynamo_model, schema_for
from .steps import run

# Items a cascade writes in one transaction (a DynamoDB target's own delete makes 100).
CHUNK = transactions.MAX_ACTIONS - 1
# Reads and transactions of a SET_* that items deleted meanwhile cancel.
SET_ATTEMPTS = 3

_relations = defaultdict(list)


def connect():
    """Index every DynamoDB model's relations by target model and listen for deletions."""
    _relations.clear()
    for model in apps.get_models():
        if not is_dynamo_model(model):
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.remote_field.on_delete is not models.DO_NOTHING:
                _relations[field.related_model._meta.concrete_model].append((model, field))
    pre_delete.connect(refuse_protected, dispatch_uid="dynamodb.relations.refuse_protected")
    post_delete.connect(apply_on_delete, dispatch_uid="dynamodb.relations.apply_on_delete")


def has_relations(model):
    """Whether DynamoDB items refer to ``model`` through a relation with an on_delete to apply."""
    return bool(_relations.get(model._meta.concrete_model))


def relations_to(model):
    """(DynamoDB model, ForeignKey) of each relation whose on_delete applies to ``model``'s rows."""
    return list(_relations.get(model._meta.concrete_model, ()))


def _related(sender, instance):
    for model, field in _relations.get(sender._meta.concrete_model, ()):
        yield model, field, getattr(instance, field.target_field.attname)


def refuse_protected(sender, instance, **kwargs):
    """PROTECT and RESTRICT of relations to a DynamoDB item being deleted.

    For an SQL row, Django's collector has checked them already, before its
    transaction (through the related model's ``_base_manager``).
    """
    if not is_dynamo_model(sender):
        return
    for model, field, value in _related(sender, instance):
        on_delete = field.remote_field.on_delete
        if on_delete not in (models.PROTECT, models.RESTRICT) or value is None:
            continue
        if next(keys_where(schema_for(model), field.name, value, limit=1), None) is not None:
            error = models.ProtectedError if on_delete is models.PROTECT else models.RestrictedError
            raise error(
                f"Cannot delete {sender._meta.object_name} {instance.pk}: "
                f"{model._meta.label} items in DynamoDB refer to it through {field.name}.",
                set(),
            )


def apply_on_delete(sender, instance, **kwargs):
    """Apply each relation's on_delete; return {label: items deleted} (for the counts)."""
    deleted = Counter()
    for model, field, value in _related(sender, instance):
        on_delete = field.remote_field.on_delete
        if value is None or on_delete in (models.PROTECT, models.RESTRICT):
            continue
        schema = schema_for(model)
        if on_delete is models.CASCADE:
            deleted[model._meta.label] += delete_where(schema, field.name, value)
        elif on_delete is models.SET_NULL:
            set_where(schema, field.name, value, None)
        elif on_delete is models.SET_DEFAULT:
            set_where(schema, field.name, value, field.get_default())
        else:
            # models.SET(value): its deconstruction holds the value or a callable.
            new_value = on_delete.deconstruct()[1][0]
            if callable(new_value):
                new_value = new_value()
            set_where(schema, field.name, value, new_value)
    return dict(deleted)


def keys_where(schema, name, value, limit=None, with_id=False):
    """The raw keys (and ids, ``with_id``) of the items whose ``name`` equals ``value``, lazily.

    A Query when the field is the partition key of the table or of an index,
    a Scan otherwise.
    """
    key_names = list(dict.fromkeys([*schema.table.key_attributes(), schema.pk.attribute]))
    if not with_id:
        key_names = schema.table.key_attributes()
    read = _read_where(schema, name, value).replace(attributes=tuple(key_names))
    pager = paging.Pager(compile_read(read), limit=limit)
    for item in paging.raw_items(pager):
        yield {attribute: item[attribute] for attribute in key_names}


def count_where(schema, name, value):
    """How many items have ``value`` in ``name`` (Select=COUNT), or None if only a Scan can tell.

    Counted when ``name`` is the partition key of the table or of a global
    index: a Query of that partition.
    """
    if _partitioned_by(schema, name) is None:
        return None
    read = _read_where(schema, name, value, count=True)
    return run(paging.count(paging.Pager(compile_read(read))))


def _read_where(schema, name, value, count=False):
    """A Query of the partition ``name = value`` when an index has that key, else a Scan."""
    index = _partitioned_by(schema, name)
    if index is not None:
        return key_read(schema, [(name, value)], index.name, count=count)
    return scan_read(schema, [(name, value)], count=count)


def _partitioned_by(schema, name):
    """The table or global index whose partition key is field ``name``, or None."""
    converter = schema.by_name[name]
    return next(
        (i for i in [schema.table, *schema.indexes.values()] if i.partition is converter),
        None,
    )


def delete_where(schema, name, value):
    """Delete every item whose field ``name`` equals ``value``; return how many (CASCADE)."""
    keys = list(keys_where(schema, name, value))
    _write_in_transactions(
        [
            Request(
                "delete_item", {"TableName": schema.table_name, "Key": key}, _write(schema, key)
            )
            for key in keys
        ]
    )
    return len(keys)


def set_where(schema, name, value, new_value):
    """Set field ``name`` to ``new_value`` on every item where it equals ``value``.

    Applies a ForeignKey's SET_NULL, SET_DEFAULT or SET(...); returns how many.
    An item deleted since it was read cancels its transaction: the items are
    read and the writes made again (a few times at most).
    """
    converter = schema.by_name[name]
    new = converter.to_dynamo(new_value)
    params = {
        "TableName": schema.table_name,
        "ConditionExpression": "attribute_exists(#pk)",
        "ExpressionAttributeNames": {
            "#pk": schema.table.partition.attribute,
            "#f": converter.attribute,
        },
        "UpdateExpression": "REMOVE #f" if new is None else "SET #f = :v",
    }
    if new is not None:
        params["ExpressionAttributeValues"] = {":v": serialize_value(new)}
    for attempt in range(SET_ATTEMPTS):
        keys = list(keys_where(schema, name, value))
        requests = [
            Request("update_item", {**params, "Key": key}, _write(schema, key)) for key in keys
        ]
        try:
            _write_in_transactions(requests)
        except TransactionCanceled:
            if attempt == SET_ATTEMPTS - 1:
                raise
            continue
        return len(keys)
    return 0


def _write(schema, key):
    return Write(schema.label, key, waits=False)


def _write_in_transactions(requests):
    """Item writes in transactions: one for up to 99, chunks of 99 beyond (resumable).

    Inside a transaction already (an ``atomic()`` block), they are part of it.
    """
    for start in range(0, len(requests), CHUNK):
        with atomic.collecting():
            for request in requests[start : start + CHUNK]:
                run(transactions.sent(request))
