"""The QuerySet's planner, through explain(): which request each QuerySet sends (none is sent).

No engine here: a request would fail at once (tests/unit/conftest.py).
"""

import datetime
import json
import uuid

import pytest
from django.core.exceptions import FieldError
from django.db.models import F, Q

from booking.models import Booking
from dynamodb.exceptions import UnsupportedOperation, ValidationError
from tests.testapp.models import Device, EveryField, Note

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def steps(queryset):
    return json.loads(queryset.explain(format="json"))


def only_step(queryset):
    (step,) = steps(queryset)
    return step


def test_the_partition_key_alone_is_a_query_of_the_table():
    step = only_step(Booking.objects.filter(user=1))
    assert step["operation"] == "query"
    assert step["KeyConditionExpression"] == "user = Decimal('1')"
    assert "IndexName" not in step and "FilterExpression" not in step
    assert step["ScanIndexForward"] is True and step["ConsistentRead"] is True


def test_a_full_key_is_a_get_item():
    step = only_step(Booking.objects.filter(user=1, date_at=T0))
    assert step["operation"] == "get_item"
    assert set(step["Key"]) == {"user", "date_at"}


def test_a_full_key_with_another_condition_is_a_query_with_a_filter():
    step = only_step(Booking.objects.filter(user=1, date_at=T0, name="Dinner"))
    assert step["operation"] == "query"
    assert "date_at = " in step["KeyConditionExpression"]
    assert step["FilterExpression"] == "name = 'Dinner'"


def test_a_model_keyed_by_its_id_gets_by_pk():
    device = uuid.uuid4()
    step = only_step(Device.objects.filter(pk=device))
    assert step["operation"] == "get_item"
    assert step["Key"] == {"id": repr(str(device))}


@pytest.mark.parametrize(
    ("lookup", "expression"),
    [
        ({"title": "b"}, "title = 'b'"),
        ({"title__lt": "b"}, "title < 'b'"),
        ({"title__lte": "b"}, "title <= 'b'"),
        ({"title__gt": "b"}, "title > 'b'"),
        ({"title__gte": "b"}, "title >= 'b'"),
        ({"title__range": ("b", "d")}, "title BETWEEN 'b' AND 'd'"),
        ({"title__startswith": "b"}, "begins_with(title, 'b')"),
    ],
)
def test_each_sort_key_lookup_is_part_of_the_key_condition(lookup, expression):
    step = only_step(Note.objects.filter(board="x", body="y", **lookup))
    assert expression in step["KeyConditionExpression"]
    assert step["FilterExpression"] == "body = 'y'"


def test_two_bounds_make_one_range_with_exclusive_bounds_made_inclusive():
    step = only_step(Booking.objects.filter(user=1, date_at__gt=T0, date_at__lt=T0.replace(day=2)))
    assert step["KeyConditionExpression"] == (
        "(user = Decimal('1') AND date_at BETWEEN Decimal('1767225600.000001') "
        "AND Decimal('1767311999.999999'))"
    )
    numbers = only_step(EveryField.objects.filter(slug="s", integer__gt=3, integer__lte=9))
    assert "integer BETWEEN Decimal('4') AND Decimal('9')" in numbers["KeyConditionExpression"]


def test_conditions_that_exclude_everything_send_nothing():
    for queryset in (
        Booking.objects.filter(user=1, date_at__gt=T0, date_at__lt=T0),
        Booking.objects.filter(user=1).filter(user=2),
        Booking.objects.filter(user=1, date_at=T0, date_at__gt=T0),
        Booking.objects.filter(user=1, pk__in=[]),
        Booking.objects.none(),
    ):
        assert steps(queryset) == []
        assert list(queryset) == []


def test_an_exact_sort_key_inside_other_bounds_is_kept():
    step = only_step(Booking.objects.filter(user=1, date_at=T0, date_at__gte=T0))
    assert step["operation"] == "get_item"


def test_filters_on_other_fields_and_q_objects_are_filter_expressions():
    step = only_step(
        Booking.objects.filter(Q(name="a") | Q(name__startswith="b"), user=1)
        .exclude(address="x")
        .filter(version__isnull=False, name__contains="n", address__in=["p", "q"])
    )
    assert step["KeyConditionExpression"] == "user = Decimal('1')"
    expression = step["FilterExpression"]
    for part in (
        "(name = 'a' OR begins_with(name, 'b'))",
        "(NOT address = 'x')",
        "attribute_exists(version)",
        "contains(name, 'n')",
        "address IN ('p', 'q')",
    ):
        assert part in expression


