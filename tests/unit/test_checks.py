"""System checks: a model's DynamoDB declaration and the DYNAMODB_* settings.

Models are declared inside ``isolate_apps`` so that the broken ones never
reach the project's app registry (nor the table fixtures).
"""

import io
import re

import pytest
from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test import override_settings
from django.test.utils import isolate_apps

from dynamodb.checks import check_settings
from dynamodb.connector import Connector
from dynamodb.models import DynamoCompatibleModel, GlobalIndex, LocalIndex
from dynamodb.storage.declarations import declaration_errors
from dynamodb.storage.schema import is_dynamo_model

APP = "tests.testapp"


def target():
    """An SQL model with a UUID primary key, in the current isolated registry."""
    return type(
        "Target",
        (models.Model,),
        {
            "__module__": "tests.testapp.models",
            "id": models.UUIDField(primary_key=True),
            "name": models.CharField(max_length=10, default="x"),
        },
    )


def dynamo_model(name="Item", meta=None, **body):
    """A DynamoCompatibleModel subclass; valid unless ``body`` says otherwise.

    Defaults: table "Items", partition key "group" (CharField), sort key "at"
    (DateTimeField). Pass ``group=None`` etc. to drop a field.
    """
    attributes = {
        "__module__": "tests.testapp.models",
        "table_name": "Items",
        "partition_key": "group",
        "sort_key": "at",
        "group": models.CharField(max_length=20),
        "at": models.DateTimeField(),
        "label": models.CharField(max_length=20, blank=True),
    }
    attributes.update(body)
    attributes = {key: value for key, value in attributes.items() if value is not None}
    if meta is not None:
        attributes["Meta"] = meta
    return type(name, (DynamoCompatibleModel,), attributes)


def ids_of(model):
    """The ids of every check message of a model (Django's own and dynamodb's)."""
    return sorted(message.id for message in model.check())


def dynamo_messages(model):
    return [message for message in model.check() if message.id.startswith("dynamodb.")]


def assert_only(model, *expected, mentions=()):
    """The model's check messages are exactly ``expected`` (ids), each an Error about it."""
    messages = model.check()
    assert sorted(message.id for message in messages) == sorted(expected), [
        str(message) for message in messages
    ]
    for message in messages:
        assert isinstance(message, checks.Error)
        assert message.obj is model
        assert message.hint
    text = " ".join(message.msg for message in messages)
    for word in mentions:
        assert word in text, text
    refused_by_the_schema(model, expected)
    return messages


def refused_by_the_schema(model, expected):
    """The schema refuses what the checks report, naming one of the same checks."""
    with pytest.raises(ImproperlyConfigured) as info:
        Connector(model)
    assert re.search(r"\((dynamodb\.E\d{3})\)$", str(info.value)).group(1) in expected


@isolate_apps(APP)
def test_a_correct_model_has_no_errors():
    owner = target()
    model = dynamo_model(
        owner=models.ForeignKey(owner, on_delete=models.CASCADE),
        partition_key="owner",
        version=models.IntegerField(null=True),
        version_field="version",
        expires=models.DateTimeField(null=True),
        ttl_field="expires",
        payload=models.JSONField(null=True),
        flag=models.BooleanField(default=False),
        secondary_indexes=[
            GlobalIndex("ByLabel", partition_key="label", sort_key="at"),
            GlobalIndex("ByGroup", partition_key="group", projection=["label", "flag"]),
            LocalIndex("ByExpiry", sort_key="expires", projection="KEYS_ONLY"),
        ],
    )
    assert model.check() == []
    assert declaration_errors(model) == []
    assert Connector(model).schema.table.partition.name == "owner"


@isolate_apps(APP)
def test_a_model_inheriting_the_base_meta_is_unmanaged_and_valid():
    class Meta(DynamoCompatibleModel.Meta):
        ordering = ["at"]

    model = dynamo_model(meta=Meta)
    assert model._meta.managed is False
    assert not model._meta.abstract
    assert ids_of(model) == []


def test_the_project_models_have_no_errors():
    dynamo = [model for model in apps.get_models() if is_dynamo_model(model)]
    assert {model.__name__ for model in dynamo} >= {"EveryField", "Note", "Device", "Pledge"}
    for model in dynamo:
        assert model.check() == [], model


def test_manage_py_check_passes():
    out = io.StringIO()
    call_command("check", stdout=out)
    assert "System check identified no issues" in out.getvalue()


def test_manage_py_check_fails_on_bad_settings():
    with (
        override_settings(DYNAMODB_READ_TIMEOUT=0),
        pytest.raises(SystemCheckError, match=r"dynamodb\.E100"),
    ):
        call_command("check")


