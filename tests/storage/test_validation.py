"""Values and calls DynamoDB cannot take are refused before any request.

Each case checks that the error is ``dynamodb.exceptions.ValidationError``,
that it names the field (``message_dict`` and ``str``), that nothing reached
the model's table (the requests sent are recorded with a botocore event
handler on the real client) and that the table holds nothing new.
"""

import datetime
import decimal
import uuid
from decimal import Decimal

import pytest
from django.db import models
from django.test.utils import isolate_apps

from dynamodb import exceptions
from dynamodb.connector import Connector
from dynamodb.models import DynamoCompatibleModel
from dynamodb.wire.client import get_client
from tests.testapp.models import EveryField, Note, Owner, Pledge

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2024, 5, 6, 7, 8, 9, 101112, tzinfo=datetime.UTC)
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@pytest.fixture
def sent():
    """The (operation, table) of every request the client sends during the test."""
    requests = []

    def record(params, model, **kwargs):
        requests.append((model.name, params.get("TableName")))

    events = get_client().meta.events
    events.register("before-parameter-build.dynamodb", record, unique_id="test-validation-sent")
    yield requests
    events.unregister("before-parameter-build.dynamodb", unique_id="test-validation-sent")


@pytest.fixture
def owner():
    return Owner.objects.create(name="Ada")


def refused(sent, call, field, model, match=None):
    """Run ``call``; check the refusal names ``field`` and nothing reached ``model``'s table."""
    table = Connector(model).schema.table_name
    before = len(sent)
    with pytest.raises(exceptions.ValidationError) as info:
        call()
    error = info.value
    assert isinstance(error, exceptions.DynamoError)
    assert error.field == field
    assert list(error.message_dict) == [field or "__all__"]
    message = " ".join(error.message_dict[field or "__all__"])
    assert str(error) == f"{field or '__all__'}: {message}"
    if match is not None:
        assert match.lower() in message.lower(), message
    during = sent[before:]
    assert [request for request in during if request[1] == table] == []
    assert [request for request in during if request[0] in WRITES - {"UpdateItem"}] == []
    assert Connector(model).count() == 0
    return error


def insert_every_field(owner, **values):
    values.setdefault("created", CREATED)
    return lambda: Connector(EveryField).insert(EveryField(owner=owner, **values))


def insert_note(**values):
    values = {"board": "b", "title": "t", **values}
    return lambda: Connector(Note).insert(Note(**values))


@pytest.fixture
def wide_keys():
    """A model whose keys are TextFields (no max_length), to reach DynamoDB's key sizes."""
    with isolate_apps("tests.testapp"):

        class WideKeys(DynamoCompatibleModel):
            table_name = "WideKeys"
            partition_key = "name"
            sort_key = "part"
            secondary_indexes = []

            name = models.TextField()
            part = models.TextField()
            note = models.TextField(blank=True)

            class Meta(DynamoCompatibleModel.Meta):
                app_label = "testapp"

        connector = Connector(WideKeys)
        connector.create_table()
        yield WideKeys
        connector.delete_table(wait=False)


# Keys


def test_empty_string_keys(sent):
    refused(sent, insert_note(board=""), "board", Note, "empty")
    refused(sent, insert_note(title=""), "title", Note, "empty")
    refused(sent, lambda: Connector(Note).get([("board", ""), ("title", "t")]), "board", Note)
    refused(sent, lambda: Connector(Note).get([("board", "b"), ("title", "")]), "title", Note)
    refused(sent, lambda: list(Connector(Note).select([("board", "")])), "board", Note)
    refused(sent, lambda: Connector(Note).delete([("board", ""), ("title", "t")]), "board", Note)


