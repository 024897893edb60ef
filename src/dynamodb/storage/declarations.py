"""The judge of a model's DynamoDB declaration: every problem as (check id, message, hint).

The system checks (``DynamoCompatibleModel.check()``) report what
``declaration_errors`` finds, and ``schema.schema_for`` refuses to build a
schema from a model it rejects. Reads only class attributes and ``_meta``.
"""

import re

from django.db import models

from .. import constants
from .billing import OnDemand, Provisioned
from .fields import FieldConverter, dynamo_type
from .indexes import GlobalIndex, LocalIndex

PROJECTIONS = ("ALL", "KEYS_ONLY")
KEY_ON_DELETE = (models.CASCADE, models.PROTECT, models.RESTRICT, models.DO_NOTHING)


def _concrete_field(model, name):
    if not isinstance(name, str):
        return None
    for field in model._meta.concrete_fields:
        if field.name == name or field.attname == name:
            return field
    return None


def _key_field_errors(model, attribute, name, check_id):
    field = _concrete_field(model, name)
    if field is None:
        return field, [
            (
                check_id,
                f"{attribute} {name!r} is not a concrete field of {model._meta.label}.",
                f"Set {attribute} to the name of one of its fields.",
            )
        ]
    errors = []
    if field.null:
        errors.append(
            (
                "dynamodb.E004",
                f"Key field {name!r} of {model._meta.label} is nullable; DynamoDB keys always "
                "have a value.",
                "Remove null=True from the field.",
            )
        )
    if dynamo_type(field) not in constants.KEY_TYPES:
        errors.append(
            (
                "dynamodb.E005",
                f"Key field {name!r} of {model._meta.label} is a {type(field).__name__}; "
                "DynamoDB keys must be strings, numbers or binary.",
                "Key on a CharField, UUIDField, integer, DecimalField, DateTimeField, "
                "DateField or BinaryField.",
            )
        )
    if field.is_relation and field.remote_field.on_delete not in KEY_ON_DELETE:
        errors.append(
            (
                "dynamodb.E012",
                f"Key field {name!r} of {model._meta.label} has on_delete="
                f"{field.remote_field.on_delete.__name__}, which would change a key.",
                "Key attributes never change: use CASCADE, PROTECT, RESTRICT or DO_NOTHING.",
            )
        )
    return field, errors


def _index_errors(model, index, seen_names):
    label = model._meta.label
    errors = []
    if not isinstance(index, GlobalIndex | LocalIndex):
        return [
            (
                "dynamodb.E006",
                f"secondary_indexes of {label} holds {index!r}.",
                "Declare each index as dynamodb.models.GlobalIndex(...) or LocalIndex(...).",
            )
        ]
    if not re.match(constants.INDEX_NAME_PATTERN, index.name or "") or index.name in seen_names:
        errors.append(
            (
                "dynamodb.E006",
                f"Index name {index.name!r} of {label} is invalid or used twice.",
                "Use a unique name of 3 to 255 letters, digits, '_', '-' or '.'.",
            )
        )
    seen_names.add(index.name)
    keys = [index.sort_key]
    if isinstance(index, GlobalIndex):
        keys = [index.partition_key] + ([index.sort_key] if index.sort_key else [])
    for key in keys:
        field = _concrete_field(model, key)
        if field is None or dynamo_type(field) not in constants.KEY_TYPES:
            errors.append(
                (
                    "dynamodb.E006",
                    f"Index {index.name!r} of {label} keys on {key!r}, which is not a field of "
                    "string, number or binary type.",
                    "Key indexes on concrete fields stored as S, N or B.",
                )
            )
    projection = index.projection
    if isinstance(projection, str):
        if projection not in PROJECTIONS:
            errors.append(
                (
                    "dynamodb.E006",
                    f"Index {index.name!r} of {label} has projection {projection!r}.",
                    "Use 'ALL', 'KEYS_ONLY' or a list of field names.",
                )
            )
    elif not all(_concrete_field(model, name) for name in projection):
        errors.append(
            (
                "dynamodb.E006",
                f"Index {index.name!r} of {label} projects an unknown field.",
                "List only field names of the model in projection.",
            )
        )
    return errors


def _billing_errors(model):
    billing = getattr(model, "billing", None)
    if billing is None or isinstance(billing, OnDemand):
        return []
    if isinstance(billing, Provisioned) and all(
        isinstance(units, int) and not isinstance(units, bool) and units > 0
        for units in (billing.read, billing.write)
    ):
        return []
    return [
        (
            "dynamodb.E014",
            f"{model._meta.label}.billing is {billing!r}.",
            "Set billing to dynamodb.models.OnDemand() (the default) or "
            "Provisioned(read=..., write=...) with positive capacity units.",
        )
    ]


