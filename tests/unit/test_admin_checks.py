"""System checks of DynamoModelAdmin (dynamodb.admin.E0xx): what no index serves, and the
admin options that need SQL, are errors at startup, before any request."""

import pytest
from django.contrib import admin
from django.contrib.admin import (
    DateFieldListFilter,
    EmptyFieldListFilter,
    ShowFacets,
    SimpleListFilter,
)

from booking.admin import BookingAdmin
from booking.models import Booking
from dynamodb.admin import DynamoModelAdmin
from tests.testapp.models import Book, Owner


def errors(admin_class, model=Booking):
    return [(error.id, error.msg) for error in admin_class(model, admin.site).check()]


def ids(admin_class, model=Booking):
    return [check_id for check_id, _msg in errors(admin_class, model)]


def variant(**options):
    return type("Variant", (BookingAdmin,), options)


class Recent(SimpleListFilter):
    title = parameter_name = "recent"

    def lookups(self, request, model_admin):
        return [("1", "Recent")]

    def queryset(self, request, queryset):
        return queryset


def test_the_projects_admins_pass_their_checks():
    assert errors(BookingAdmin) == []
    assert errors(admin.site.get_model_admin(Book).__class__, Book) == []


@pytest.mark.parametrize(
    "list_filter",
    [
        ["date_at", "date_for", "user"],  # the table's keys, the local index's sort key
        [("date_at", DateFieldListFilter)],
        [Recent],  # its own queryset() decides
    ],
)
def test_list_filters_an_index_serves_are_accepted(list_filter):
    assert ids(variant(list_filter=list_filter)) == []


def test_a_list_filter_no_index_serves_is_an_error():
    ((check_id, message),) = errors(variant(list_filter=["date_at", "address"]))
    assert check_id == "dynamodb.admin.E002"
    assert "list_filter[1] is 'address', which no index of booking.Booking serves" in message
    assert ids(variant(list_filter=["user__is_staff"])) == ["dynamodb.admin.E002"]


def test_global_index_keys_are_filterable_by_a_filter_that_lists_no_table():
    served = [("author", EmptyFieldListFilter), ("year", EmptyFieldListFilter)]
    assert ids(type("BookVariant", (DynamoModelAdmin,), {"list_filter": served}), Book) == []


def test_a_default_filter_listing_every_value_of_the_table_is_an_error():
    """AllValuesFieldListFilter (a string, a number), or the items of a DynamoDB ForeignKey."""
    book_admin = type("BookVariant", (DynamoModelAdmin,), {"list_filter": ["author", "shelf"]})
    assert ids(book_admin, Book) == ["dynamodb.admin.E008", "dynamodb.admin.E008"]


@pytest.mark.parametrize("search_fields", [["pk"], ["=id", "user"], ["user_id"]])
def test_exact_keys_are_searchable(search_fields):
    assert ids(variant(search_fields=search_fields)) == []


@pytest.mark.parametrize("search_fields", [["name"], ["^user"], ["user__username"], ["date_at"]])
def test_anything_but_an_exact_key_is_not_searchable(search_fields):
    assert ids(variant(search_fields=search_fields)) == ["dynamodb.admin.E003"]


@pytest.mark.parametrize("ordering", [[], ["date_at"], ["-date_for"]])
def test_one_sort_key_orders(ordering):
    assert ids(variant(ordering=ordering)) == []


@pytest.mark.parametrize("ordering", [["name"], ["-date_at", "name"], ["?"]])
def test_other_orders_are_errors(ordering):
    assert "dynamodb.admin.E004" in ids(variant(ordering=ordering))


@pytest.mark.parametrize(
    ("options", "check_id"),
    [
        ({"list_editable": ["address"]}, "dynamodb.admin.E005"),
        ({"date_hierarchy": "date_at"}, "dynamodb.admin.E006"),
        ({"show_facets": ShowFacets.ALWAYS}, "dynamodb.admin.E007"),
    ],
)
def test_options_that_need_sql_are_refused(options, check_id):
    assert ids(variant(**options)) == [check_id]


def test_an_sql_model_is_refused():
    assert ids(DynamoModelAdmin, Owner) == ["dynamodb.admin.E001"]