def test_a_condition_on_a_local_index_sort_key_chooses_that_index():
    step = only_step(Booking.objects.filter(user=1, date_for__gte=T0))
    assert step["IndexName"] == "BookingUserByDateFor"
    assert "date_for >= " in step["KeyConditionExpression"]


def test_order_by_a_local_index_sort_key_chooses_that_index():
    step = only_step(Booking.objects.filter(user=1).order_by("-date_for"))
    assert step["IndexName"] == "BookingUserByDateFor"
    assert step["ScanIndexForward"] is False
    assert only_step(Booking.objects.filter(user=1).order_by("date_at").reverse())[
        "ScanIndexForward"
    ] is (False)


def test_equality_on_a_global_index_partition_key_chooses_it():
    step = only_step(EveryField.objects.filter(slug="s", integer__gt=3))
    assert step["IndexName"] == "EveryFieldBySlug"
    assert step["ConsistentRead"] is False  # a GSI cannot be read consistently
    keys_only = only_step(EveryField.objects.filter(char="c"))
    assert keys_only["IndexName"] == "EveryFieldByChar"


def test_using_index_forces_an_index():
    step = only_step(Booking.objects.using_index("BookingUserByDateFor").filter(user=1))
    assert step["IndexName"] == "BookingUserByDateFor"
    with pytest.raises(UnsupportedOperation, match="needs an exact slug"):
        EveryField.objects.using_index("EveryFieldBySlug").filter(char="c").explain()
    with pytest.raises(ValidationError, match="has no index 'nope'"):
        Booking.objects.using_index("nope")


def test_pk_lookups_resolve_ids_then_read_the_items():
    single = steps(Booking.objects.filter(pk=5))
    assert [step["operation"] for step in single] == ["resolve ids", "get_item"]
    many = steps(Booking.objects.filter(pk__in=[5, 6, 5]))
    assert many[0]["ids"] == ["5", "6"]
    assert many[1]["operation"] == "batch_get_item"
    devices = steps(Device.objects.filter(pk__in=[uuid.uuid4(), uuid.uuid4()]))
    assert devices[0]["through"] == "nothing: the ids are the keys"
    assert devices[1]["operation"] == "batch_get_item"
    filtered = steps(Booking.objects.filter(pk=5, name="x"))
    assert filtered[1]["operation"] == "query"
    assert "name = 'x'" in filtered[1]["FilterExpression"]


def test_scan_only_on_request():
    with pytest.raises(UnsupportedOperation) as refused:
        Booking.objects.filter(name="Dinner").explain()
    message = str(refused.value)
    assert "booking.Booking" in message and "name" in message
    assert "user (the table)" in message and ".scan()" in message
    with pytest.raises(UnsupportedOperation, match="slug \\(index 'EveryFieldBySlug'\\)"):
        EveryField.objects.filter(integer=3).explain()
    step = only_step(Booking.objects.scan().filter(name="Dinner"))
    assert step["operation"] == "scan" and step["FilterExpression"] == "name = 'Dinner'"
    parallel = steps(Booking.objects.scan(segments=3))
    assert [(s["Segment"], s["TotalSegments"]) for s in parallel] == [(0, 3), (1, 3), (2, 3)]


def test_a_scan_has_no_order():
    with pytest.raises(UnsupportedOperation, match="no order"):
        Booking.objects.scan().order_by("date_at").explain()
    with pytest.raises(UnsupportedOperation, match="one direction"):
        Booking.objects.scan().reverse()
    assert not Booking.objects.scan().ordered and Booking.objects.filter(user=1).ordered


def test_order_only_on_a_sort_key():
    with pytest.raises(UnsupportedOperation, match="cannot be ordered by 'name'"):
        Booking.objects.filter(user=1).order_by("name")
    with pytest.raises(UnsupportedOperation, match="one sort key only"):
        Booking.objects.filter(user=1).order_by("date_at", "date_for")
    # The partition key orders nothing within one partition: allowed, ignored.
    assert only_step(Booking.objects.filter(user=1).order_by("user", "-date_at"))[
        "ScanIndexForward"
    ] is (False)


