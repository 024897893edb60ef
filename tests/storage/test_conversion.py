"""Lossless conversion: every field type through a real engine and back.

Items are written by the Connector and read back with ``get`` (by key) and
``get_by_id`` (through the id cache, then through the id index); the stored
attributes are inspected with a raw boto3 client, so a value that merely
survives a Python-side round trip but is stored in the wrong DynamoDB type
(stringified JSON, a date as a number, ...) fails here.
"""

import datetime
import decimal
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from dynamodb.connector import Connector
from dynamodb.storage import ids
from dynamodb.wire.client import get_client
from tests.testapp.models import EveryField, Owner

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
CREATED = datetime.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
# The EveryField attributes that are always stored (keys, id, version).
ALWAYS_STORED = {"id", "owner", "created", "version"}


@pytest.fixture
def owner():
    return Owner.objects.create(name="Ada")


def table_name():
    return Connector(EveryField).schema.table_name


def raw_items():
    """Every stored EveryField item, as the engine returns it (typed attribute values)."""
    return get_client().scan(TableName=table_name(), ConsistentRead=True)["Items"]


def the_raw_item():
    items = raw_items()
    assert len(items) == 1
    return items[0]


def read_back(instance):
    """The stored item read with get() by key, get_by_id() cached and get_by_id() via the index."""
    connector = Connector(EveryField)
    by_key = connector.get([("owner", instance.owner_id), ("created", instance.created)])
    by_id = connector.get_by_id(instance.pk)
    ids.key_cache.clear()
    by_index = connector.get_by_id(instance.pk)
    readings = [by_key, by_id, by_index]
    assert all(isinstance(reading, EveryField) for reading in readings)
    return readings


def round_trip(owner, **values):
    """Insert an EveryField with ``values`` and return its three readings."""
    values.setdefault("created", CREATED)
    instance = Connector(EveryField).insert(EveryField(owner=owner, **values))
    return read_back(instance)


def assert_same(got, expected):
    """Equal, of the same type (1 == 1.0 == True is not good enough here)."""
    assert type(got) is type(expected), (got, expected)
    assert got == expected