def declaration_errors(model):
    """Every problem of a model's DynamoDB declaration, as (check id, message, hint)."""
    label = model._meta.label
    errors = []
    table_name = getattr(model, "table_name", None)
    if not isinstance(table_name, str) or not re.match(constants.TABLE_NAME_PATTERN, table_name):
        errors.append(
            (
                "dynamodb.E001",
                f"{label}.table_name is {table_name!r}.",
                "Set table_name to 3-255 letters, digits, '_', '-' or '.'.",
            )
        )
    if model._meta.managed:
        errors.append(
            (
                "dynamodb.E010",
                f"{label} has Meta.managed = True: migrate would create an SQL table for it.",
                "Subclass DynamoCompatibleModel.Meta (class Meta(DynamoCompatibleModel.Meta))"
                " or set managed = False.",
            )
        )
    for field in model._meta.many_to_many:
        errors.append(
            (
                "dynamodb.E009",
                f"{label}.{field.name} is a ManyToManyField, which DynamoDB cannot hold.",
                "Store the related ids in a JSONField instead.",
            )
        )
    for field in model._meta.concrete_fields:
        if getattr(field, "generated", False) or dynamo_type(field) is None:
            errors.append(
                (
                    "dynamodb.E009",
                    f"{label}.{field.name} ({type(field).__name__}) has no DynamoDB type.",
                    "Use a built-in field type, or give the custom field a "
                    "get_internal_type() returning a built-in one.",
                )
            )
    if any(check_id == "dynamodb.E009" for check_id, _, _ in errors):
        return errors

    partition_key = getattr(model, "partition_key", None)
    sort_key = getattr(model, "sort_key", None)
    if partition_key is None:
        errors.append(
            (
                "dynamodb.E002",
                f"{label} declares no partition_key.",
                "Set partition_key to the name of the field DynamoDB partitions on.",
            )
        )
        return errors
    partition_field, key_errors = _key_field_errors(
        model, "partition_key", partition_key, "dynamodb.E002"
    )
    errors += key_errors
    if sort_key is not None:
        sort_field, key_errors = _key_field_errors(model, "sort_key", sort_key, "dynamodb.E003")
        errors += key_errors
        if sort_field is not None and sort_field is partition_field:
            errors.append(
                (
                    "dynamodb.E003",
                    f"{label}.sort_key is the partition key.",
                    "Choose another field, or no sort_key.",
                )
            )
    pk_type = dynamo_type(model._meta.pk)
    if pk_type not in constants.KEY_TYPES:
        errors.append(
            (
                "dynamodb.E011",
                f"The primary key of {label} is stored as {pk_type}; the id index needs "
                "a string, number or binary key.",
                "Use an AutoField, BigAutoField, UUIDField or CharField primary key.",
            )
        )
    indexes = getattr(model, "secondary_indexes", ()) or ()
    seen = set()
    for index in indexes:
        errors += _index_errors(model, index, seen)
    local = sum(isinstance(index, LocalIndex) for index in indexes)
    if local > constants.MAX_LOCAL_INDEXES or len(indexes) - local >= constants.MAX_GLOBAL_INDEXES:
        errors.append(
            (
                "dynamodb.E006",
                f"{label} declares more secondary indexes than DynamoDB allows.",
                f"At most {constants.MAX_LOCAL_INDEXES} local and "
                f"{constants.MAX_GLOBAL_INDEXES - 1} global indexes (one serves ids).",
            )
        )
    ttl_field = getattr(model, "ttl_field", None)
    if ttl_field is not None:
        field = _concrete_field(model, ttl_field)
        if field is None or dynamo_type(field) != constants.NUMBER or field.is_relation:
            errors.append(
                (
                    "dynamodb.E007",
                    f"{label}.ttl_field {ttl_field!r} is not a DateTimeField or integer field.",
                    "Name a DateTimeField (or an integer field of epoch seconds).",
                )
            )
    version_field = getattr(model, "version_field", None)
    if version_field is not None:
        field = _concrete_field(model, version_field)
        if (
            field is None
            or field.get_internal_type()
            not in (
                "IntegerField",
                "BigIntegerField",
                "PositiveIntegerField",
                "PositiveBigIntegerField",
            )
            or version_field in (partition_key, sort_key)
        ):
            errors.append(
                (
                    "dynamodb.E008",
                    f"{label}.version_field {version_field!r} is not a non-key integer field.",
                    "Name an IntegerField (or BigIntegerField) that is not a key.",
                )
            )
    errors += _billing_errors(model)
    attributes = [FieldConverter(f).attribute for f in model._meta.concrete_fields]
    duplicates = {name for name in attributes if attributes.count(name) > 1}
    if duplicates:
        errors.append(
            (
                "dynamodb.E013",
                f"{label} stores several fields under the attribute(s) {sorted(duplicates)}.",
                "Give each field its own db_column.",
            )
        )
    return errors
