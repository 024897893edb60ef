"""The REST API over HTTP: every route and method, create/read/update/delete semantics.

Booking at /api/dynamo/booking/ (owned by users) and the test app's EveryField at
/api/test/everyfield/ (shared, partitioned by an SQL Owner), through DRF's APIClient
against the real engine. Writes are checked by reading the stored item back.
"""

import datetime
import decimal

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.rest.viewsets import KEY_IMMUTABLE
from dynamodb.storage import atomic
from dynamodb.wire import client
from tests.api_helpers import BOOKINGS, EVERY, booking_url, client_for, every_url
from tests.testapp.models import EveryField, Owner

# Every test runs against both viewsets (tests/api/conftest.py: viewset).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("viewset")]

WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=datetime.UTC)


@pytest.fixture
def owner():
    return Owner.objects.create(name="acme")


def stored_bookings():
    """Every booking in the table, as the engine holds it."""
    return list(Connector(Booking).all())


def raw_items(model):
    """The raw items of a model's table (attribute -> typed value)."""
    return client.get_client().scan(TableName=Connector(model).schema.table_name)["Items"]


def raw_item(model, pk):
    (item,) = [item for item in raw_items(model) if item["id"] == {"N": str(pk)}]
    return item


def create_booking(user, **values):
    values = {"name": "Dinner", "address": "1 Main St", **values}
    return Connector(Booking).insert(Booking(user=user, **values))


def as_dict(booking):
    return {
        "id": booking.id,
        "user_id": booking.user_id,
        "date_at": booking.date_at,
        "date_for": booking.date_for,
        "address": booking.address,
        "name": booking.name,
    }


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


# Every route and method, for the owner


