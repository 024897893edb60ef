"""FieldConverter: one concrete field's values to and from DynamoDB attribute values.

``None`` means "no attribute": DynamoDB items simply omit it. The encoding
of each field type is its row of the codec registry (``codecs.CODECS``).
"""

import decimal

from django.core import exceptions as django_exceptions

from ..exceptions import DynamoError, ValidationError
from .codecs import CODECS

_INTEGER = CODECS["IntegerField"]


def value_field(field):
    """The field whose type a field's values have: a relation's target field."""
    while field.is_relation:
        field = field.target_field
    return field


def dynamo_type(field):
    """DynamoDB type of a field (S, N, B, BOOL or JSON), or None if unsupported."""
    codec = CODECS.get(value_field(field).get_internal_type())
    return None if codec is None else codec.dynamo_type


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
        self._codec = CODECS[self._target.get_internal_type()]
        self.dynamo_type = self._codec.dynamo_type

    def python_value(self, value):
        """Normalise a value as the field would (a model instance for a relation -> its pk)."""
        if value is None:
            return None
        if self.field.is_relation and isinstance(value, self.field.related_model):
            value = getattr(value, self.field.target_field.attname)
            if value is None:
                raise ValidationError(self.name, "The related object has no primary key yet.")
        if (
            self._codec is _INTEGER
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
        return self._codec.encode(self._target, value, self.name)

    def from_dynamo(self, value):
        """The Python value of a DynamoDB value (as boto3's TypeDeserializer returns it)."""
        if value is None:
            return None
        try:
            return self._codec.decode(self._target, value)
        except (TypeError, ValueError, ArithmeticError) as error:
            raise DynamoError(f"{self.name}: cannot read stored value {value!r}.") from error
