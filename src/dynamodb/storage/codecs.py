"""The codec registry: one row per Django field type, the only table keyed by field type.

A row says how a field type is stored: its DynamoDB type (``S``, ``N``,
``B``, ``BOOL``, or native ``JSON``), how a value is encoded into what boto3's
``TypeSerializer`` sends (``str``, ``Decimal``, ``bytes``, ``bool``, ``dict``,
``list``) and decoded back, and the OpenAPI schema of a value in a query
parameter. The registry is keyed by ``Field.get_internal_type()``, so
subclasses of built-in fields (EmailField, SlugField, ImageField, ...) map like
their base. ``fields.FieldConverter`` applies a row to one field.

Every conversion is lossless: datetimes are UTC epoch seconds as an exact
Decimal with microseconds (type ``N``, sortable and usable as a TTL), floats
their shortest repr, Decimals exact, durations microseconds, dates and times
ISO 8601 text (which sorts chronologically), JSON native maps and lists.
Numbers inside a JSONField come back by one rule, which depends only on the
numeric value (so it holds on AWS, which normalises ``1.10`` to ``1.1``):
an integral value is an ``int``; a value that a float represents exactly
(``Decimal(repr(float(v))) == v``) is a ``float``; any other is a ``Decimal``.
"""

import datetime
import decimal
import uuid
from typing import NamedTuple

from boto3.dynamodb.types import Binary
from django.conf import settings
from django.core import exceptions as django_exceptions
from django.core.validators import DecimalValidator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from django.utils.duration import duration_microseconds

from ..constants import BINARY, BOOLEAN, NATIVE, NUMBER, STRING
from ..exceptions import DynamoError, ValidationError
from .values import check_number, check_string, float_to_decimal

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges
# Fields whose max_length a SQL database enforces (TextField's only concerns forms).
LENGTH_LIMITED_TYPES = frozenset(
    {"CharField", "SlugField", "EmailField", "URLField", "FilePathField", "FileField"}
)


def integral(name, value):
    if value != value.to_integral_value():
        raise DynamoError(f"{name}: stored value {value} is not an integer.")
    return int(value)


# Encoders take (field, value already passed through field.to_python, name);
# decoders take (field, value as boto3's TypeDeserializer returns it).


def encode_integer(field, value, name):
    low, high = INTEGER_RANGES.get(field.get_internal_type(), (None, None))
    if low is None:
        return check_number(name, decimal.Decimal(value))
    if not low <= value <= high:
        raise ValidationError(name, f"Ensure this value is between {low} and {high}.")
    return decimal.Decimal(value)  # within 64 bits: at most 19 digits, as DynamoDB allows


def decode_integer(field, value):
    return integral(field.name, value)


def encode_float(field, value, name):
    return float_to_decimal(name, value)


def decode_float(field, value):
    return float(value)


def encode_decimal(field, value, name):
    stored = check_number(name, value)
    try:
        DecimalValidator(field.max_digits, field.decimal_places)(value)
    except django_exceptions.ValidationError as error:
        raise ValidationError(name, " ".join(error.messages)) from error
    return stored


def decode_decimal(field, value):
    # DynamoDB normalises 1.10 to 1.1: restore the field's scale as SQL would.
    if field.decimal_places is not None:
        # With the field's precision, as Django's SQL backends do (the default context has 28).
        return value.quantize(
            decimal.Decimal(1).scaleb(-field.decimal_places), context=field.context
        )
    return value


def encode_datetime(field, value, name):
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    delta = value - EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return decimal.Decimal(micros).scaleb(-6)


def decode_datetime(field, value):
    moment = EPOCH + datetime.timedelta(microseconds=int(value.scaleb(6)))
    if settings.USE_TZ:
        return moment
    return timezone.make_naive(moment, timezone.get_default_timezone())


def encode_duration(field, value, name):
    return decimal.Decimal(duration_microseconds(value))


def decode_duration(field, value):
    return datetime.timedelta(microseconds=integral(field.name, value))


def encode_date(field, value, name):
    return value.isoformat()


def decode_date(field, value):
    return datetime.date.fromisoformat(value)


def encode_time(field, value, name):
    return value.isoformat(timespec="microseconds")


def decode_time(field, value):
    return datetime.time.fromisoformat(value)


def encode_string(field, value, name):
    check_string(name, value)
    limited = field.get_internal_type() in LENGTH_LIMITED_TYPES and field.max_length is not None
    if limited and len(value) > field.max_length:
        raise ValidationError(
            name,
            f"Ensure this value has at most {field.max_length} characters (it has {len(value)}).",
        )
    return value


def decode_string(field, value):
    return value


