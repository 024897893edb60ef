"""Python values to DynamoDB attribute values (``{"N": "1"}``) and back.

boto3's ``TypeSerializer`` and ``TypeDeserializer`` with a fast path: every
value of every item read or written passes here, and boto3 finds a value's
type through a chain of up to ten checks (a ``getattr`` by name when
reading). The common types are recognised first, in one step; anything else
goes to boto3, so results and errors are boto3's.

One difference, on purpose: a number read with more than 38 digits. AWS
spells a number in plain digits (``1E+100`` comes back as 101 digits), which
boto3's 38-digit context refuses with ``decimal.Rounded`` (boto3 issue 2500).
Only trailing zeros can take a valid number past 38 digits: dropping them is
exact.
"""

import decimal

from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer

from .. import constants


class _Serializer(TypeSerializer):
    def serialize(self, value):
        kind = type(value)
        if kind is str:
            return {"S": value}
        if kind is int or kind is decimal.Decimal:
            return {"N": self._serialize_n(value)}
        if kind is bool:
            return {"BOOL": value}
        if value is None:
            return {"NULL": True}
        return super().serialize(value)


class _Deserializer(TypeDeserializer):
    def deserialize(self, value):
        if type(value) is dict and len(value) == 1:
            for kind, raw in value.items():
                if kind == "S":
                    return raw
                if kind == "N":
                    return self._deserialize_n(raw)
        return super().deserialize(value)

    def _deserialize_n(self, value):
        try:
            return DYNAMODB_CONTEXT.create_decimal(value)
        except (decimal.Rounded, decimal.Inexact):
            number = decimal.Decimal(value)
            digits = len(number.as_tuple().digits)
            if digits <= constants.MAX_NUMBER_DIGITS:
                raise
            return number.normalize(decimal.Context(prec=digits))


_serializer = _Serializer()
_deserializer = _Deserializer()

serialize_value = _serializer.serialize
deserialize_value = _deserializer.deserialize


def serialize(values):
    """A dict of Python values as attribute values (an item, a key, expression values)."""
    return {name: serialize_value(value) for name, value in values.items()}


def deserialize(item):
    """A raw item (as the client returns it) as a dict of Python values."""
    return {name: deserialize_value(value) for name, value in item.items()}