# (field, value written, value read back); read back = written when omitted.
VALUES = [
    ("big", -(2**63)),
    ("big", 2**63 - 1),
    ("small", -32768),
    ("small", 32767),
    ("integer", -(2**31)),
    ("integer", 2**31 - 1),
    ("positive", 0),
    ("positive", 2**31 - 1),
    ("positive_small", 32767),
    ("positive_big", 2**63 - 1),
    ("integer", "42", 42),
    ("floating", 0.1),
    ("floating", 1 / 3),
    ("floating", 1e-100),
    ("floating", -2.5e-7),
    ("floating", 9.99999999999999e125),
    ("floating", 1e-130),
    ("floating", 2.0),
    ("floating", 123456789.123456789),
    ("decimal", Decimal("1234567890123456789012345678.1234567890")),
    ("decimal", Decimal("-1234567890123456789012345678.1234567890")),
    ("decimal", Decimal("0.0000000001")),
    ("decimal", Decimal("3.1415926535")),
    ("decimal", Decimal("1.10"), Decimal("1.1000000000")),
    ("decimal", Decimal("7"), Decimal("7.0000000000")),
    ("decimal", Decimal("0"), Decimal("0E-10")),
    ("uuid", uuid.UUID("12345678-9abc-4def-8123-456789abcdef")),
    ("uuid", uuid.UUID(int=0)),
    (
        "uuid",
        "12345678-9ABC-4DEF-8123-456789ABCDEF",
        uuid.UUID("12345678-9abc-4def-8123-456789abcdef"),
    ),
    ("date", datetime.date(2024, 2, 29)),
    ("date", datetime.date(1, 1, 1)),
    ("date", datetime.date(9999, 12, 31)),
    ("time", datetime.time(23, 59, 59, 999999)),
    ("time", datetime.time(0, 0)),
    ("time", datetime.time(12, 30, 0, 1)),
    ("duration", datetime.timedelta(days=3, seconds=7, microseconds=1)),
    ("duration", datetime.timedelta(microseconds=-1)),
    ("duration", -datetime.timedelta(days=400, hours=5, microseconds=999999)),
    ("duration", datetime.timedelta(0)),
    ("duration", datetime.timedelta.max),
    ("duration", datetime.timedelta.min),
    ("binary", bytes(range(256))),
    ("binary", b"\x00"),
    ("binary", b""),
    ("binary", bytearray(b"\xff\x00\xfe"), b"\xff\x00\xfe"),
    ("binary", memoryview(b"view"), b"view"),
    ("boolean", True),
    ("boolean", False),
    ("choice", EveryField.Choice.GREEN, "green"),
    ("char", "𝄞🎉 naïve 中文"),
    ("char", "🎉" * 50),
    ("text", "multi\nline\ttext with \x00 NUL and 𝄞🎉" * 100),
    ("text", ""),
    ("slug", "a-slug_1"),
    ("email", "ada@example.com"),
    ("url", "https://example.com/𝄞?q=1#frag"),
    ("ip", "192.0.2.1"),
    ("ip", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("file", "uploads/résumé 🎉.pdf"),
    ("file_path", "/tmp/some file.txt"),
]


FIELDS = sorted({case[0] for case in VALUES})


@pytest.mark.parametrize("name", FIELDS)
def test_field_values_round_trip_exactly(owner, name):
    """Each value of the field as an item of its own, read back three ways."""
    cases = [case for case in VALUES if case[0] == name]
    connector = Connector(EveryField)
    inserted = []
    for position, (_, value, *expected) in enumerate(cases):
        created = CREATED + datetime.timedelta(microseconds=position)
        instance = connector.insert(EveryField(owner=owner, created=created, **{name: value}))
        inserted.append((instance, expected[0] if expected else value))
    assert len(raw_items()) == len(cases)
    for instance, expected in inserted:
        for reading in read_back(instance):
            got = getattr(reading, name)
            if name == "file":
                assert got.name == expected
            else:
                assert_same(got, expected)
            if isinstance(expected, Decimal):
                # The field's scale is restored: the exact digits and exponent, not only the value.
                assert got.as_tuple() == expected.as_tuple()


def test_choice_is_a_valid_choice_again(owner):
    for reading in round_trip(owner, choice=EveryField.Choice.RED):
        assert reading.choice == EveryField.Choice.RED
        assert reading.get_choice_display() == "Red"


def test_foreign_keys_round_trip_to_their_targets(owner):
    user = get_user_model().objects.create_user("reviewer", password="x")
    for reading in round_trip(owner, reviewer=user):
        assert_same(reading.owner_id, owner.pk)
        assert reading.owner == owner
        assert reading.owner.name == "Ada"
        assert_same(reading.reviewer_id, user.pk)
        assert reading.reviewer == user


def test_foreign_key_given_as_a_string_pk(owner):
    instance = EveryField(owner_id=str(owner.pk).upper(), created=CREATED)
    Connector(EveryField).insert(instance)
    assert the_raw_item()["owner"] == {"S": str(owner.pk)}
    for reading in read_back(instance):
        assert_same(reading.owner_id, owner.pk)


JSON_VALUE = {
    "nested": {"deeper": {"deepest": [1, [2, [3, {"four": 4}]]]}},
    "list": [1, "two", 3.5, None, True, False, [], {}],
    "int": 7,
    "negative": -12345678901234567890,
    "big": 10**37,
    "float": 0.1,
    "third": 1 / 3,
    "tiny": 1e-100,
    "decimal": Decimal("3.14159265358979323846264338327"),
    "true": True,
    "false": False,
    "null": None,
    "empty string": "",
    "empty list": [],
    "empty dict": {},
    "unicode 𝄞": "🎉 naïve",
    "name": "a reserved word as a key",
}


def test_json_round_trips_natively(owner):
    for reading in round_trip(owner, json=JSON_VALUE):
        assert reading.json == JSON_VALUE
        # Types too: True is not read back as 1, nor 7 as 7.0, nor 0.1 as Decimal.
        assert reading.json["true"] is True and reading.json["false"] is False
        assert_same(reading.json["int"], 7)
        assert_same(reading.json["negative"], -12345678901234567890)
        assert_same(reading.json["float"], 0.1)
        assert_same(reading.json["third"], 1 / 3)
        assert_same(reading.json["decimal"], Decimal("3.14159265358979323846264338327"))
        assert reading.json["list"][4] is True and reading.json["list"][5] is False
        assert reading.json["null"] is None and "null" in reading.json


JSON_TOP_LEVEL = [[1, "a", None, [True]], "just a string", "", 42, 2.5, True, False, [], {}]


def test_json_top_level_values_round_trip(owner):
    connector = Connector(EveryField)
    for position, value in enumerate(JSON_TOP_LEVEL):
        created = CREATED + datetime.timedelta(microseconds=position)
        instance = connector.insert(EveryField(owner=owner, created=created, json=value))
        for reading in read_back(instance):
            assert_same(reading.json, value)


def test_json_tuple_reads_back_as_list(owner):
    for reading in round_trip(owner, json={"pair": (1, "b")}):
        assert reading.json == {"pair": [1, "b"]}


def test_none_everywhere_omits_attributes_and_reads_back_none(owner):
    readings = round_trip(owner)
    assert set(the_raw_item()) == ALWAYS_STORED
    nullable = [f for f in EveryField._meta.concrete_fields if f.null and f.name != "version"]
    assert len(nullable) > 20
    for reading in readings:
        for field in nullable:
            value = getattr(reading, field.attname)
            if field.name == "file":
                assert value.name is None and not value
            else:
                assert value is None, field.name


def every_value(owner, user):
    return {
        "created": CREATED,
        "reviewer": user,
        "big": 2**62,
        "small": -7,
        "integer": 3,
        "positive": 4,
        "positive_small": 5,
        "positive_big": 6,
        "floating": 0.1,
        "decimal": Decimal("12.3400000000"),
        "boolean": False,
        "char": "🎉 char",
        "choice": EveryField.Choice.RED,
        "text": "text 𝄞",
        "slug": "the-slug",
        "email": "e@example.com",
        "url": "https://example.com/",
        "ip": "::1",
        "uuid": uuid.UUID("00000000-0000-4000-8000-000000000001"),
        "date": datetime.date(2000, 1, 2),
        "time": datetime.time(3, 4, 5, 6),
        "duration": datetime.timedelta(seconds=-1, microseconds=5),
        "binary": bytes(range(256)),
        "json": {"a": [1, 1.5, None, {"b": ""}], "c": True, "d": {}},
        "file": "f.txt",
        "file_path": "/tmp/x",
    }


def test_every_field_at_once(owner):
    user = get_user_model().objects.create_user("u", password="x")
    values = every_value(owner, user)
    for reading in round_trip(owner, **values):
        for name, value in values.items():
            got = getattr(reading, name)
            if name == "file":
                assert got.name == value
            elif name == "reviewer":
                assert reading.reviewer_id == user.pk
            else:
                assert got == value, name
        assert reading.version == 1


def test_stored_attribute_types(owner):
    user = get_user_model().objects.create_user("u", password="x")
    Connector(EveryField).insert(EveryField(owner=owner, **every_value(owner, user)))
    item = the_raw_item()
    expected_types = {
        "id": "N",
        "owner": "S",
        "created": "N",
        "version": "N",
        "reviewer": "N",
        "big": "N",
        "small": "N",
        "integer": "N",
        "positive": "N",
        "positive_small": "N",
        "positive_big": "N",
        "floating": "N",
        "decimal": "N",
        "boolean": "BOOL",
        "char": "S",
        "choice": "S",
        "text": "S",
        "slug": "S",
        "email": "S",
        "url": "S",
        "ip": "S",
        "uuid": "S",
        "date": "S",
        "time": "S",
        "duration": "N",
        "binary": "B",
        "json": "M",
        "file": "S",
        "file_path": "S",
    }
    assert {name: next(iter(value)) for name, value in item.items()} == expected_types
    assert item["owner"] == {"S": str(owner.pk)}
    assert item["reviewer"] == {"N": str(user.pk)}
    # Epoch seconds, exact to the microsecond.
    assert Decimal(item["created"]["N"]) == Decimal("1709251198.123456")
    assert Decimal(item["duration"]["N"]) == -999995
    assert item["date"] == {"S": "2000-01-02"}
    assert item["time"] == {"S": "03:04:05.000006"}
    assert item["uuid"] == {"S": "00000000-0000-4000-8000-000000000001"}
    assert item["binary"] == {"B": bytes(range(256))}
    assert item["boolean"] == {"BOOL": False}
    assert item["choice"] == {"S": "red"}
    assert item["file"] == {"S": "f.txt"}
    assert Decimal(item["decimal"]["N"]) == Decimal("12.34")
    assert Decimal(item["floating"]["N"]) == Decimal("0.1")
    assert Decimal(item["big"]["N"]) == 2**62
    # Native map and list, never a JSON string.
    assert item["json"] == {
        "M": {
            "a": {"L": [{"N": "1"}, {"N": "1.5"}, {"NULL": True}, {"M": {"b": {"S": ""}}}]},
            "c": {"BOOL": True},
            "d": {"M": {}},
        }
    }


def test_json_list_is_stored_as_a_native_list(owner):
    Connector(EveryField).insert(
        EveryField(owner=owner, created=CREATED, json=["x", 1, [False], Decimal("0.5")])
    )
    assert the_raw_item()["json"] == {
        "L": [{"S": "x"}, {"N": "1"}, {"L": [{"BOOL": False}]}, {"N": "0.5"}]
    }


def test_true_and_false_are_stored_not_omitted(owner):
    Connector(EveryField).insert(EveryField(owner=owner, created=CREATED, boolean=False))
    assert the_raw_item()["boolean"] == {"BOOL": False}


# Datetimes: always written as the UTC instant, read back aware UTC under USE_TZ.


MOMENTS = [
    CREATED,
    datetime.datetime(2024, 1, 1, tzinfo=UTC),
    datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def test_aware_utc_datetimes_round_trip_to_the_microsecond(owner):
    connector = Connector(EveryField)
    instances = [connector.insert(EveryField(owner=owner, created=moment)) for moment in MOMENTS]
    for instance, moment in zip(instances, MOMENTS, strict=True):
        for reading in read_back(instance):
            assert reading.created == moment
            assert reading.created.utcoffset() == datetime.timedelta(0)
            assert reading.created.microsecond == moment.microsecond
    stored = sorted(Decimal(item["created"]["N"]) for item in raw_items())
    micros = sorted((moment - EPOCH) // datetime.timedelta(microseconds=1) for moment in MOMENTS)
    assert stored == [Decimal(value).scaleb(-6) for value in micros]


def test_datetime_with_another_offset_is_the_same_instant(owner):
    offset = datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))
    moment = datetime.datetime(2024, 3, 10, 22, 15, 0, 654321, tzinfo=offset)
    for reading in round_trip(owner, created=moment):
        assert reading.created == moment
        assert reading.created.utcoffset() == datetime.timedelta(0)
        assert reading.created == datetime.datetime(2024, 3, 11, 3, 45, 0, 654321, tzinfo=UTC)
    assert Decimal(the_raw_item()["created"]["N"]) == Decimal("1710128700.654321")


def test_naive_datetime_under_use_tz_is_in_the_default_time_zone(owner):
    naive = datetime.datetime(2024, 7, 1, 12, 0, 0, 5)
    for reading in round_trip(owner, created=naive):
        assert reading.created == naive.replace(tzinfo=UTC)
        assert timezone.is_aware(reading.created)


@override_settings(TIME_ZONE="America/New_York")
def test_naive_datetime_is_read_in_a_non_utc_default_time_zone(owner):
    naive = datetime.datetime(2024, 7, 1, 12, 0, 0, 5)
    new_york = zoneinfo.ZoneInfo("America/New_York")
    for reading in round_trip(owner, created=naive):
        assert reading.created == naive.replace(tzinfo=new_york)
        assert reading.created == datetime.datetime(2024, 7, 1, 16, 0, 0, 5, tzinfo=UTC)
    assert Decimal(the_raw_item()["created"]["N"]) == Decimal("1719849600.000005")


@override_settings(USE_TZ=False, TIME_ZONE="Asia/Kolkata")
def test_naive_datetime_without_use_tz_reads_back_naive(owner):
    naive = datetime.datetime(2024, 7, 1, 12, 0, 0, 999999)
    for reading in round_trip(owner, created=naive):
        assert_same(reading.created, naive)
        assert timezone.is_naive(reading.created)
    # Stored as the instant: 12:00 in Kolkata is 06:30 UTC.
    assert Decimal(the_raw_item()["created"]["N"]) == Decimal("1719815400.999999")


def test_datetime_sort_key_orders_chronologically_across_the_epoch(owner):
    moments = [
        datetime.datetime(1969, 7, 20, 20, 17, 40, 1, tzinfo=UTC),
        datetime.datetime(1970, 1, 1, tzinfo=UTC),
        datetime.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime.datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC),
        datetime.datetime(2024, 2, 29, 23, 59, 59, 999998, tzinfo=UTC),
        datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    connector = Connector(EveryField)
    for moment in reversed(moments):
        connector.insert(EveryField(owner=owner, created=moment))
    assert [item.created for item in connector.select([("owner", owner)])] == moments
    middle = connector.select(
        [("owner", owner), ("created__range", (moments[1], moments[4]))], descending=True
    )
    assert [item.created for item in middle] == moments[4:0:-1]


# JSON numbers come back by the rule of conversion.py's docstring: by value only.


JSON_NUMBERS = [
    (Decimal("1.10"), 1.1),
    (Decimal("2.0"), 2),
    (2.0, 2),
    (1e22, 10**22),
    (Decimal("-0.5"), -0.5),
    (Decimal("0.1"), 0.1),
    (Decimal("1E-130"), 1e-130),
    (Decimal("1E+2"), 100),
    (10**37, 10**37),
    (-(10**37), -(10**37)),
    (Decimal("3.14159265358979323846264338327"), Decimal("3.14159265358979323846264338327")),
    (Decimal("0.30000000000000000001"), Decimal("0.30000000000000000001")),
    (Decimal("1.0000000000000000000000000000000000000000"), 1),
]


def test_json_number_rule_through_the_connector(owner):
    written = {str(position): value for position, (value, _) in enumerate(JSON_NUMBERS)}
    for reading in round_trip(owner, json=written):
        for position, (_, expected) in enumerate(JSON_NUMBERS):
            assert_same(reading.json[str(position)], expected)


def put_raw(owner, position=0, **attributes):
    """Write an EveryField item with a raw client; return the key of a get()."""
    item = {
        "id": {"N": str(77 + position)},
        "owner": {"S": str(owner.pk)},
        "created": {"N": f"1700000000.{position + 1:06}"},
        **attributes,
    }
    get_client().put_item(TableName=table_name(), Item=item)
    created = datetime.datetime(2023, 11, 14, 22, 13, 20, position + 1, tzinfo=UTC)
    return [("owner", owner), ("created", created)]


def test_json_numbers_written_by_a_raw_client(owner):
    thirty_digits = "123456789012345.678901234567890"
    key = put_raw(
        owner,
        json={
            "M": {
                "one point ten": {"N": "1.10"},
                "two point oh": {"N": "2.0"},
                "thirty digits": {"N": thirty_digits},
                "exponent": {"N": "2.5E+3"},
                "negative zero": {"N": "-0"},
                "list": {"L": [{"N": "0.000"}, {"N": "-7.250"}]},
            }
        },
    )
    reading = Connector(EveryField).get(key)
    assert reading.created == datetime.datetime(2023, 11, 14, 22, 13, 20, 1, tzinfo=UTC)
    assert_same(reading.json["one point ten"], 1.1)
    assert_same(reading.json["two point oh"], 2)
    assert_same(reading.json["thirty digits"], Decimal(thirty_digits))
    assert_same(reading.json["exponent"], 2500)
    assert_same(reading.json["negative zero"], 0)
    assert_same(reading.json["list"][0], 0)
    assert_same(reading.json["list"][1], -7.25)
    assert reading.id == 77


def test_json_string_set_and_number_set_read_as_lists(owner):
    key = put_raw(owner, json={"M": {"ss": {"SS": ["a"]}, "ns": {"NS": ["1.5"]}}})
    reading = Connector(EveryField).get(key)
    assert reading.json == {"ss": ["a"], "ns": [1.5]}


DECIMAL_SCALES = [
    ("1.10", "1.1000000000"),
    ("1.1", "1.1000000000"),
    ("5", "5.0000000000"),
    ("1E+2", "100.0000000000"),
    ("-0.0000000001", "-1E-10"),
    ("1234567890123456789012345678.123456789", "1234567890123456789012345678.1234567890"),
]


def test_decimal_field_scale_is_restored(owner):
    keys = [
        put_raw(owner, position, decimal={"N": stored})
        for position, (stored, _) in enumerate(DECIMAL_SCALES)
    ]
    for key, (_, expected) in zip(keys, DECIMAL_SCALES, strict=True):
        reading = Connector(EveryField).get(key)
        assert_same(reading.decimal, Decimal(expected))
        assert reading.decimal.as_tuple().exponent == -10
        assert str(reading.decimal) == str(Decimal(expected))


def test_raw_integers_and_floats_read_with_their_field_types(owner):
    key = put_raw(
        owner,
        big={"N": "9.0E+3"},
        floating={"N": "3"},
        duration={"N": "-1"},
        time={"S": "01:02:03.000004"},
        date={"S": "2020-02-29"},
        uuid={"S": "00000000-0000-4000-8000-000000000002"},
        boolean={"BOOL": True},
        binary={"B": b"\x00\xff"},
    )
    reading = Connector(EveryField).get(key)
    assert_same(reading.big, 9000)
    assert_same(reading.floating, 3.0)
    assert_same(reading.duration, datetime.timedelta(microseconds=-1))
    assert_same(reading.time, datetime.time(1, 2, 3, 4))
    assert_same(reading.date, datetime.date(2020, 2, 29))
    assert_same(reading.uuid, uuid.UUID("00000000-0000-4000-8000-000000000002"))
    assert reading.boolean is True
    assert_same(reading.binary, b"\x00\xff")


def test_38_digit_decimal_converts_under_the_default_decimal_context():
    """The default context holds 28 digits; conversions must neither need more nor change it."""
    before = decimal.getcontext().prec
    converter = Connector(EveryField).schema.by_name["decimal"]
    value = Decimal("1234567890123456789012345678.1234567890")
    assert converter.from_dynamo(converter.to_dynamo(value)) == value
    assert decimal.getcontext().prec == before