def test_create_returns_201_with_the_stored_item_and_its_id(ada):
    response = client_for(ada).post(
        BOOKINGS,
        {"name": "Dinner", "address": "1 Main St", "date_for": "2026-05-01T19:30:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert isinstance(body["id"], int) and body["id"] > 0
    assert body["user"] == ada.pk
    assert body["name"] == "Dinner" and body["address"] == "1 Main St"
    assert body["date_for"] == "2026-05-01T19:30:00Z"
    (stored,) = stored_bookings()
    assert stored.id == body["id"]
    assert stored.user_id == ada.pk
    assert iso(stored.date_at) == body["date_at"]


def test_create_defaults_date_at_to_now(ada):
    before = datetime.datetime.now(datetime.UTC)
    response = client_for(ada).post(BOOKINGS, {"name": "Now", "address": "here"}, format="json")
    after = datetime.datetime.now(datetime.UTC)
    assert response.status_code == 201, response.content
    (stored,) = stored_bookings()
    assert before <= stored.date_at <= after


def test_create_keeps_a_given_date_at_to_the_microsecond(ada):
    response = client_for(ada).post(
        BOOKINGS, {"name": "Past", "address": "there", "date_at": iso(WHEN)}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["date_at"] == "2026-03-04T05:06:07.123456Z"
    (stored,) = stored_bookings()
    assert stored.date_at == WHEN


def test_list_returns_the_users_bookings_in_date_at_order(ada):
    later = create_booking(ada, name="Later", date_at=WHEN + datetime.timedelta(hours=1))
    earlier = create_booking(ada, name="Earlier", date_at=WHEN)
    response = client_for(ada).get(BOOKINGS)
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    assert [item["id"] for item in body["results"]] == [earlier.id, later.id]
    assert body["results"][0] == {
        "id": earlier.id,
        "user": ada.pk,
        "date_at": "2026-03-04T05:06:07.123456Z",
        "date_for": iso(earlier.date_for),
        "address": "1 Main St",
        "name": "Earlier",
        "version": 1,
    }


def test_retrieve_returns_the_item(ada):
    booking = create_booking(ada, name="Lunch", date_at=WHEN)
    response = client_for(ada).get(booking_url(booking.id))
    assert response.status_code == 200
    assert response.json() == {
        "id": booking.id,
        "user": ada.pk,
        "date_at": "2026-03-04T05:06:07.123456Z",
        "date_for": iso(booking.date_for),
        "address": "1 Main St",
        "name": "Lunch",
        "version": 1,
    }
    assert response.headers["ETag"] == '"1"'


def test_put_replaces_the_fields(ada):
    booking = create_booking(ada, date_at=WHEN)
    response = client_for(ada).put(
        booking_url(booking.id),
        {"name": "Brunch", "address": "2 High St", "date_for": "2026-06-01T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Brunch"
    (stored,) = stored_bookings()
    assert (stored.id, stored.date_at, stored.name, stored.address) == (
        booking.id,
        WHEN,
        "Brunch",
        "2 High St",
    )
    assert stored.date_for == datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC)


def test_put_needs_every_required_field(ada):
    booking = create_booking(ada)
    response = client_for(ada).put(booking_url(booking.id), {"name": "Only"}, format="json")
    assert response.status_code == 400
    assert "address" in response.json()
    assert as_dict(stored_bookings()[0]) == as_dict(booking)


def test_patch_writes_only_the_fields_sent(ada):
    booking = create_booking(ada, name="Dinner", address="1 Main St")
    response = client_for(ada).patch(
        booking_url(booking.id), {"address": "9 Side St"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["address"] == "9 Side St"
    assert response.json()["name"] == "Dinner"
    (stored,) = stored_bookings()
    assert as_dict(stored) == {**as_dict(booking), "address": "9 Side St"}


def test_patch_with_an_empty_body_changes_nothing(ada):
    booking = create_booking(ada)
    response = client_for(ada).patch(booking_url(booking.id), {}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == booking.id
    assert as_dict(stored_bookings()[0]) == as_dict(booking)


def test_delete_removes_the_item_and_a_second_delete_is_404(ada):
    booking = create_booking(ada)
    user_api = client_for(ada)
    response = user_api.delete(booking_url(booking.id))
    assert response.status_code == 204
    assert response.content == b""
    assert stored_bookings() == []
    assert user_api.delete(booking_url(booking.id)).status_code == 404
    assert user_api.get(booking_url(booking.id)).status_code == 404


def test_a_missing_id_is_404_for_every_method(ada):
    create_booking(ada)
    for method in ["get", "put", "patch", "delete"]:
        response = getattr(client_for(ada), method)(
            booking_url(987654), {"name": "x", "address": "y"}, format="json"
        )
        assert response.status_code == 404, method
        assert "detail" in response.json()
    assert len(stored_bookings()) == 1


def test_an_id_too_large_for_dynamodb_is_404_not_500(ada):
    response = client_for(ada).get(booking_url(10**40))
    assert response.status_code == 404


def test_methods_not_routed_are_405(ada):
    booking = create_booking(ada)
    user_api = client_for(ada)
    assert user_api.delete(BOOKINGS).status_code == 405
    assert user_api.put(BOOKINGS, {}, format="json").status_code == 405
    assert user_api.post(booking_url(booking.id), {}, format="json").status_code == 405
    assert len(stored_bookings()) == 1


def test_options_describes_list_and_detail(ada):
    booking = create_booking(ada)
    user_api = client_for(ada)
    listing = user_api.options(BOOKINGS)
    assert listing.status_code == 200
    assert "POST" in listing.json()["actions"]
    detail = user_api.options(booking_url(booking.id))
    assert detail.status_code == 200
    assert "PUT" in detail.json()["actions"]


# Create: conflicts and the body


def test_duplicate_key_is_409_and_the_first_booking_is_unchanged(ada):
    user_api = client_for(ada)
    first = user_api.post(
        BOOKINGS, {"name": "First", "address": "a", "date_at": iso(WHEN)}, format="json"
    )
    assert first.status_code == 201
    second = user_api.post(
        BOOKINGS, {"name": "Second", "address": "b", "date_at": iso(WHEN)}, format="json"
    )
    assert second.status_code == 409
    assert "already exists" in second.json()["detail"]
    (stored,) = stored_bookings()
    assert (stored.id, stored.name, stored.address) == (first.json()["id"], "First", "a")
    assert user_api.get(booking_url(first.json()["id"])).json() == first.json()


def test_unknown_fields_are_400_naming_them_and_nothing_is_written(ada):
    response = client_for(ada).post(
        BOOKINGS, {"name": "x", "address": "y", "colour": "red", "zz": 1}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"colour", "zz"}
    assert stored_bookings() == []


def test_a_browser_form_with_its_csrf_token_creates_the_booking(ada):
    """DRF's browsable API posts an HTML form, which carries Django's CSRF token."""
    response = client_for(ada).post(
        BOOKINGS,
        {"name": "x", "address": "y", "csrfmiddlewaretoken": "token"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert [b.name for b in stored_bookings()] == ["x"]


def test_unknown_fields_in_a_patch_are_400_and_nothing_is_written(ada):
    booking = create_booking(ada)
    response = client_for(ada).patch(
        booking_url(booking.id), {"name": "changed", "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["colour"]
    assert as_dict(stored_bookings()[0]) == as_dict(booking)


def test_the_id_in_a_body_is_ignored(ada):
    existing = create_booking(ada, date_at=WHEN)
    response = client_for(ada).post(
        BOOKINGS, {"id": existing.id, "name": "x", "address": "y"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["id"] != existing.id
    assert len(stored_bookings()) == 2


# Key fields change in one transaction (delete the old item, insert the new), or not at all


def test_changing_date_at_moves_the_booking_in_one_transaction(ada):
    booking = create_booking(ada, date_at=WHEN)
    user_api = client_for(ada)
    moved = WHEN + datetime.timedelta(microseconds=1)
    patch = user_api.patch(
        booking_url(booking.id), {"date_at": iso(moved), "name": "n"}, format="json"
    )
    if not atomic.supported():
        assert patch.status_code == 400
        assert patch.json() == {"date_at": [KEY_IMMUTABLE]}
        assert as_dict(stored_bookings()[0]) == as_dict(booking)
        return
    assert patch.status_code == 200, patch.content
    assert patch["ETag"] == f'"{booking.version + 1}"'
    (stored,) = stored_bookings()
    assert (stored.id, stored.date_at, stored.name) == (booking.id, moved, "n")
    assert user_api.get(booking_url(booking.id)).json()["date_at"] == iso(moved)
    assert Connector(Booking).get([("user", ada), ("date_at", WHEN)]) is None
    # The old version is gone: a write on it is a 412, and nothing changes.
    stale = user_api.patch(
        booking_url(booking.id), {"name": "x"}, format="json", HTTP_IF_MATCH=f'"{booking.version}"'
    )
    assert stale.status_code == 412
    taken = create_booking(ada, date_at=WHEN)
    clash = user_api.patch(booking_url(booking.id), {"date_at": iso(WHEN)}, format="json")
    assert clash.status_code == 409
    assert {b.id for b in stored_bookings()} == {booking.id, taken.id}


def test_sending_the_same_date_at_is_allowed(ada):
    booking = create_booking(ada, date_at=WHEN)
    response = client_for(ada).patch(
        booking_url(booking.id),
        {"date_at": "2026-03-04T05:06:07.123456Z", "name": "Same"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert stored_bookings()[0].name == "Same"


def test_staff_can_move_a_booking_to_another_user(ada, bob, staff):
    booking = create_booking(ada)
    response = client_for(staff).patch(booking_url(booking.id), {"user": bob.pk}, format="json")
    if not atomic.supported():
        assert response.status_code == 400
        assert stored_bookings()[0].user_id == ada.pk
        return
    assert response.status_code == 200, response.content
    assert [(b.id, b.user_id) for b in stored_bookings()] == [(booking.id, bob.pk)]
    assert client_for(ada).get(booking_url(booking.id)).status_code == 404
    assert client_for(bob).get(booking_url(booking.id)).status_code == 200


def test_staff_put_with_the_same_user_is_allowed(ada, staff):
    booking = create_booking(ada)
    response = client_for(staff).put(
        booking_url(booking.id), {"user": ada.pk, "name": "S", "address": "A"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (stored_bookings()[0].user_id, stored_bookings()[0].name) == (ada.pk, "S")


# Malformed bodies: 400 with field errors, nothing written


WRONG_TYPES = [
    ({"name": ["a"], "address": "y"}, "name"),
    ({"name": {"a": 1}, "address": "y"}, "name"),
    ({"name": "x", "address": "y", "date_at": 12}, "date_at"),
    ({"name": "x", "address": "y", "date_for": "tomorrow"}, "date_for"),
    ({"name": "x", "address": "y" * 256}, "address"),
    ({"name": "x"}, "address"),
]


def test_wrong_types_are_400_naming_the_field(ada):
    for body, field in WRONG_TYPES:
        response = client_for(ada).post(BOOKINGS, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), body
    assert stored_bookings() == []


def test_malformed_json_is_400_and_nothing_is_written(ada):
    for content in ['{"name": "x", "address": ', "[1, 2", '{"name": NaN, "address": "y"}', "\x00"]:
        response = client_for(ada).post(BOOKINGS, content, content_type="application/json")
        assert response.status_code == 400, content
        assert "JSON parse error" in response.json()["detail"]
    assert stored_bookings() == []


def test_a_list_body_is_400(ada):
    response = client_for(ada).post(BOOKINGS, [{"name": "x", "address": "y"}], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert stored_bookings() == []


def test_an_unsupported_content_type_is_415(ada):
    response = client_for(ada).post(BOOKINGS, "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert stored_bookings() == []


# The shared EveryField route: falsy values, nulls, numbers DynamoDB cannot hold


@pytest.fixture
def every(owner, ada):
    response = client_for(ada).post(
        EVERY,
        {
            "owner": str(owner.pk),
            "char": "kept",
            "text": "some text",
            "integer": 7,
            "big": 2**40,
            "boolean": True,
            "floating": 1.5,
            "decimal": "12.5",
            "json": {"a": [1, 2]},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


FALSY = [
    ("text", "", {"S": ""}),
    ("integer", 0, {"N": "0"}),
    ("boolean", False, {"BOOL": False}),
    ("floating", 0.0, {"N": "0"}),
    ("json", {}, {"M": {}}),
    ("json", [], {"L": []}),
    ("decimal", "0", {"N": "0"}),
]


def same_raw(stored, expected):
    """Raw values equal, numbers compared by value ("0.0" is "0")."""
    ((kind, value),) = stored.items()
    ((expected_kind, expected_value),) = expected.items()
    if kind == expected_kind == "N":
        return decimal.Decimal(value) == decimal.Decimal(expected_value)
    return (kind, value) == (expected_kind, expected_value)


def test_patch_writes_each_falsy_value_alone(ada, every):
    version = every["version"]
    for field, value, raw in FALSY:
        response = client_for(ada).patch(every_url(every["id"]), {field: value}, format="json")
        assert response.status_code == 200, (field, response.content)
        version += 1
        fetched = client_for(ada).get(every_url(every["id"])).json()
        if field == "decimal":
            assert decimal.Decimal(fetched[field]) == 0
        else:
            assert fetched[field] == value, field
        assert fetched["char"] == "kept" and fetched["big"] == 2**40
        assert fetched["version"] == version
        item = raw_item(EveryField, every["id"])
        assert same_raw(item[field], raw), (field, item[field])
        assert item["char"] == {"S": "kept"}


def test_patch_with_several_falsy_values_writes_each(ada, every):
    body = {"text": "", "integer": 0, "boolean": False, "big": None}
    response = client_for(ada).patch(every_url(every["id"]), body, format="json")
    assert response.status_code == 200, response.content
    fetched = client_for(ada).get(every_url(every["id"])).json()
    assert {name: fetched[name] for name in body} == body
    item = raw_item(EveryField, every["id"])
    assert item["text"] == {"S": ""}
    assert item["integer"] == {"N": "0"}
    assert item["boolean"] == {"BOOL": False}
    assert "big" not in item
    assert item["floating"] == {"N": "1.5"}


def test_patch_with_null_removes_each_attribute(ada, every):
    set_reviewer = client_for(ada).patch(
        every_url(every["id"]), {"reviewer": ada.pk}, format="json"
    )
    assert set_reviewer.status_code == 200
    assert raw_item(EveryField, every["id"])["reviewer"] == {"N": str(ada.pk)}
    for field in ["text", "integer", "boolean", "json", "big", "reviewer", "decimal"]:
        assert field in raw_item(EveryField, every["id"])
        response = client_for(ada).patch(every_url(every["id"]), {field: None}, format="json")
        assert response.status_code == 200, (field, response.content)
        assert client_for(ada).get(every_url(every["id"])).json()[field] is None
        item = raw_item(EveryField, every["id"])
        assert field not in item
        assert item["char"] == {"S": "kept"} and item["floating"] == {"N": "1.5"}


def test_put_replaces_and_null_removes(ada, every):
    body = {name: value for name, value in every.items() if name not in ("id", "version")}
    body.update(text="replaced", integer=None, json=None, boolean=False)
    response = client_for(ada).put(every_url(every["id"]), body, format="json")
    assert response.status_code == 200, response.content
    fetched = client_for(ada).get(every_url(every["id"])).json()
    assert fetched["text"] == "replaced"
    assert fetched["integer"] is None and fetched["json"] is None
    assert fetched["boolean"] is False
    assert fetched["version"] == every["version"] + 1
    item = raw_item(EveryField, every["id"])
    assert "integer" not in item and "json" not in item
    assert item["boolean"] == {"BOOL": False}


def test_the_version_cannot_be_set_by_a_client(ada, every):
    response = client_for(ada).patch(
        every_url(every["id"]), {"version": 99, "text": "t"}, format="json"
    )
    assert response.status_code == 200
    assert raw_item(EveryField, every["id"])["version"] == {"N": str(every["version"] + 1)}


def test_changing_the_sort_key_of_every_field_keeps_every_value(ada, every):
    response = client_for(ada).patch(
        every_url(every["id"]), {"created": "2020-01-01T00:00:00Z"}, format="json"
    )
    if not atomic.supported():
        assert response.status_code == 400
        assert raw_item(EveryField, every["id"])["text"] == {"S": "some text"}
        return
    assert response.status_code == 200, response.content
    moved = response.json()
    assert moved["created"] == "2020-01-01T00:00:00Z"
    assert {k: v for k, v in moved.items() if k not in ("created", "version")} == {
        k: v for k, v in every.items() if k not in ("created", "version")
    }


def test_an_empty_index_key_is_400_and_nothing_is_written(ada, every):
    response = client_for(ada).patch(every_url(every["id"]), {"char": ""}, format="json")
    assert response.status_code == 400
    assert "char" in response.json()
    assert raw_item(EveryField, every["id"])["char"] == {"S": "kept"}


def test_an_empty_index_key_in_a_create_is_400(ada, owner):
    response = client_for(ada).post(EVERY, {"owner": str(owner.pk), "slug": ""}, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()
    assert raw_items(EveryField) == []


NUMBER_39 = "123456789012345678901234567890123456789"


def with_39(template):
    """A raw JSON body with a 39-digit number where the template says N39."""
    return template.replace("N39", NUMBER_39)


UNHOLDABLE = [
    (with_39('{"decimal": "N39"}'), "decimal"),
    (with_39('{"decimal": N39}'), "decimal"),
    (with_39('{"big": N39}'), "big"),
    (with_39('{"positive_big": N39}'), "positive_big"),
    (with_39('{"json": {"n": N39}}'), "json"),
    (with_39('{"json": [1, {"deep": [N39]}]}'), "json"),
    ('{"floating": 1e400}', "floating"),
    ('{"integer": "seven"}', "integer"),
    ('{"uuid": "not-a-uuid"}', "uuid"),
    ('{"owner": "not-a-uuid"}', "owner"),
    ('{"duration": [1]}', "duration"),
]


def test_values_dynamodb_or_the_field_cannot_hold_are_400(ada, every):
    for content, field in UNHOLDABLE:
        response = client_for(ada).patch(
            every_url(every["id"]), content, content_type="application/json"
        )
        assert response.status_code == 400, (content, response.content)
        assert field in response.json(), content
    item = raw_item(EveryField, every["id"])
    assert item["version"] == {"N": str(every["version"])}
    assert decimal.Decimal(item["decimal"]["N"]) == decimal.Decimal("12.5")
    assert item["big"] == {"N": str(2**40)}


def test_a_39_digit_number_in_a_create_is_400_and_nothing_is_written(ada, owner):
    content = with_39('{"owner": "OWNER", "json": {"n": N39}}').replace("OWNER", str(owner.pk))
    response = client_for(ada).post(EVERY, content, content_type="application/json")
    assert response.status_code == 400
    assert "39 significant digits" in response.json()["json"][0]
    assert raw_items(EveryField) == []


def test_an_item_over_400_kb_is_400_and_nothing_is_written(ada, owner):
    response = client_for(ada).post(
        EVERY, {"owner": str(owner.pk), "text": "x" * 420_000}, format="json"
    )
    assert response.status_code == 400
    assert "text" in response.json()
    assert raw_items(EveryField) == []


def test_the_shared_route_lists_every_owners_items_for_any_user(ada, bob, owner, every):
    other_owner = Owner.objects.create(name="other")
    created = client_for(bob).post(EVERY, {"owner": str(other_owner.pk)}, format="json")
    assert created.status_code == 201
    listing = client_for(ada).get(EVERY)
    assert listing.status_code == 200
    assert sorted(item["id"] for item in listing.json()["results"]) == sorted(
        [every["id"], created.json()["id"]]
    )
    one_owner = client_for(ada).get(EVERY, {"owner": str(other_owner.pk)})
    assert [item["id"] for item in one_owner.json()["results"]] == [created.json()["id"]]
    assert client_for(bob).get(every_url(every["id"])).status_code == 200
