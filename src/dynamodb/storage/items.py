"""An instance's way to its DynamoDB item: checked, prepared, validated, remembered.

The steps every write of an instance takes, shared by the Connector's
``writes`` and by ``batch.bulk_insert``, so that a bulk
insert refuses exactly what ``insert`` refuses. Nothing here sends a request.
"""

from .. import constants
from ..exceptions import ValidationError
from ..wire.marshalling import deserialize_value
from . import ids
from .values import check_item_size, check_key_value


def check_instance(schema, instance):
    """Raise unless ``instance`` is an instance of the schema's model."""
    if not isinstance(instance, schema.model):
        raise ValidationError(
            None, f"Expected a {schema.label} instance, got {type(instance).__name__}."
        )


def pre_save(schema, instance, add):
    """Let each field set its value as Django's save() would (auto_now, auto_now_add...)."""
    for converter in schema.converters:
        if converter is not schema.pk:
            setattr(instance, converter.attname, converter.field.pre_save(instance, add))


def prepare_new(schema, instance):
    """A new instance checked, prepared and validated: (its item, whether it needs an id, saved).

    A missing auto id is validated as the largest id, so that no id is
    reserved for an invalid item, and a missing version starts at 1.
    ``saved`` holds the id and version the instance had, for ``restore``; on
    an error here the instance has them back already.
    """
    check_instance(schema, instance)
    saved = {c.attname: getattr(instance, c.attname) for c in (schema.pk, schema.version) if c}
    needs_id = (
        saved[schema.pk.attname] is None
        and schema.pk.field.get_internal_type() in constants.AUTO_FIELDS
    )
    try:
        if needs_id:
            setattr(instance, schema.pk.attname, ids.MAX_ID)
        if schema.version is not None and saved[schema.version.attname] is None:
            setattr(instance, schema.version.attname, 1)
        pre_save(schema, instance, add=True)
        return validated_item(schema, instance), needs_id, saved
    except Exception:
        restore(instance, saved)
        raise


def restore(instance, saved):
    """Give an instance back the values ``prepare_new`` (or an update) saved."""
    for attname, value in saved.items():
        setattr(instance, attname, value)


def validated_item(schema, instance):
    """The item of an instance, as values: keys present, non-empty, small enough."""
    for converter in (schema.pk, schema.table.partition, schema.table.sort):
        if converter is not None and getattr(instance, converter.attname) is None:
            raise ValidationError(converter.name, "This field cannot be null: it is a key.")
    for converter in schema.converters:
        if not converter.field.null and getattr(instance, converter.attname) is None:
            raise ValidationError(converter.name, "This field cannot be null.")
    item = instance.__to_dynamo__()
    for converter, limit in (
        (schema.table.partition, constants.MAX_PARTITION_KEY_BYTES),
        (schema.table.sort, constants.MAX_SORT_KEY_BYTES),
    ):
        if converter is not None:
            check_key_value(converter.name, item.get(converter.attribute), limit)
    for attribute in schema.index_key_attributes:
        if attribute in item:
            check_key_value(
                schema.by_attribute[attribute].name, item[attribute], constants.MAX_SORT_KEY_BYTES
            )
    check_item_size(item)
    return item


def describe_key(schema, instance):
    """An instance's key for messages: ``user=1, date_at=...``."""
    return ", ".join(f"{name}={value}" for name, value in schema.key_list(instance))


def remember_ids(schema, raw_items):
    """Cache the id -> key of items just written (raw, as sent) for ``get_by_id``."""
    if schema.id_index is None or not raw_items:
        return
    key_attributes = schema.table.key_attributes()
    ids.key_cache.put_many(
        schema.table_name,
        [
            (deserialize_value(raw[schema.pk.attribute]), {n: raw[n] for n in key_attributes})
            for raw in raw_items
        ],
    )


def key_list_of(schema, raw):
    """The key tuple list (model values) of a raw item or key."""
    return [
        (converter.name, converter.from_dynamo(deserialize_value(raw[converter.attribute])))
        for converter in (schema.table.partition, schema.table.sort)
        if converter is not None
    ]