def test_conditions_a_query_cannot_filter_on_are_refused():
    with pytest.raises(UnsupportedOperation, match="date_at is a key of the table"):
        Booking.objects.filter(user=1).exclude(date_at=T0).explain()
    with pytest.raises(UnsupportedOperation, match="startswith cannot be combined"):
        Note.objects.filter(board="b", title__startswith="a", title__lt="m").explain()


def test_unknown_fields_lookups_and_relations_are_errors_before_any_request():
    with pytest.raises(FieldError, match="Cannot resolve keyword 'nme'.*Choices are: address"):
        Booking.objects.filter(nme="x")
    with pytest.raises(FieldError, match="Unsupported lookup 'foo'"):
        Booking.objects.filter(name__foo="x")
    with pytest.raises(UnsupportedOperation, match="refers to auth.User, which DynamoDB cannot"):
        Booking.objects.filter(user__username="ada")
    with pytest.raises(UnsupportedOperation, match="case-sensitively"):
        Booking.objects.filter(name__iexact="x")
    with pytest.raises(UnsupportedOperation, match="no transforms"):
        Booking.objects.filter(date_at__year=2026)
    with pytest.raises(UnsupportedOperation, match="not with other fields"):
        Booking.objects.filter(name=F("address"))
    with pytest.raises(ValidationError, match="takes a non-empty list \\(version__in\\)"):
        Booking.objects.filter(user=1, version__in="abc")


def test_the_relation_is_named_as_in_django():
    expected = only_step(Booking.objects.filter(user=7))["KeyConditionExpression"]
    for lookups in ({"user_id": 7}, {"user__pk": 7}, {"user__id": 7}):
        assert only_step(Booking.objects.filter(**lookups))["KeyConditionExpression"] == expected


def test_none_is_isnull():
    step = only_step(Booking.objects.filter(user=1, version=None))
    assert step["FilterExpression"] == "attribute_not_exists(version)"


def test_slices():
    assert "10 read and skipped" in only_step(Booking.objects.filter(user=1)[10:20])["read"]
    with pytest.raises(ValueError, match="Negative indexing"):
        Booking.objects.filter(user=1)[-1]
    with pytest.raises(ValueError, match="Negative indexing"):
        Booking.objects.filter(user=1)[-5:]
    with pytest.raises(TypeError, match="once a slice has been taken"):
        Booking.objects.filter(user=1)[:5].filter(name="x")
    with pytest.raises(TypeError):
        Booking.objects.filter(user=1)["a"]


@pytest.mark.parametrize(
    "method",
    [
        "annotate",
        "aggregate",
        "alias",
        "distinct",
        "extra",
        "raw",
        "select_for_update",
        "union",
        "dates",
        "datetimes",
    ],
)
def test_unsupported_methods_say_what_to_do(method):
    with pytest.raises(UnsupportedOperation) as refused:
        getattr(Booking.objects.filter(user=1), method)()
    assert "booking.Booking" in str(refused.value)
    assert f"{method}()" in str(refused.value) and ": " in str(refused.value)
    with pytest.raises(UnsupportedOperation):
        getattr(Booking.objects, method)()


def test_values_and_only_project_the_fields():
    step = only_step(Booking.objects.filter(user=1).values("name"))
    assert step["ProjectionExpression"].startswith("id, user, date_at, version, name")
    only = only_step(Booking.objects.filter(user=1).only("name"))
    assert "address" not in only["ProjectionExpression"]
    deferred = only_step(Booking.objects.filter(user=1).defer("address"))
    assert "address" not in deferred["ProjectionExpression"]
    assert "name" in deferred["ProjectionExpression"]
    with pytest.raises(FieldError, match="no field 'nope'"):
        Booking.objects.values("nope")


def test_querysets_are_immutable_and_lazy():
    base = Booking.objects.filter(user=1)
    narrowed = base.filter(name="x")
    assert "FilterExpression" not in only_step(base)
    assert only_step(narrowed)["FilterExpression"] == "name = 'x'"
    reordered = base.order_by("-date_at")
    assert only_step(base)["ScanIndexForward"] is True
    assert only_step(reordered)["ScanIndexForward"] is False