def test_missing_partition_key_value(sent, owner):
    # A CharField without a value defaults to "", which no key may be.
    refused(sent, lambda: Connector(Note).insert(Note(title="t")), "board", Note)
    refused(
        sent,
        lambda: Connector(EveryField).insert(EveryField(created=CREATED)),
        "owner",
        EveryField,
        "null",
    )
    refused(sent, lambda: Connector(Note).get([("title", "t")]), "board", Note, "needs")
    refused(sent, lambda: Connector(Note).get([("board", None), ("title", "t")]), "board", Note)
    refused(
        sent,
        insert_every_field(owner, created=None),
        "created",
        EveryField,
        "null",
    )


def test_partition_key_over_2048_bytes(sent, wide_keys):
    connector = Connector(wide_keys)
    insert = connector.insert
    refused(sent, lambda: insert(wide_keys(name="x" * 2049, part="p")), "name", wide_keys, "2049")
    # Bytes, not characters: 513 four-byte characters are 2052 bytes.
    refused(sent, lambda: insert(wide_keys(name="🎉" * 513, part="p")), "name", wide_keys, "2052")
    refused(sent, lambda: connector.get([("name", "x" * 2049), ("part", "p")]), "name", wide_keys)
    refused(sent, lambda: connector.select([("name", "x" * 2049)]), "name", wide_keys)
    # The limit itself is allowed.
    insert(wide_keys(name="x" * 2048, part="p"))
    assert connector.get([("name", "x" * 2048), ("part", "p")]).name == "x" * 2048


def test_sort_key_over_1024_bytes(sent, wide_keys):
    connector = Connector(wide_keys)
    insert = connector.insert
    refused(sent, lambda: insert(wide_keys(name="n", part="y" * 1025)), "part", wide_keys, "1025")
    refused(sent, lambda: insert(wide_keys(name="n", part="é" * 513)), "part", wide_keys, "1026")
    refused(sent, lambda: connector.get([("name", "n"), ("part", "y" * 1025)]), "part", wide_keys)
    insert(wide_keys(name="n", part="y" * 1024))
    assert connector.count() == 1


def test_empty_global_index_key_attribute(sent, owner):
    refused(sent, insert_every_field(owner, slug=""), "slug", EveryField, "empty")
    refused(sent, insert_every_field(owner, char=""), "char", EveryField, "empty")
    # Omitted (None) is fine: the item is simply not in that index.
    Connector(EveryField).insert(EveryField(owner=owner, created=CREATED, slug=None))
    assert Connector(EveryField).count() == 1


def test_update_of_a_global_index_key_to_empty(sent, owner):
    instance = Connector(EveryField).insert(EveryField(owner=owner, created=CREATED, slug="s"))
    instance.slug = ""
    with pytest.raises(exceptions.ValidationError) as info:
        Connector(EveryField).update(instance, fields=["slug"])
    assert "slug" in info.value.message_dict
    assert Connector(EveryField).get_by_id(instance.pk).slug == "s"


# Numbers