# E001 table_name


@pytest.mark.parametrize("table_name", ["", "ab", "bad name!", 123, "x" * 256, "ünï"])
@isolate_apps(APP)
def test_e001_invalid_table_name(table_name):
    assert_only(dynamo_model(table_name=table_name), "dynamodb.E001", mentions=["table_name"])


@isolate_apps(APP)
def test_e001_missing_table_name():
    model = dynamo_model(table_name=None)
    assert model.table_name is None
    assert_only(model, "dynamodb.E001")


@pytest.mark.parametrize("table_name", ["abc", "My.Table-1_x", "x" * 255])
@isolate_apps(APP)
def test_e001_valid_table_names(table_name):
    assert ids_of(dynamo_model(table_name=table_name)) == []


# E002 partition_key, E003 sort_key


@isolate_apps(APP)
def test_e002_missing_partition_key():
    model = dynamo_model(partition_key=None)
    assert_only(model, "dynamodb.E002", mentions=["partition_key"])


@pytest.mark.parametrize("partition_key", ["nope", "group_id", 5, "label__x"])
@isolate_apps(APP)
def test_e002_unknown_partition_key(partition_key):
    assert_only(
        dynamo_model(partition_key=partition_key), "dynamodb.E002", mentions=["partition_key"]
    )


@isolate_apps(APP)
def test_e002_names_the_unknown_field():
    messages = assert_only(dynamo_model(partition_key="nope"), "dynamodb.E002")
    assert "'nope'" in messages[0].msg


@isolate_apps(APP)
def test_e003_unknown_sort_key():
    messages = assert_only(dynamo_model(sort_key="nope"), "dynamodb.E003")
    assert "'nope'" in messages[0].msg


@isolate_apps(APP)
def test_e003_sort_key_same_as_partition_key():
    assert_only(dynamo_model(sort_key="group"), "dynamodb.E003", mentions=["partition key"])


@isolate_apps(APP)
def test_no_sort_key_is_valid():
    assert ids_of(dynamo_model(sort_key=None)) == []


# E004 nullable key, E005 key type


@isolate_apps(APP)
def test_e004_nullable_partition_key():
    model = dynamo_model(group=models.CharField(max_length=20, null=True))
    assert_only(model, "dynamodb.E004", mentions=["'group'", "nullable"])


@isolate_apps(APP)
def test_e004_nullable_sort_key():
    assert_only(dynamo_model(at=models.DateTimeField(null=True)), "dynamodb.E004")


@isolate_apps(APP)
def test_e005_json_partition_key():
    model = dynamo_model(group=models.JSONField())
    assert_only(model, "dynamodb.E005", mentions=["'group'", "JSONField"])


@isolate_apps(APP)
def test_e005_boolean_sort_key():
    model = dynamo_model(at=models.BooleanField(default=False))
    assert_only(model, "dynamodb.E005", mentions=["BooleanField"])


@isolate_apps(APP)
def test_e004_and_e005_together():
    assert_only(dynamo_model(group=models.JSONField(null=True)), "dynamodb.E004", "dynamodb.E005")


@pytest.mark.parametrize(
    "field",
    [
        lambda: models.UUIDField(),
        lambda: models.IntegerField(),
        lambda: models.DecimalField(max_digits=5, decimal_places=2),
        lambda: models.DateField(),
        lambda: models.BinaryField(),
        lambda: models.SlugField(),
    ],
    ids=["uuid", "integer", "decimal", "date", "binary", "slug"],
)
@isolate_apps(APP)
def test_valid_key_types(field):
    assert ids_of(dynamo_model(group=field())) == []


# E006 secondary indexes


