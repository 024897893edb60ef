"""The fast path of ``dynamodb.marshalling`` answers exactly as boto3 does, value by value."""

from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from django.utils.safestring import mark_safe

from dynamodb.wire import marshalling

VALUES = [
    "",
    "text é",
    mark_safe("<b>safe</b>"),  # a str subclass: boto3's path
    0,
    -17,
    10**37,
    Decimal("1.10"),
    Decimal("-0.000001"),
    Decimal("1E+100"),
    True,
    False,
    None,
    b"\x00\xff",
    bytearray(b"ab"),
    Binary(b"cd"),
    {"a": [1, "b", None, {"c": Decimal("2.5")}], "d": True},
    [],
    {"x", "y"},
    {1, Decimal("2.5")},
    {b"a", b"b"},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_values_are_written_as_boto3_writes_them(value):
    assert marshalling.serialize_value(value) == TypeSerializer().serialize(value)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_values_are_read_as_boto3_reads_them(value):
    raw = TypeSerializer().serialize(value)
    ours, boto3s = marshalling.deserialize_value(raw), TypeDeserializer().deserialize(raw)
    assert (ours, type(ours)) == (boto3s, type(boto3s))


@pytest.mark.parametrize(
    "value", [1.5, Decimal("NaN"), Decimal("Infinity"), 10**38 + 1, object()], ids=repr
)
def test_values_boto3_refuses_are_refused_with_its_error(value):
    with pytest.raises(Exception) as boto3s:
        TypeSerializer().serialize(value)
    with pytest.raises(type(boto3s.value)):
        marshalling.serialize_value(value)


@pytest.mark.parametrize("raw", [{}, {"X": "1"}, {"N": "1E+200"}], ids=repr)
def test_values_boto3_cannot_read_are_refused_with_its_error(raw):
    with pytest.raises(Exception) as boto3s:
        TypeDeserializer().deserialize(raw)
    with pytest.raises(type(boto3s.value)):
        marshalling.deserialize_value(raw)


def test_a_number_past_38_digits_by_trailing_zeros_is_read_exactly():
    """AWS spells 1E+100 in 101 digits, which boto3's 38-digit context refuses."""
    spelled = "1" + "0" * 100
    assert marshalling.deserialize({"n": {"N": spelled}, "l": {"L": [{"N": "-" + spelled}]}}) == {
        "n": Decimal("1E+100"),
        "l": [Decimal("-1E+100")],
    }


def test_a_number_past_38_significant_digits_is_not_rounded():
    assert marshalling.deserialize_value({"N": "1" * 40}) == Decimal("1" * 40)
