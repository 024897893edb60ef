"""An instance's way to its DynamoDB item: checked, prepared, validated, remembered.

The steps every write of an instance takes, shared by the Connector's
``insert`` and ``update`` and by ``batch.bulk_insert``, so that a bulk
insert refuses exactly what ``insert`` refuses. Nothing here sends a request.
"""

from . import constants, ids
from .conversion import check_item_size, check_key_value
from .exceptions import ValidationError
from .marshalling import deserialize_value


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


def describe_key(instance):
    """An instance's key for messages: ``user=1, date_at=...``."""
    return ", ".join(f"{name}={value}" for name, value in instance.get_key_list())


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
