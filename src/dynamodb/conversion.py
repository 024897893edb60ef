"""Lossless conversion between Django field values and DynamoDB attribute values.

A ``FieldConverter`` turns one field's Python value into the value boto3's
``TypeSerializer`` sends (``str``, ``Decimal``, ``bytes``, ``bool``, ``dict``,
``list``) and back, checking before any request that DynamoDB can hold it.
``None`` means "no attribute": DynamoDB items simply omit it.

Numbers inside a JSONField come back by one rule, which depends only on the
numeric value (so it holds on AWS, which normalises ``1.10`` to ``1.1``):
an integral value is an ``int``; a value that a float represents exactly
(``Decimal(repr(float(v))) == v``) is a ``float``; any other is a ``Decimal``.
"""

import datetime
import decimal
import uuid

from boto3.dynamodb.types import Binary
from django.conf import settings
from django.core import exceptions as django_exceptions
from django.core.validators import DecimalValidator
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from django.utils.duration import duration_microseconds

from . import constants
from .exceptions import DynamoError, ValidationError

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECONDS = decimal.Decimal("0.000001")
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges
# Fields whose max_length a SQL database enforces (TextField's only concerns forms).
LENGTH_LIMITED_TYPES = frozenset(
    {"CharField", "SlugField", "EmailField", "URLField", "FilePathField", "FileField"}
)


def check_number(name, value):
    """Raise unless DynamoDB's N type can hold ``value`` exactly."""
    if not value.is_finite():
        raise ValidationError(name, f"{value} cannot be stored: DynamoDB numbers must be finite.")
    if not value:
        return value
    # Counted on the digits themselves: normalize() would round to the context's 28 digits.
    digits = value.as_tuple().digits
    significant = len(digits)
    while digits[significant - 1] == 0:  # trailing zeros are not significant
        significant -= 1
    if significant > constants.MAX_NUMBER_DIGITS:
        raise ValidationError(
            name,
            f"{value} has {significant} significant digits; "
            f"DynamoDB numbers hold at most {constants.MAX_NUMBER_DIGITS}.",
        )
    exponent = value.adjusted()
    if not constants.MIN_NUMBER_EXPONENT <= exponent <= constants.MAX_NUMBER_EXPONENT:
        raise ValidationError(
            name,
            f"{value} is out of DynamoDB's number range (magnitude "
            f"1E{constants.MIN_NUMBER_EXPONENT} to below 1E+{constants.MAX_NUMBER_EXPONENT + 1}).",
        )
    if len(digits) > constants.MAX_NUMBER_DIGITS:
        # Only trailing zeros exceed the limit: drop them (boto3 refuses to round).
        return value.normalize(decimal.Context(prec=constants.MAX_NUMBER_DIGITS))
    return value


