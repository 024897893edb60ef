"""Writes of one item, each saying what it means, as steps (see ``steps``).

- ``insert``: a put conditioned on ``attribute_not_exists``; never overwrites
  (``ItemAlreadyExists``).
- ``replace``: a put of the whole instance conditioned on the item's existence
  and, for a versioned model, on the version it was read at; never recreates
  a deleted item (``ItemNotFound``, ``VersionConflict``).
- ``update_fields``: an UpdateItem that SETs or REMOVEs the given fields only,
  under the same conditions.
- ``delete``: a delete conditioned on existence (and version).

A failed write leaves the instance as it was (id, version, ``_state``).
"""

from inspect import isgenerator

from boto3.dynamodb.conditions import Attr

from .. import constants
from ..exceptions import (
    ConditionFailed,
    ItemAlreadyExists,
    ItemNotFound,
    ValidationError,
    VersionConflict,
)
from ..wire.marshalling import deserialize, serialize, serialize_value
from ..wire.requests import Request, Write
from . import ids, items
from .expressions import exact_key, existence_condition, expression_params
from .values import check_item_size, check_key_value, estimated_size


def insert(schema, instance, before_write=None):
    """Steps: put a new item; raise ItemAlreadyExists rather than overwrite one.

    Allocates the id when missing and starts the version at 1.
    ``before_write(instance)``, if given, is called once the instance is
    valid and has its id, right before the item is sent (it may return steps
    of its own; an error it raises cancels the insert).
    """
    item, saved = yield from _prepared(schema, instance)
    try:
        if before_write is not None:
            planned = before_write(instance)
            if isgenerator(planned):
                yield from planned
    except BaseException:
        items.restore(instance, saved)
        raise
    return (yield from put_new(schema, instance, item, saved))


def ready_to_insert(schema, instance):
    """Steps: give a new instance now the id and first version its insert would give it.

    For a caller that must know them before the insert is sent (a response
    written in the same transaction). Returns what ``items.restore`` needs to
    give the instance back its own values if the insert fails.
    """
    _item, saved = yield from _prepared(schema, instance)
    return saved


def _prepared(schema, instance):
    """Steps: (the new instance's item, its saved values), its id allocated when missing."""
    item, needs_id, saved = items.prepare_new(schema, instance)
    try:
        if needs_id:
            (new_id,) = yield from ids.allocate(schema.table_name)
            setattr(instance, schema.pk.attname, new_id)
            item[schema.pk.attribute] = schema.pk.to_dynamo(new_id)
    except BaseException:
        items.restore(instance, saved)
        raise
    return item, saved


