"""Django's own tools, unchanged, over Booking.objects (a DynamoQuerySet) and the real engine.

get_object_or_404, model validation (full_clean, ModelForm), ModelChoiceField, DRF's
ModelSerializer with a nested user loaded by select_related, and django-filter's
DjangoFilterBackend on a DynamoViewset (routed by this module's own ``urlpatterns``).
Nothing here is mocked: every read and write goes to the engine the fixtures start.
"""

import datetime

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework.routers import SimpleRouter

from booking.models import Booking
from booking.serializers import BookingSerializer
from dynamodb.async_viewsets import AsyncDynamoViewset
from dynamodb.rest.filters import DynamoFilterBackend
from dynamodb.rest.viewsets import DynamoViewset
from tests.api_helpers import client_for

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=datetime.UTC)
KEY_TAKEN = "Booking with this User and Date at already exists."
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


def at(minutes):
    """A known, distinct date_at: ``minutes`` after WHEN."""
    return WHEN + datetime.timedelta(minutes=minutes)


def book(user, minutes, name="Dinner", address="1 Main St"):
    return Booking.objects.create(user=user, date_at=at(minutes), name=name, address=address)


# 1. get_object_or_404


def test_get_object_or_404_finds_a_booking_and_404s_on_missing_or_foreign(ada, bob):
    mine = book(ada, 0, name="Mine")
    theirs = book(bob, 1, name="Theirs")

    found = get_object_or_404(Booking, pk=mine.pk)
    assert isinstance(found, Booking)
    assert (found.pk, found.user_id, found.date_at, found.name) == (
        mine.pk,
        ada.pk,
        at(0),
        "Mine",
    )
    assert get_object_or_404(Booking.objects.filter(user=ada), pk=mine.pk).pk == mine.pk

    missing = max(mine.pk, theirs.pk) + 1000
    with pytest.raises(Http404):
        get_object_or_404(Booking, pk=missing)
    with pytest.raises(Http404):
        get_object_or_404(Booking.objects.filter(user=ada), pk=theirs.pk)
    with pytest.raises(Http404):
        get_object_or_404(Booking.objects.filter(user=bob), pk=mine.pk)


# 2. full_clean() and ModelForm: validate_unique on the key (user, date_at)


class BookingForm(forms.ModelForm):
    class Meta:
        model = Booking
        fields = ["user", "date_at", "date_for", "name", "address"]


def form_data(user, when, name="Lunch"):
    return {
        "user": str(user.pk),
        "date_at": when.isoformat(),
        "date_for": at(60).isoformat(),
        "name": name,
        "address": "2 High St",
    }


def test_full_clean_reports_an_existing_key(ada):
    book(ada, 0)

    duplicate = Booking(user=ada, date_at=at(0), name="Again", address="3 Low St")
    with pytest.raises(ValidationError) as raised:
        duplicate.full_clean()
    assert raised.value.message_dict == {NON_FIELD_ERRORS: [KEY_TAKEN]}

    # Another key (same user, another time) is clean.
    Booking(user=ada, date_at=at(1), name="Other", address="3 Low St").full_clean()


def test_model_form_rejects_an_existing_key_and_saves_a_new_one(ada, bob):
    book(ada, 0, name="Dinner")

    taken = BookingForm(data=form_data(ada, at(0)))
    assert not taken.is_valid()
    assert taken.errors == {NON_FIELD_ERRORS: [KEY_TAKEN]}
    assert taken.non_field_errors() == [KEY_TAKEN]

    # The same date_at for another user is another key.
    fresh = BookingForm(data=form_data(bob, at(0), name="Lunch"))
    assert fresh.is_valid(), fresh.errors
    saved = fresh.save()
    assert saved.pk is not None

    stored = Booking.objects.get(user=bob, date_at=at(0))
    assert (stored.pk, stored.name, stored.address, stored.date_for) == (
        saved.pk,
        "Lunch",
        "2 High St",
        at(60),
    )
    # ada's booking at that time is untouched.
    assert Booking.objects.get(user=ada, date_at=at(0)).name == "Dinner"


# 3. ModelChoiceField over one user's bookings