def encode_file(field, value, name):
    # A FieldFile without a file (name None) is None, not "": its attribute is omitted.
    if getattr(value, "name", value) is None:
        return None
    return encode_string(field, field.get_prep_value(value), name)


def encode_uuid(field, value, name):
    return str(value)


def decode_uuid(field, value):
    return uuid.UUID(value)


def encode_binary(field, value, name):
    return bytes(value)


def decode_binary(field, value):
    return bytes(value.value) if isinstance(value, Binary) else bytes(value)


def encode_boolean(field, value, name):
    return bool(value)


def decode_boolean(field, value):
    if not isinstance(value, bool):
        raise DynamoError(f"{field.name}: stored value {value!r} is not a boolean.")
    return value


def encode_json(field, value, name):
    encoder = field.encoder() if field.encoder else None
    return _encode_json_value(value, name, encoder)


def _encode_json_value(value, name, encoder):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return check_string(name, value)
    if isinstance(value, int):
        return check_number(name, decimal.Decimal(value))
    if isinstance(value, float):
        return float_to_decimal(name, value)
    if isinstance(value, decimal.Decimal):
        return check_number(name, value)
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(
                    name, f"JSON object keys must be strings, got {type(key).__name__}."
                )
            encoded[check_string(name, key)] = _encode_json_value(item, name, encoder)
        return encoded
    if isinstance(value, list | tuple):
        return [_encode_json_value(item, name, encoder) for item in value]
    if encoder is not None:
        try:
            converted = encoder.default(value)
        except TypeError as error:
            raise ValidationError(name, str(error)) from error
        return _encode_json_value(converted, name, encoder)
    raise ValidationError(name, f"A value of type {type(value).__name__} is not JSON.")


def decode_json(field, value):
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if decimal.Decimal(repr(as_float)) == value else value
    if isinstance(value, dict):
        return {key: decode_json(field, item) for key, item in value.items()}
    if isinstance(value, list | set | frozenset):
        return [decode_json(field, item) for item in value]
    if isinstance(value, Binary):
        return bytes(value.value)
    return value


class Codec(NamedTuple):
    """How one field type is stored: DynamoDB type, encoder, decoder, OpenAPI schema of a value."""

    dynamo_type: str
    encode: object  # (field, value after field.to_python, name) -> DynamoDB value
    decode: object  # (field, value as boto3's TypeDeserializer returns it) -> Python value
    openapi: dict


_TEXT = {"type": "string"}
_INTEGER = Codec(NUMBER, encode_integer, decode_integer, {"type": "integer"})
_STRING = Codec(STRING, encode_string, decode_string, _TEXT)
CODECS = {
    "AutoField": _INTEGER,
    "BigAutoField": _INTEGER,
    "SmallAutoField": _INTEGER,
    "IntegerField": _INTEGER,
    "BigIntegerField": _INTEGER,
    "SmallIntegerField": _INTEGER,
    "PositiveIntegerField": _INTEGER,
    "PositiveBigIntegerField": _INTEGER,
    "PositiveSmallIntegerField": _INTEGER,
    "FloatField": Codec(NUMBER, encode_float, decode_float, {"type": "number"}),
    "DecimalField": Codec(NUMBER, encode_decimal, decode_decimal, {"type": "number"}),
    "DateTimeField": Codec(
        NUMBER, encode_datetime, decode_datetime, {"type": "string", "format": "date-time"}
    ),
    "DurationField": Codec(NUMBER, encode_duration, decode_duration, _TEXT),
    "DateField": Codec(STRING, encode_date, decode_date, {"type": "string", "format": "date"}),
    "TimeField": Codec(STRING, encode_time, decode_time, {"type": "string", "format": "time"}),
    "CharField": _STRING,
    "TextField": _STRING,
    "SlugField": _STRING,
    "EmailField": _STRING,
    "URLField": _STRING,
    "FilePathField": _STRING,
    "GenericIPAddressField": _STRING,
    "IPAddressField": _STRING,
    "FileField": Codec(STRING, encode_file, decode_string, _TEXT),
    "UUIDField": Codec(STRING, encode_uuid, decode_uuid, {"type": "string", "format": "uuid"}),
    "BinaryField": Codec(BINARY, encode_binary, decode_binary, _TEXT),
    "BooleanField": Codec(BOOLEAN, encode_boolean, decode_boolean, {"type": "boolean"}),
    "NullBooleanField": Codec(BOOLEAN, encode_boolean, decode_boolean, {"type": "boolean"}),
    "JSONField": Codec(NATIVE, encode_json, decode_json, _TEXT),
}

# The field -> DynamoDB type table of the seed's constants.py, read off the registry.
FIELD_TYPES = {name: codec.dynamo_type for name, codec in CODECS.items()}