def check_string(name, value):
    """Raise unless ``value`` is a ``str`` encodable as UTF-8 (DynamoDB's S type)."""
    if not isinstance(value, str):
        raise ValidationError(name, f"Expected a string, got {type(value).__name__}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError(name, f"Not valid Unicode text: {error.reason}.") from error
    return value


def float_to_decimal(name, value):
    """A float as the Decimal of its shortest repr (0.1 -> Decimal('0.1'), not 55 digits)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError(name, f"{value} cannot be stored: DynamoDB numbers must be finite.")
    return check_number(name, decimal.Decimal(repr(value)))


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


_INTEGER = (encode_integer, decode_integer)
_STRING = (encode_string, decode_string)
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
    "FloatField": (encode_float, decode_float),
    "DecimalField": (encode_decimal, decode_decimal),
    "DateTimeField": (encode_datetime, decode_datetime),
    "DurationField": (encode_duration, decode_duration),
    "DateField": (encode_date, decode_date),
    "TimeField": (encode_time, decode_time),
    "CharField": _STRING,
    "TextField": _STRING,
    "SlugField": _STRING,
    "EmailField": _STRING,
    "URLField": _STRING,
    "FilePathField": _STRING,
    "GenericIPAddressField": _STRING,
    "IPAddressField": _STRING,
    "FileField": (encode_file, decode_string),
    "UUIDField": (encode_uuid, decode_uuid),
    "BinaryField": (encode_binary, decode_binary),
    "BooleanField": (encode_boolean, decode_boolean),
    "NullBooleanField": (encode_boolean, decode_boolean),
    "JSONField": (encode_json, decode_json),
}


def value_field(field):
    """The field whose type a field's values have: a relation's target field."""
    while field.is_relation:
        field = field.target_field
    return field


def dynamo_type(field):
    """DynamoDB type of a field (S, N, B, BOOL or JSON), or None if unsupported."""
    return constants.FIELD_TYPES.get(value_field(field).get_internal_type())


class FieldConverter:
    """Converts one concrete field's values to and from DynamoDB attribute values."""

    __slots__ = ("field", "name", "attname", "attribute", "dynamo_type", "_target", "_codec")

    def __init__(self, field):
        self.field = field
        self.name = field.name
        self.attname = field.attname
        # A ForeignKey is stored under its name ("user"), not "user_id"; db_column renames.
        self.attribute = field.db_column or field.name
        self._target = value_field(field)
        self.dynamo_type = constants.FIELD_TYPES[self._target.get_internal_type()]
        self._codec = CODECS[self._target.get_internal_type()]

    def python_value(self, value):
        """Normalise a value as the field would (a model instance for a relation -> its pk)."""
        if value is None:
            return None
        if self.field.is_relation and isinstance(value, self.field.related_model):
            value = getattr(value, self.field.target_field.attname)
            if value is None:
                raise ValidationError(self.name, "The related object has no primary key yet.")
        if (
            self._codec is CODECS["IntegerField"]
            and isinstance(value, float | decimal.Decimal)
            and value != int(value)
        ):
            raise ValidationError(self.name, f"{value} is not an integer.")
        try:
            return self._target.to_python(value)
        except django_exceptions.ValidationError as error:
            raise ValidationError(self.name, " ".join(error.messages)) from error
        except (TypeError, ValueError, ArithmeticError) as error:
            raise ValidationError(
                self.name, f"{value!r} is not a valid value for {type(self.field).__name__}."
            ) from error

    def to_dynamo(self, value):
        """The DynamoDB value of a Python value; None when the attribute is omitted."""
        value = self.python_value(value)
        if value is None:
            return None
        return self._codec[0](self._target, value, self.name)

    def from_dynamo(self, value):
        """The Python value of a DynamoDB value (as boto3's TypeDeserializer returns it)."""
        if value is None:
            return None
        try:
            return self._codec[1](self._target, value)
        except (TypeError, ValueError, ArithmeticError) as error:
            raise DynamoError(f"{self.name}: cannot read stored value {value!r}.") from error


def check_key_value(name, value, max_bytes):
    """Raise unless a key attribute's DynamoDB value is non-empty and small enough."""
    if isinstance(value, str):
        size = len(value.encode("utf-8"))
    elif isinstance(value, bytes):
        size = len(value)
    else:
        return
    if size == 0:
        raise ValidationError(name, "This key attribute cannot be empty in DynamoDB.")
    if size > max_bytes:
        raise ValidationError(
            name, f"This key value is {size} bytes; DynamoDB allows at most {max_bytes}."
        )


def estimated_size(value):
    """A conservative estimate, in bytes, of a DynamoDB value's stored size."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, decimal.Decimal):
        return len(value.as_tuple().digits) // 2 + 2
    if isinstance(value, dict):
        return 3 + sum(len(key.encode("utf-8")) + estimated_size(v) + 1 for key, v in value.items())
    if isinstance(value, list):
        return 3 + sum(estimated_size(v) + 1 for v in value)
    return 1


def _size_bound(item):
    """An upper bound of ``estimated_size`` of an item, cheaper to reach for flat items."""
    bound = 0
    for name, value in item.items():
        kind = type(value)
        if kind is str:
            bound += 4 * len(value)  # UTF-8 takes at most 4 bytes a code point
        elif kind is decimal.Decimal:
            bound += constants.MAX_NUMBER_DIGITS // 2 + 2
        else:
            bound += estimated_size(value)
        bound += 4 * len(name)
    return bound


def check_item_size(item):
    """Raise unless an item's estimated size fits DynamoDB's 400 KB limit."""
    if _size_bound(item) <= constants.MAX_ITEM_BYTES:
        return
    size = sum(len(name.encode("utf-8")) + estimated_size(value) for name, value in item.items())
    if size > constants.MAX_ITEM_BYTES:
        largest = max(item, key=lambda name: estimated_size(item[name]))
        raise ValidationError(
            largest,
            f"The item would be about {size} bytes; DynamoDB items hold at most "
            f"{constants.MAX_ITEM_BYTES} bytes (this field is the largest).",
        )