def test_model_choice_field_offers_and_accepts_only_the_users_bookings(ada, bob):
    mine = [book(ada, 0, name="First"), book(ada, 1, name="Second")]
    theirs = book(bob, 2, name="Theirs")

    field = forms.ModelChoiceField(queryset=Booking.objects.filter(user=ada))
    choices = list(field.choices)
    assert choices[0] == ("", "---------")
    assert sorted((value.value, label) for value, label in choices[1:]) == sorted(
        (booking.pk, str(booking)) for booking in mine
    )
    assert len(field.choices) == 3  # the empty choice and ada's two bookings

    cleaned = field.clean(str(mine[1].pk))
    assert isinstance(cleaned, Booking)
    assert (cleaned.pk, cleaned.name) == (mine[1].pk, "Second")

    for foreign in (str(theirs.pk), str(theirs.pk + 1000)):
        with pytest.raises(ValidationError) as raised:
            field.clean(foreign)
        assert raised.value.code == "invalid_choice"

    # Inside a form (whose fields are deep copies), the same.
    class PickForm(forms.Form):
        booking = forms.ModelChoiceField(queryset=Booking.objects.filter(user=ada))

    picked = PickForm(data={"booking": str(mine[0].pk)})
    assert picked.is_valid(), picked.errors
    assert picked.cleaned_data["booking"].pk == mine[0].pk
    refused = PickForm(data={"booking": str(theirs.pk)})
    assert not refused.is_valid()
    assert list(refused.errors) == ["booking"]


def test_model_choice_field_refuses_a_malformed_id_as_an_invalid_choice(ada):
    """As over SQL (the lookup raises ValueError): "Select a valid choice", code invalid_choice."""
    book(ada, 0)
    field = forms.ModelChoiceField(queryset=Booking.objects.filter(user=ada))
    with pytest.raises(ValidationError) as raised:
        field.clean("not-a-number")
    assert raised.value.code == "invalid_choice"
    assert raised.value.messages == [INVALID_CHOICE]


# 4. DRF ModelSerializer with a nested user, loaded by select_related


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username"]


class BookingWithUserSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Booking
        fields = ["id", "user", "date_at", "name"]


def test_nested_user_serializer_loads_users_in_one_query(ada, bob, django_assert_num_queries):
    mine = [book(ada, minutes, name=f"Booking {minutes}") for minutes in range(4)]
    book(bob, 10, name="Not ada's")

    with django_assert_num_queries(1):
        bookings = Booking.objects.filter(user=ada).select_related("user")
        data = BookingWithUserSerializer(bookings, many=True).data

    assert [item["id"] for item in data] == [booking.pk for booking in mine]
    assert [item["name"] for item in data] == [booking.name for booking in mine]
    assert all(item["user"] == {"id": ada.pk, "username": "ada"} for item in data)

    # Without select_related, each booking's user is its own query: what the above avoids.
    with django_assert_num_queries(len(mine)):
        data = BookingWithUserSerializer(Booking.objects.filter(user=ada), many=True).data
    assert {item["user"]["username"] for item in data} == {"ada"}


def test_nested_user_serializer_over_a_page(ada, django_assert_num_queries):
    for minutes in range(5):
        book(ada, minutes, name=f"Booking {minutes}")

    with django_assert_num_queries(1):
        page = Booking.objects.filter(user=ada).select_related("user").page(3)
        data = BookingWithUserSerializer(page.items, many=True).data
    assert [item["name"] for item in data] == ["Booking 0", "Booking 1", "Booking 2"]
    assert {item["user"]["username"] for item in data} == {"ada"}
    assert page.cursor is not None  # two more bookings after this page


# 5. django-filter's DjangoFilterBackend on a DynamoViewset


class FilteredBookings(DynamoViewset):
    """django-filter alone, from filterset_fields."""

    queryset = Booking.objects.all()
    serializer_class = BookingSerializer
    lookup_value_converter = "int"
    filter_backends = [filters.DjangoFilterBackend]
    filterset_fields = ["name"]


class BookingFilter(filters.FilterSet):
    name_contains = filters.CharFilter(field_name="name", lookup_expr="contains")

    class Meta:
        model = Booking
        fields = ["name"]


class CombinedBookings(DynamoViewset):
    """The project's key filters (and staff Scan) plus a django-filter FilterSet."""

    queryset = Booking.objects.all()
    serializer_class = BookingSerializer
    filter_backends = [DynamoFilterBackend, filters.DjangoFilterBackend]
    filter_fields = ["name"]
    filterset_class = BookingFilter