@pytest.mark.parametrize(
    ("indexes", "mention"),
    [
        ([GlobalIndex("ByNope", partition_key="nope")], "'nope'"),
        ([GlobalIndex("ByLabel", partition_key="label", sort_key="nope")], "'nope'"),
        ([LocalIndex("ByNope", sort_key="nope")], "'nope'"),
        ([GlobalIndex("ByData", partition_key="data")], "'data'"),
        ([GlobalIndex("ByLabel", partition_key="label", projection="SOME")], "'SOME'"),
        ([GlobalIndex("ByLabel", partition_key="label", projection=["nope"])], "unknown field"),
        ([LocalIndex("ByLabel", sort_key="label", projection="INCLUDE")], "'INCLUDE'"),
        (
            [
                GlobalIndex("Twice", partition_key="label"),
                LocalIndex("Twice", sort_key="label"),
            ],
            "'Twice'",
        ),
        ([GlobalIndex("x", partition_key="label")], "'x'"),
        ([GlobalIndex("bad name", partition_key="label")], "'bad name'"),
        (["ByLabel"], "'ByLabel'"),
        ([LocalIndex(f"Local{n}", sort_key="label") for n in range(6)], "more secondary"),
        ([GlobalIndex(f"Global{n}", partition_key="label") for n in range(20)], "more secondary"),
    ],
    ids=[
        "gsi-unknown-partition",
        "gsi-unknown-sort",
        "lsi-unknown-sort",
        "gsi-json-key",
        "bad-projection",
        "projection-unknown-field",
        "lsi-bad-projection",
        "duplicate-name",
        "short-name",
        "invalid-name",
        "not-an-index",
        "too-many-local",
        "too-many-global",
    ],
)
@isolate_apps(APP)
def test_e006_bad_index(indexes, mention):
    model = dynamo_model(data=models.JSONField(null=True), secondary_indexes=indexes)
    messages = model.check()
    assert messages, "an E006 error was expected"
    assert {message.id for message in messages} == {"dynamodb.E006"}
    assert all(message.obj is model and message.hint for message in messages)
    assert any(mention in message.msg for message in messages), [m.msg for m in messages]
    refused_by_the_schema(model, ["dynamodb.E006"])


@isolate_apps(APP)
def test_e006_index_limits_are_allowed():
    model = dynamo_model(
        secondary_indexes=[LocalIndex(f"Local{n}", sort_key="label") for n in range(5)]
        + [GlobalIndex(f"Global{n}", partition_key="label") for n in range(19)]
    )
    assert ids_of(model) == []


# E007 ttl_field, E008 version_field


@isolate_apps(APP)
def test_e007_ttl_on_a_char_field():
    assert_only(dynamo_model(ttl_field="label"), "dynamodb.E007", mentions=["'label'"])


@isolate_apps(APP)
def test_e007_ttl_on_an_unknown_field():
    assert_only(dynamo_model(ttl_field="nope"), "dynamodb.E007")


@isolate_apps(APP)
def test_ttl_on_an_integer_field_is_valid():
    model = dynamo_model(expires_at=models.BigIntegerField(null=True), ttl_field="expires_at")
    assert ids_of(model) == []


@isolate_apps(APP)
def test_e008_version_on_a_char_field():
    assert_only(dynamo_model(version_field="label"), "dynamodb.E008", mentions=["'label'"])


@isolate_apps(APP)
def test_e008_version_on_a_key():
    model = dynamo_model(at=models.IntegerField(), version_field="at")
    assert_only(model, "dynamodb.E008", mentions=["'at'"])


@isolate_apps(APP)
def test_e008_version_on_an_unknown_field():
    assert_only(dynamo_model(version_field="nope"), "dynamodb.E008")


@isolate_apps(APP)
def test_e008_version_on_a_float_field():
    model = dynamo_model(version=models.FloatField(null=True), version_field="version")
    assert_only(model, "dynamodb.E008")


# E009 unsupported fields


@isolate_apps(APP)
def test_e009_many_to_many():
    model = dynamo_model(tags=models.ManyToManyField(target()))
    messages = [m for m in model.check() if m.id.startswith("dynamodb.")]
    assert [m.id for m in messages] == ["dynamodb.E009"]
    assert "tags" in messages[0].msg
    with pytest.raises(ImproperlyConfigured, match=r"dynamodb\.E009"):
        Connector(model)


@isolate_apps(APP)
def test_e009_field_without_a_dynamodb_type():
    class PointField(models.Field):
        def get_internal_type(self):
            return "PointField"

    model = dynamo_model(where=PointField(null=True))
    assert_only(model, "dynamodb.E009", mentions=["where", "PointField"])


@isolate_apps(APP)
def test_custom_field_with_a_builtin_internal_type_is_valid():
    class UpperField(models.CharField):
        pass

    assert ids_of(dynamo_model(label=UpperField(max_length=5, blank=True))) == []


# E010 managed


@isolate_apps(APP)
def test_e010_meta_not_inheriting_the_base_meta():
    class Meta:
        pass

    model = dynamo_model(meta=Meta)
    assert model._meta.managed is True
    assert_only(model, "dynamodb.E010", mentions=["managed"])


@isolate_apps(APP)
def test_e010_explicitly_managed():
    class Meta(DynamoCompatibleModel.Meta):
        managed = True

    assert_only(dynamo_model(meta=Meta), "dynamodb.E010")


@isolate_apps(APP)
def test_e010_subclass_of_a_dynamodb_model():
    base = dynamo_model(name="Base")

    class Meta:
        pass

    child = type(
        "Child",
        (base,),
        {"__module__": "tests.testapp.models", "Meta": Meta, "table_name": "Children"},
    )
    assert "dynamodb.E010" in ids_of(child)


