"""Django's permissions in the DynamoDB admin, and DynamoDB down or throttled: the admin's
error page with a retry hint (503, Retry-After), never a 500."""

import pytest
import urllib3

from dynamodb.connector import Connector
from dynamodb.storage.tables import dynamo_models
from tests.admin.conftest import CHANGELIST, change_url, delete_url, seed, texts
from tests.api_helpers import create_api_user
from tests.testapp.models import Shelf

pytestmark = pytest.mark.django_db


def test_view_only_users_get_a_read_only_admin(client, viewer, faults):
    (booking,) = seed(create_api_user("owner"), 1)
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert [b.id for b in listing.context["cl"].result_list] == [booking.id]
    assert listing.context["has_add_permission"] is False
    assert listing.context["action_form"] is None  # delete_selected needs delete_booking
    page = client.get(change_url(booking.id))
    assert page.status_code == 200
    assert page.context["title"] == "View booking"
    assert page.context["adminform"].form.fields == {}
    assert 'name="name"' not in page.content.decode()
    faults.sent.clear()
    for response in (
        client.post(change_url(booking.id), {"name": "x", "_version": "1"}),
        client.get(f"{CHANGELIST}add/"),
        client.get(delete_url(booking.id)),
        client.post(delete_url(booking.id), {"post": "yes"}),
    ):
        assert response.status_code == 403
    writes = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
    assert not writes & {sent.operation for sent in faults.sent}


def test_staff_without_booking_permissions_are_refused(client):
    client.force_login(create_api_user("staff", is_staff=True))
    assert client.get(CHANGELIST).status_code == 403


def assert_unavailable(response, state, retry_after):
    assert response.status_code == 503
    assert response["Retry-After"] == str(retry_after)
    (message,) = texts(response)
    assert f"DynamoDB is temporarily {state}" in message
    assert f"Retry in {retry_after} s." in message
    page = response.content.decode()
    assert 'class="messagelist"' in page and "retry-link" in page


def test_a_throttled_engine_is_the_admins_error_page(admin_client, admin_user, faults):
    (booking,) = seed(admin_user, 1)
    faults.throttle("Scan", times=10)
    assert_unavailable(admin_client.get(CHANGELIST), "busy (throttled)", 1)
    faults.throttle("GetItem", times=10)
    assert_unavailable(admin_client.get(change_url(booking.id)), "busy (throttled)", 1)


def test_an_unreachable_engine_is_the_admins_error_page(admin_client, admin_user, faults):
    (booking,) = seed(admin_user, 1)
    refused = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    for operation in ("Scan", "Query", "GetItem", "PutItem"):
        faults.answer(operation, lambda: refused, times=20)
    assert_unavailable(admin_client.get(CHANGELIST), "unavailable", 5)
    assert_unavailable(admin_client.get(change_url(booking.id)), "unavailable", 5)
    add = {"user": admin_user.pk, "name": "n", "address": "a", "_save": "Save"}
    add.update({"date_at_0": "2026-01-01", "date_at_1": "10:00:00"})
    add.update({"date_for_0": "2026-01-01", "date_for_1": "10:00:00"})
    assert_unavailable(admin_client.post(f"{CHANGELIST}add/", add), "unavailable", 5)


def test_a_throttled_autocomplete_is_503_with_retry_after(admin_client, faults):
    """The admin's autocomplete is the AdminSite's view, not a ModelAdmin's: the middleware."""
    shelf = Shelf.objects.create(name="Fiction")
    url = f"/admin/autocomplete/?app_label=testapp&model_name=book&field_name=shelf&term={shelf.pk}"
    found = admin_client.get(url)
    assert found.status_code == 200
    assert [result["text"] for result in found.json()["results"]] == [str(shelf)]
    faults.throttle("GetItem", times=10)
    refused = admin_client.get(url)
    assert refused.status_code == 503
    assert refused["Retry-After"] == "1"
    assert refused.json() == {
        "detail": "The database is temporarily busy (throttled); retry in 1 s."
    }


def test_a_stopped_engine_is_the_error_page_and_the_admin_recovers(
    admin_client, admin_user, engine_outage
):
    (booking,) = seed(admin_user, 1)
    engine_outage.stop()
    try:
        assert_unavailable(admin_client.get(CHANGELIST), "unavailable", 5)
        assert_unavailable(admin_client.get(delete_url(booking.id)), "unavailable", 5)
    finally:
        engine_outage.start()
        for model in dynamo_models():
            Connector(model).create_table()
    assert admin_client.get(CHANGELIST).status_code == 200