def put_new(schema, instance, item, saved):
    """Steps: the conditional put of a prepared new instance's item (see ``insert``).

    When the engine's answer to the put is lost (a read timeout), botocore
    sends it again, and the condition fails on the item the first attempt
    stored: after such a retry, a stored item exactly equal to the one sent
    is this insert's own, so the insert succeeded. On failure the instance
    gets ``saved`` (its id and version before) back.
    """
    sent = serialize(item)
    try:
        try:
            yield Request(
                "put_item",
                {
                    "TableName": schema.table_name,
                    "Item": sent,
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": schema.table.partition.attribute},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                },
                Write(schema.label, _raw_key(schema, sent)),
            )
        except ConditionFailed as error:
            if not (yield from _is_own_write(schema, error, sent, item)):
                raise
    except ConditionFailed as error:
        items.restore(instance, saved)
        raise ItemAlreadyExists(
            f"{schema.label} with key {items.describe_key(schema, instance)} already exists; "
            "nothing was overwritten."
        ) from error
    except BaseException:
        items.restore(instance, saved)
        raise
    items.remember_ids(schema, [sent])
    instance._state.adding = False
    return instance


def _is_own_write(schema, error, sent, item):
    """Steps: whether a put's failed condition met the item an earlier attempt of it stored."""
    if error.retry_attempts == 0:
        return False
    key = {name: item[name] for name in schema.table.key_attributes()}
    stored = yield from _stored_item(schema, error, key)
    return stored is not None and deserialize(stored) == deserialize(sent)


def replace(schema, instance):
    """Steps: replace the stored item with the whole instance (a conditional put)."""
    items.check_instance(schema, instance)
    expected = _expected_version(schema, instance)
    saved = {schema.version.attname: expected} if schema.version else {}
    version_test = None
    if schema.version is not None:
        # No version read: only an item that has none yet (stored before the
        # model had a version field) may be replaced.
        version_test = "absent" if expected is None else "equal"
        setattr(instance, schema.version.attname, (expected or 0) + 1)
    try:
        items.pre_save(schema, instance, add=False)
        sent = serialize(items.validated_item(schema, instance))
        yield Request(
            "put_item",
            {
                "TableName": schema.table_name,
                "Item": sent,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **_existence_params(schema, version_test, expected),
            },
            Write(schema.label, _raw_key(schema, sent)),
        )
    except ConditionFailed as error:
        items.restore(instance, saved)
        raise (yield from _condition_error(schema, instance, error, expected)) from error
    except BaseException:
        items.restore(instance, saved)
        raise
    instance._state.adding = False
    return instance


def update_fields(schema, instance, fields):
    """Steps: write only ``fields`` of the instance (UpdateItem SET/REMOVE), then reload it."""
    items.check_instance(schema, instance)
    converters = field_converters(schema, fields)
    expected = _expected_version(schema, instance)
    for converter in converters:
        setattr(instance, converter.attname, converter.field.pre_save(instance, add=False))
    sets, removes, names, values = [], [], {}, {}
    for position, converter in enumerate(converters):
        names[f"#u{position}"] = converter.attribute
        value = converter.to_dynamo(getattr(instance, converter.attname))
        if value is None:
            removes.append(f"#u{position}")
            continue
        if converter.attribute in schema.index_key_attributes:
            check_key_value(converter.name, value, constants.MAX_SORT_KEY_BYTES)
        if estimated_size(value) > constants.MAX_ITEM_BYTES:
            check_item_size({converter.attribute: value})
        values[f":u{position}"] = serialize_value(value)
        sets.append(f"#u{position} = :u{position}")
    version_test = None
    if schema.version is not None:
        names["#uv"] = schema.version.attribute
        values[":uv"] = {"N": "1"}
        if expected is not None:
            version_test = "equal"
            sets.append("#uv = :uv")
            values[":uv"] = {"N": str(expected + 1)}
        else:
            sets.append("#uv = if_not_exists(#uv, :uvz) + :uv")
            values[":uvz"] = {"N": "0"}
    params = _existence_params(schema, version_test, expected)
    params["ExpressionAttributeNames"].update(names)
    if values:
        params.setdefault("ExpressionAttributeValues", {}).update(values)
    key = serialize(key_of(schema, instance))
    try:
        response = yield Request(
            "update_item",
            {
                "TableName": schema.table_name,
                "Key": key,
                "UpdateExpression": update_expression(sets, removes),
                "ReturnValues": "ALL_NEW",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **params,
            },
            Write(schema.label, key),
        )
    except ConditionFailed as error:
        raise (yield from _condition_error(schema, instance, error, expected)) from error
    if "Attributes" in response:
        stored = schema.instance(response["Attributes"])
        for converter in schema.converters:
            setattr(instance, converter.attname, getattr(stored, converter.attname))
    elif schema.version is not None and expected is not None:
        # In a transaction, which returns no attributes: the version this write set.
        setattr(instance, schema.version.attname, expected + 1)
    instance._state.adding = False
    return instance


def update_expression(sets, removes):
    """``SET a = :a, ... REMOVE b, ...`` from the parts that are there."""
    parts = []
    if sets:
        parts.append("SET " + ", ".join(sets))
    if removes:
        parts.append("REMOVE " + ", ".join(removes))
    return " ".join(parts)


def field_converters(schema, fields):
    """The converters of the non-key fields an update may write, each once."""
    if isinstance(fields, str) or not fields:
        raise ValidationError(None, "fields must be a non-empty list of field names.")
    converters = []
    for name in fields:
        converter = schema.by_name.get(name)
        if converter is None:
            raise ValidationError(name, f"{schema.label} has no field {name!r}.")
        if converter.name in schema.key_names or converter is schema.pk:
            raise ValidationError(
                name, "Key fields are immutable: delete the item and insert a new one."
            )
        if converter is schema.version:
            raise ValidationError(name, "The version field is maintained by the connector.")
        if converter not in converters:
            converters.append(converter)
    return converters


def delete(schema, target, expected_version=None, condition=None):
    """Steps: delete one item, given as an instance or a key tuple list.

    ItemNotFound when it is not there; with ``expected_version`` (or an
    instance of a versioned model) VersionConflict unless the stored version
    matches. ``condition`` (a boto3 condition) must hold too, or
    ConditionFailed. Returns the deleted item's raw attributes.
    """
    if isinstance(target, schema.model):
        key = key_of(schema, target)
        if schema.version is not None and expected_version is None:
            expected_version = getattr(target, schema.version.attname)
    else:
        key = exact_key(schema, target)
    if expected_version is not None and schema.version is None:
        raise ValidationError(None, f"{schema.label} has no version_field.")
    version_test = None if expected_version is None else "equal"
    if condition is None:
        conditions = _existence_params(schema, version_test, expected_version)
    else:
        condition &= Attr(schema.table.partition.attribute).exists()
        conditions = expression_params(ConditionExpression=condition)
    raw_key = serialize(key)
    try:
        response = yield Request(
            "delete_item",
            {
                "TableName": schema.table_name,
                "Key": raw_key,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                "ReturnValues": "ALL_OLD",
                **conditions,
            },
            Write(schema.label, raw_key),
        )
    except ConditionFailed as error:
        if condition is not None and (yield from _stored_item(schema, error, key)) is not None:
            raise
        raise (yield from _condition_error(schema, None, error, expected_version, key)) from error
    old = response.get("Attributes", {})
    if schema.pk.attribute in old:
        ids.key_cache.discard(schema.table_name, deserialize(old)[schema.pk.attribute])
    elif isinstance(target, schema.model) and target.pk is not None:
        # In a transaction, which returns no attributes: the instance's own id.
        ids.key_cache.discard(schema.table_name, schema.pk.to_dynamo(target.pk))
    return old


def _raw_key(schema, item):
    """The key attributes of a raw item."""
    return {name: item[name] for name in schema.table.key_attributes()}


def key_of(schema, instance):
    """An instance's key as {attribute: DynamoDB value}, checked."""
    return exact_key(schema, schema.key_list(instance))


def _existence_params(schema, version_test, expected_version):
    """ConditionExpression and its placeholders: the item exists [and its version is ...]."""
    expression, names, placeholder = existence_condition(
        schema.table.partition.attribute,
        None if schema.version is None else schema.version.attribute,
        version_test,
    )
    params = {"ConditionExpression": expression, "ExpressionAttributeNames": dict(names)}
    if placeholder is not None:
        params["ExpressionAttributeValues"] = {placeholder: serialize_value(expected_version)}
    return params


def _expected_version(schema, instance):
    return None if schema.version is None else getattr(instance, schema.version.attname)


def _stored_item(schema, error, key):
    """Steps: the raw item a failed condition met, from the engine's answer or a consistent read.

    AWS returns it with ReturnValuesOnConditionCheckFailure; some engines (dynalite) do not.
    """
    if error.item is not None:
        return error.item
    response = yield Request(
        "get_item",
        {"TableName": schema.table_name, "Key": serialize(key), "ConsistentRead": True},
    )
    return response.get("Item")


def _condition_error(schema, instance, error, expected_version, key=None):
    """Steps: ItemNotFound or VersionConflict, from the item the engine returned (or a read)."""
    key = key if key is not None else key_of(schema, instance)
    old = yield from _stored_item(schema, error, key)
    described = items.describe_key(schema, instance) if instance is not None else repr(key)
    if old is None:
        return ItemNotFound(f"{schema.label} with key {described} does not exist.")
    current = None
    if schema.version is not None:
        current = schema.instance(old).__dict__.get(schema.version.attname)
    return VersionConflict(
        f"{schema.label} with key {described} is at version {current}, not {expected_version}.",
        current_version=current,
    )