class NestedUsers:
    """Each booking with its user nested: a field that reads Django's SQL database."""

    queryset = Booking.objects.all()
    serializer_class = BookingWithUserSerializer
    lookup_value_converter = "int"


class SyncNestedUsers(NestedUsers, DynamoViewset):
    pass


class AsyncNestedUsers(NestedUsers, AsyncDynamoViewset):
    pass


FILTERED = "/api/filtered/booking/"
COMBINED = "/api/combined/booking/"
NESTED = {"sync": "/api/nested/booking/", "async": "/api/nested-async/booking/"}

router = SimpleRouter(use_regex_path=False)
router.register("api/filtered/booking", FilteredBookings, basename="filtered-booking")
router.register("api/combined/booking", CombinedBookings, basename="combined-booking")
router.register("api/nested/booking", SyncNestedUsers, basename="nested-booking")
router.register("api/nested-async/booking", AsyncNestedUsers, basename="nested-async-booking")
urlpatterns = router.urls


@pytest.mark.urls("tests.api.test_django_integration")
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_serializer_field_reading_the_sql_database_works_in_both_viewsets(ada, kind):
    """The async viewset serializes in the event loop, and in a thread when a field queries."""
    booking = book(ada, 0)
    detail = client_for(ada).get(f"{NESTED[kind]}{booking.pk}/")
    assert detail.status_code == 200, detail.content
    assert detail.json()["user"] == {"id": ada.pk, "username": "ada"}
    (item,) = listed(client_for(ada).get(NESTED[kind]))
    assert item["user"] == {"id": ada.pk, "username": "ada"}


@pytest.fixture
def named_bookings(ada, bob):
    """ada: two "Lunch" and one "Dinner"; bob: a "Lunch" and a "Dinner"."""
    return {
        "ada_lunch": [book(ada, 0, name="Lunch"), book(ada, 2, name="Lunch")],
        "ada_dinner": book(ada, 1, name="Dinner"),
        "bob_lunch": book(bob, 3, name="Lunch"),
        "bob_dinner": book(bob, 4, name="Dinner"),
    }


def listed(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.urls("tests.api.test_django_integration")
def test_django_filter_backend_filters_the_users_own_bookings(ada, bob, named_bookings):
    ada_lunch = listed(client_for(ada).get(FILTERED, {"name": "Lunch"}))
    assert [item["id"] for item in ada_lunch] == [b.pk for b in named_bookings["ada_lunch"]]
    assert {(item["user"], item["name"]) for item in ada_lunch} == {(ada.pk, "Lunch")}

    bob_dinner = listed(client_for(bob).get(FILTERED, {"name": "Dinner"}))
    assert [item["id"] for item in bob_dinner] == [named_bookings["bob_dinner"].pk]

    assert listed(client_for(ada).get(FILTERED, {"name": "Breakfast"})) == []
    # No filter: all of ada's, and only hers.
    everything = listed(client_for(ada).get(FILTERED))
    assert sorted(item["id"] for item in everything) == sorted(
        [*(b.pk for b in named_bookings["ada_lunch"]), named_bookings["ada_dinner"].pk]
    )
    # The detail route of the same viewset still confines to the owner.
    own = named_bookings["ada_dinner"].pk
    assert client_for(ada).get(f"{FILTERED}{own}/").status_code == 200
    assert client_for(bob).get(f"{FILTERED}{own}/").status_code == 404


@pytest.mark.urls("tests.api.test_django_integration")
def test_django_filter_backend_combined_with_dynamo_filters(ada, bob, named_bookings):
    lunches = listed(client_for(ada).get(COMBINED, {"name": "Lunch", "ordering": "-date_at"}))
    assert [item["id"] for item in lunches] == [b.pk for b in reversed(named_bookings["ada_lunch"])]

    later = listed(
        client_for(ada).get(COMBINED, {"name_contains": "unc", "date_at__gte": at(1).isoformat()})
    )
    assert [item["id"] for item in later] == [named_bookings["ada_lunch"][1].pk]

    bobs = listed(client_for(bob).get(COMBINED, {"name_contains": "inn"}))
    assert [item["id"] for item in bobs] == [named_bookings["bob_dinner"].pk]