def test_numbers_with_39_significant_digits(sent, owner):
    digits39 = Decimal("123456789012345678901234567890123456789")
    refused(sent, insert_every_field(owner, json={"d": digits39}), "json", EveryField, "39")
    refused(sent, insert_every_field(owner, json=[int(digits39)]), "json", EveryField, "39")
    refused(
        sent,
        insert_every_field(
            owner, json={"a": {"b": [Decimal("1.23456789012345678901234567890123456789")]}}
        ),
        "json",
        EveryField,
        "39",
    )
    refused(
        sent,
        insert_every_field(owner, decimal=Decimal("1234567890123456789012345678.12345678901")),
        "decimal",
        EveryField,
    )
    # 38 digits fit, and so do trailing zeros beyond them.
    Connector(EveryField).insert(
        EveryField(owner=owner, created=CREATED, json=[int(digits39) // 10, Decimal("1E+100")])
    )
    assert Connector(EveryField).count() == 1


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")], ids=str)
def test_float_not_finite(sent, owner, value):
    refused(sent, insert_every_field(owner, floating=value), "floating", EveryField, "finite")
    refused(sent, insert_every_field(owner, json={"x": value}), "json", EveryField, "finite")
    refused(sent, insert_every_field(owner, json=[Decimal(value)]), "json", EveryField, "finite")
    refused(sent, insert_every_field(owner, decimal=Decimal(value)), "decimal", EveryField)


def test_float_out_of_range(sent, owner):
    for value in (1e300, -1e300, 1.7976931348623157e308, 1e126, 5e-324, 1e-131, 2.2e-308):
        refused(sent, insert_every_field(owner, floating=value), "floating", EveryField, "range")
    refused(sent, insert_every_field(owner, json={"x": 1e300}), "json", EveryField, "range")
    refused(sent, insert_every_field(owner, json=[5e-324]), "json", EveryField, "range")
    refused(sent, insert_every_field(owner, json=[Decimal("1E+126")]), "json", EveryField)


def test_integers_out_of_range(sent, owner):
    cases = [
        ("small", 32768),
        ("small", -32769),
        ("positive", -1),
        ("positive", 2**31),
        ("positive_small", -1),
        ("positive_small", 32768),
        ("integer", 2**31),
        ("integer", -(2**31) - 1),
        ("big", 2**63),
        ("big", -(2**63) - 1),
        ("positive_big", -1),
    ]
    for name, value in cases:
        refused(sent, insert_every_field(owner, **{name: value}), name, EveryField, "between")


def test_decimal_exceeding_max_digits_or_places(sent, owner):
    refused(
        sent,
        insert_every_field(owner, decimal=Decimal("1" * 29 + ".5")),
        "decimal",
        EveryField,
        "digits",
    )
    refused(
        sent,
        insert_every_field(owner, decimal=Decimal("0.00000000001")),
        "decimal",
        EveryField,
        "decimal places",
    )
    refused(
        sent,
        lambda: Connector(Pledge).insert(Pledge(owner=Owner.objects.create(), amount=10**10)),
        "amount",
        Pledge,
    )


# Strings, sizes, JSON


def test_charfield_over_max_length(sent, owner):
    refused(sent, insert_every_field(owner, char="x" * 51), "char", EveryField, "at most 50")
    refused(sent, insert_every_field(owner, choice="x" * 11), "choice", EveryField, "at most 10")
    refused(sent, insert_note(title="t" * 201), "title", Note, "at most 200")
    refused(sent, insert_every_field(owner, file="f" * 101), "file", EveryField, "at most 100")


def test_item_over_400_kb(sent, owner):
    refused(sent, insert_every_field(owner, text="x" * 410_000), "text", EveryField, "409600")
    refused(sent, insert_note(body="🎉" * 103_000), "body", Note, "bytes")
    refused(
        sent,
        insert_every_field(owner, json={"a": "x" * 210_000, "b": "y" * 210_000}),
        "json",
        EveryField,
        "bytes",
    )
    refused(
        sent,
        insert_every_field(owner, text="x" * 210_000, binary=b"\0" * 210_000),
        "text",
        EveryField,
        "bytes",
    )


def test_item_just_under_400_kb_is_stored(owner):
    instance = Connector(EveryField).insert(
        EveryField(owner=owner, created=CREATED, text="x" * 400_000)
    )
    assert len(Connector(EveryField).get_by_id(instance.pk).text) == 400_000


def test_json_keys_must_be_strings(sent, owner):
    refused(sent, insert_every_field(owner, json={1: "a"}), "json", EveryField, "int")
    refused(sent, insert_every_field(owner, json={"a": [{None: 1}]}), "json", EveryField)
    refused(sent, insert_every_field(owner, json={"a": {(1, 2): 3}}), "json", EveryField)


def test_json_values_must_be_json(sent, owner):
    for value in (
        {"a": object()},
        {"a": {1, 2}},
        [b"bytes"],
        {"when": datetime.date(2024, 1, 1)},
        {"id": uuid.uuid4()},
        object(),
    ):
        refused(sent, insert_every_field(owner, json=value), "json", EveryField, "not JSON")


def test_lone_surrogates(sent, owner):
    refused(sent, insert_every_field(owner, text="a\ud800b"), "text", EveryField, "unicode")
    refused(sent, insert_every_field(owner, char="\udfff"), "char", EveryField)
    refused(sent, insert_every_field(owner, json={"k": "\ud800"}), "json", EveryField)
    refused(sent, insert_every_field(owner, json={"\ud800": "v"}), "json", EveryField)
    refused(sent, insert_note(board="\ud800"), "board", Note)
    refused(sent, lambda: list(Connector(Note).select([("board", "\ud800")])), "board", Note)


# Types and nulls


def test_wrong_types(sent, owner):
    cases = [
        ("integer", "abc"),
        ("big", "12.5"),
        ("floating", "one"),
        ("decimal", "abc"),
        ("created", "not-a-date"),
        ("date", "2024-13-45"),
        ("time", "25:61"),
        ("uuid", "not-a-uuid"),
        ("duration", "forever"),
        ("boolean", "maybe"),
    ]
    for name, value in cases:
        refused(sent, insert_every_field(owner, **{name: value}), name, EveryField)
    refused(sent, insert_note(stars="abc"), "stars", Note)
    refused(
        sent,
        lambda: list(Connector(EveryField).select([("owner", owner), ("created", "nope")])),
        "created",
        EveryField,
    )
    refused(
        sent,
        lambda: Connector(EveryField).insert(EveryField(owner_id="not-a-uuid", created=CREATED)),
        "owner",
        EveryField,
    )


def test_none_in_a_non_null_field(sent):
    refused(sent, insert_note(body=None), "body", Note, "null")
    refused(sent, insert_note(stars=None), "stars", Note, "null")


# Reads: lookups and key conditions


def test_key_condition_on_a_non_key_field(sent):
    refused(
        sent,
        lambda: Connector(Note).select([("board", "b"), ("body", "x")]),
        "body",
        Note,
        "not a key",
    )
    refused(
        sent,
        lambda: Connector(Note).get([("board", "b"), ("title", "t"), ("stars", 1)]),
        "stars",
        Note,
    )


def test_select_without_partition_key(sent, owner):
    refused(sent, lambda: Connector(Note).select([("title", "t")]), "board", Note, "partition")
    refused(sent, lambda: Connector(Note).select([]), "board", Note, "partition")
    refused(
        sent,
        lambda: Connector(EveryField).select([("integer__gt", 1)], index="EveryFieldBySlug"),
        "slug",
        EveryField,
        "partition",
    )


def test_unknown_field(sent):
    refused(sent, lambda: Connector(Note).select([("board", "b"), ("nope", 1)]), "nope", Note)
    refused(sent, lambda: Connector(Note).get([("nope", "b")]), "nope", Note, "no field")
    refused(
        sent, lambda: Connector(Note).select([("board", "b")], filter=[("nope", 1)]), "nope", Note
    )
    refused(sent, lambda: Connector(Note).count(filter=[("nope__gt", 1)]), "nope", Note)
    refused(
        sent,
        lambda: Connector(Note).update(Note(board="b", title="t"), fields=["nope"]),
        "nope",
        Note,
    )


def test_unknown_lookup(sent):
    select = Connector(Note).select
    refused(sent, lambda: select([("board", "b"), ("title__regex", "x")]), "title", Note, "regex")
    refused(sent, lambda: select([("board", "b"), ("title__contains", "x")]), "title", Note)
    refused(sent, lambda: select([("board__gte", "b")]), "board", Note, "exact")
    refused(sent, lambda: select([("board", "b")], filter=[("body__iexact", "x")]), "body", Note)
    refused(sent, lambda: Connector(Note).get([("board", "b"), ("title__gt", "t")]), "title", Note)


def test_startswith_on_a_numeric_sort_key(sent, owner):
    refused(
        sent,
        lambda: Connector(EveryField).select([("owner", owner), ("created__startswith", "2024")]),
        "created",
        EveryField,
        "string",
    )
    refused(
        sent,
        lambda: Connector(Pledge).select([("owner", owner), ("amount__startswith", "1")]),
        "amount",
        Pledge,
        "string",
    )


def test_range_lookup_needs_a_pair(sent, owner):
    refused(
        sent,
        lambda: Connector(EveryField).select([("owner", owner), ("created__range", [CREATED])]),
        "created",
        EveryField,
        "pair",
    )


# Writes of existing items


def test_update_fields_naming_a_key_field(sent):
    note = Connector(Note).insert(Note(board="b", title="t", body="kept"))
    for name in ("board", "title", "id"):
        setattr(note, name, {"id": 999, "board": "b2", "title": "t2"}[name])
        with pytest.raises(exceptions.ValidationError) as info:
            Connector(Note).update(note, fields=[name, "body"])
        assert list(info.value.message_dict) == [name]
        assert "immutable" in str(info.value)
    stored = list(Connector(Note).all())
    assert [(n.board, n.title, n.body) for n in stored] == [("b", "t", "kept")]


def test_update_fields_with_an_invalid_value_changes_nothing(sent, owner):
    instance = Connector(EveryField).insert(
        EveryField(owner=owner, created=CREATED, small=1, char="before")
    )
    instance.small = 40000
    instance.char = "after"
    with pytest.raises(exceptions.ValidationError) as info:
        Connector(EveryField).update(instance, fields=["char", "small"])
    assert list(info.value.message_dict) == ["small"]
    table = Connector(EveryField).schema.table_name
    assert ("UpdateItem", table) not in sent
    stored = Connector(EveryField).get_by_id(instance.pk)
    assert (stored.small, stored.char, stored.version) == (1, "before", 1)


def test_a_refused_insert_leaves_the_instance_as_it_was(sent, owner):
    instance = EveryField(owner=owner, created=CREATED, small=10**6)
    with pytest.raises(exceptions.ValidationError):
        Connector(EveryField).insert(instance)
    assert instance.pk is None
    assert instance.version is None
    assert instance._state.adding


def test_a_refused_insert_sends_no_request_at_all(sent, owner):
    with pytest.raises(exceptions.ValidationError):
        insert_every_field(owner, small=10**6)()
    assert sent == []


def test_validation_error_is_a_django_validation_error():
    from django.core.exceptions import ValidationError as DjangoValidationError

    error = exceptions.ValidationError("field", "message")
    assert isinstance(error, DjangoValidationError)
    assert error.message_dict == {"field": ["message"]}
    assert str(exceptions.ValidationError(None, "whole")) == "whole"


def test_decimal_context_does_not_leak_into_validation():
    """A 39-digit number is refused whatever the thread's decimal precision."""
    with decimal.localcontext() as context:
        context.prec = 10
        converter = Connector(EveryField).schema.by_name["json"]
        with pytest.raises(exceptions.ValidationError):
            converter.to_dynamo([Decimal("123456789012345678901234567890123456789")])
        assert converter.to_dynamo([Decimal("1234567890.123")]) == [Decimal("1234567890.123")]


def test_sort_key_condition_over_1024_bytes_is_refused(sent, wide_keys):
    connector = Connector(wide_keys)
    list(connector.select([("name", "n"), ("part__gte", "p" * 1024)]))
    refused(
        sent,
        lambda: list(connector.select([("name", "n"), ("part__gte", "p" * 1025)])),
        "part",
        wide_keys,
        "1024",
    )


@pytest.mark.django_db
def test_integer_field_refuses_a_fraction_instead_of_truncating(sent, owner):
    refused(sent, insert_every_field(owner, integer=1.5), "integer", EveryField, "not an integer")
    refused(sent, lambda: Connector(Note).get_by_id(Decimal("2.5")), "id", Note, "not an integer")
    assert Connector(Note).get_by_id(2.0) is None