# E011 primary key type, E012 key relations, E013 attributes


@isolate_apps(APP)
def test_e011_primary_key_without_a_key_type():
    model = dynamo_model(id=models.JSONField(primary_key=True))
    assert "dynamodb.E011" in [m.id for m in dynamo_messages(model)]


@pytest.mark.parametrize(
    ("on_delete", "null", "expected"),
    [
        (models.SET_DEFAULT, False, ["dynamodb.E012"]),
        (models.SET_NULL, True, ["dynamodb.E004", "dynamodb.E012"]),
        (models.SET("00000000-0000-0000-0000-000000000000"), False, ["dynamodb.E012"]),
        (models.CASCADE, False, []),
        (models.PROTECT, False, []),
        (models.RESTRICT, False, []),
        (models.DO_NOTHING, False, []),
    ],
    ids=["set-default", "set-null", "set", "cascade", "protect", "restrict", "do-nothing"],
)
@isolate_apps(APP)
def test_e012_key_relation_on_delete(on_delete, null, expected):
    owner = target()
    model = dynamo_model(
        owner=models.ForeignKey(owner, on_delete=on_delete, null=null, default=None),
        partition_key="owner",
    )
    assert sorted(m.id for m in model.check()) == expected
    if expected:
        assert_only(model, *expected, mentions=["'owner'"])


@isolate_apps(APP)
def test_e012_only_applies_to_keys():
    owner = target()
    model = dynamo_model(owner=models.ForeignKey(owner, on_delete=models.SET_NULL, null=True))
    assert ids_of(model) == []


@isolate_apps(APP)
def test_e013_two_fields_stored_under_one_attribute():
    model = dynamo_model(other=models.CharField(max_length=5, db_column="label", blank=True))
    messages = dynamo_messages(model)
    assert [m.id for m in messages] == ["dynamodb.E013"]
    assert "label" in messages[0].msg


# Settings: E100, E101, E102


def setting_errors():
    return {(error.id, error.msg.split(" is ")[0]) for error in check_settings()}


def test_default_settings_pass():
    assert check_settings() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DYNAMODB_READ_TIMEOUT", -1),
        ("DYNAMODB_READ_TIMEOUT", 0),
        ("DYNAMODB_CONNECT_TIMEOUT", "2"),
        ("DYNAMODB_CONNECT_TIMEOUT", True),
        ("DYNAMODB_WAITER_DELAY", None),
    ],
)
def test_e100_timeouts_must_be_positive_numbers(setting, value):
    with override_settings(**{setting: value}):
        errors = check_settings()
    assert [(e.id, e.msg) for e in errors] == [("dynamodb.E100", f"{setting} is {value!r}.")]
    assert all(isinstance(error, checks.Error) and error.hint for error in errors)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DYNAMODB_MAX_ATTEMPTS", 0),
        ("DYNAMODB_MAX_ATTEMPTS", -3),
        ("DYNAMODB_MAX_ATTEMPTS", 1.5),
        ("DYNAMODB_MAX_ATTEMPTS", False),
        ("DYNAMODB_ID_BLOCK_SIZE", 0),
        ("DYNAMODB_ID_CACHE_SIZE", "10"),
        ("DYNAMODB_WAITER_MAX_ATTEMPTS", None),
    ],
)
def test_e101_counts_must_be_positive_integers(setting, value):
    with override_settings(**{setting: value}):
        errors = check_settings()
    assert [(e.id, e.msg) for e in errors] == [("dynamodb.E101", f"{setting} is {value!r}.")]


@pytest.mark.parametrize("setting", ["DYNAMODB_TABLE_PREFIX", "DYNAMODB_REGION"])
def test_e102_names_must_be_strings(setting):
    with override_settings(**{setting: None}):
        assert [e.id for e in check_settings()] == ["dynamodb.E102"]


def test_valid_non_default_settings_pass():
    with override_settings(
        DYNAMODB_READ_TIMEOUT=0.5, DYNAMODB_MAX_ATTEMPTS=1, DYNAMODB_TABLE_PREFIX=""
    ):
        assert check_settings() == []


def test_several_bad_settings_are_all_reported():
    with override_settings(DYNAMODB_READ_TIMEOUT=-1, DYNAMODB_MAX_ATTEMPTS=0):
        assert setting_errors() == {
            ("dynamodb.E100", "DYNAMODB_READ_TIMEOUT"),
            ("dynamodb.E101", "DYNAMODB_MAX_ATTEMPTS"),
        }


def test_settings_check_is_registered():
    assert check_settings in checks.registry.registry.get_checks()
