"""The add and change forms: inserts that never overwrite, changes conditioned on the version
the form loaded, key changes in one transaction (or read-only without transactions), and every
write DynamoDB refuses shown as a form error with nothing saved or logged."""

import datetime

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.storage import atomic
from tests.admin.conftest import BASE, CHANGELIST, change_url, form_errors, seed
from tests.faults import json_response
from tests.testapp.models import Book, Note, Shelf

pytestmark = pytest.mark.django_db

ADD = f"{CHANGELIST}add/"


def split(moment):
    """A datetime as the admin's date and time inputs hold it (to the microsecond)."""
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S.%f")


def form_data(user, date_at, date_for=BASE, version=None, loaded=None, **values):
    """A POST of the booking form, as a browser sends it.

    ``loaded``: the date_at the page showed (its hidden copy of the default), date_at
    itself unless it was changed in the form.
    """
    data = {"user": user.pk, "address": "1 Main St", "name": "Dinner", "_save": "Save"}
    data.update(values)
    data["date_at_0"], data["date_at_1"] = split(date_at)
    data["initial-date_at_0"], data["initial-date_at_1"] = split(loaded or date_at)
    data["date_for_0"], data["date_for_1"] = split(date_for)
    data["initial-date_for_0"], data["initial-date_for_1"] = split(date_for)
    if version is not None:
        data["_version"] = version
    return data


def edit(booking, version, **changes):
    """The change form of ``booking`` posted back with ``changes`` (as its page showed it)."""
    values = {"address": booking.address, "name": booking.name, **changes}
    date_at = values.pop("date_at", booking.date_at)
    return form_data(
        booking.user, date_at, booking.date_for, version, loaded=booking.date_at, **values
    )


def stored():
    return list(Connector(Booking).all())


def test_the_add_form_inserts_owned_by_the_user_and_logs_it(admin_client, admin_user):
    form = admin_client.get(ADD).context["adminform"].form
    assert form.initial["user"] == admin_user.pk
    assert form["date_at"].value().microsecond  # the sort key keeps its microseconds
    response = admin_client.post(ADD, form_data(admin_user, BASE))
    assert response.status_code == 302, form_errors(response)
    (booking,) = stored()
    assert (booking.user_id, booking.date_at, booking.version) == (admin_user.pk, BASE, 1)
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_id) == (ADDITION, str(booking.id))


def test_adding_an_existing_key_is_a_form_error(admin_client, admin_user):
    (first,) = seed(admin_user, 1)
    response = admin_client.post(ADD, form_data(admin_user, first.date_at, name="Other"))
    assert response.status_code == 200
    assert "already exists" in str(form_errors(response))
    assert [b.name for b in stored()] == [first.name]
    assert not LogEntry.objects.exists()


def test_a_key_taken_between_the_check_and_the_insert_is_a_form_error(
    admin_client, admin_user, faults
):
    (first,) = seed(admin_user, 1)
    # The form's uniqueness check reads "no such item"; the conditional put then meets it.
    faults.answer("GetItem", json_response(200, {}))
    response = admin_client.post(ADD, form_data(admin_user, first.date_at, name="Other"))
    assert response.status_code == 200
    assert faults.count("PutItem") == 1
    assert "already exists" in str(form_errors(response))
    assert [b.name for b in stored()] == [first.name]
    assert not LogEntry.objects.exists()


def test_the_change_form_writes_with_the_version_it_loaded_and_logs_it(admin_client, admin_user):
    (booking,) = seed(admin_user, 1)
    page = admin_client.get(change_url(booking.id)).content.decode()
    assert 'name="_version" value="1"' in page
    response = admin_client.post(change_url(booking.id), edit(booking, 1, name="Lunch"))
    assert response.status_code == 302, form_errors(response)
    (changed,) = stored()
    assert (changed.id, changed.name, changed.version) == (booking.id, "Lunch", 2)
    assert changed.date_at == booking.date_at  # microseconds kept: no move
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.get_change_message()) == (CHANGE, "Changed Name.")


@pytest.mark.needs_transactions
def test_an_editable_sort_key_is_shown_to_the_microsecond(admin_client, admin_user):
    """Key fields are inputs where moves are atomic: a save that changes nothing must not move."""
    (booking,) = seed(admin_user, 1)
    page = admin_client.get(change_url(booking.id)).content.decode()
    time = split(booking.date_at)[1]
    assert time.endswith(".123456")
    assert f'name="date_at_1" value="{time}"' in page
    assert f'name="initial-date_at_1" value="{time}"' in page


def test_a_concurrent_change_is_a_form_error_showing_the_stored_values(admin_client, admin_user):
    (booking,) = seed(admin_user, 1)
    assert admin_client.get(change_url(booking.id)).status_code == 200  # version 1 shown
    meanwhile = Booking.objects.get(pk=booking.id)
    meanwhile.address = "2 Side St"
    meanwhile.save()  # version 2
    mine = edit(booking, 1, name="Lunch")
    response = admin_client.post(change_url(booking.id), mine)
    assert response.status_code == 200
    errors = form_errors(response)
    assert set(errors) == {"__all__", "address", "name"}  # the fields that differ, no other
    assert "version 2" in errors["__all__"][0]
    assert errors["address"] == ["Stored now: 2 Side St"]
    assert errors["name"] == ["Stored now: booking 000"]
    (kept,) = stored()
    assert (kept.name, kept.address, kept.version) == ("booking 000", "2 Side St", 2)
    assert not LogEntry.objects.exists()
    # The form now holds the current version: saving again replaces it, knowingly.
    assert 'name="_version" value="2"' in response.content.decode()
    again = admin_client.post(change_url(booking.id), {**mine, "_version": 2})
    assert again.status_code == 302, form_errors(again)
    (saved,) = stored()
    assert (saved.name, saved.address, saved.version) == ("Lunch", "0 Main St", 3)


def test_a_booking_deleted_while_edited_is_not_recreated(admin_client, admin_user):
    (booking,) = seed(admin_user, 1)
    Booking.objects.get(pk=booking.id).delete()
    response = admin_client.post(change_url(booking.id), edit(booking, 1))
    assert response.status_code == 302  # Django's "doesn't exist. Perhaps it was deleted?"
    assert stored() == []


def test_a_key_change_moves_the_item_in_one_transaction_or_is_read_only(admin_client, admin_user):
    (booking,) = seed(admin_user, 1)
    later = booking.date_at + datetime.timedelta(days=1, microseconds=7)
    page = admin_client.get(change_url(booking.id))
    fields = page.context["adminform"].form.fields
    if not atomic.supported():
        assert "date_at" not in fields and "user" not in fields
        assert "date_at" in page.context["adminform"].readonly_fields
        return
    assert "date_at" in fields
    response = admin_client.post(change_url(booking.id), edit(booking, 1, date_at=later))
    assert response.status_code == 302, form_errors(response)
    (moved,) = stored()
    assert (moved.id, moved.date_at, moved.version) == (booking.id, later, 2)
    assert Booking.objects.get(pk=booking.id).date_at == later


@pytest.mark.needs_transactions
def test_moving_onto_a_taken_key_is_a_form_error_and_moves_nothing(admin_client, admin_user):
    first, second = seed(admin_user, 2)
    response = admin_client.post(
        change_url(second.id), edit(second, 1, date_at=first.date_at, name="x")
    )
    assert response.status_code == 200
    assert "has this key" in form_errors(response)["__all__"][0]
    assert sorted((b.id, b.date_at) for b in stored()) == [
        (first.id, first.date_at),
        (second.id, second.date_at),
    ]


def test_a_value_dynamodb_cannot_hold_is_a_form_error(admin_client):
    response = admin_client.post(
        "/admin/testapp/note/add/",
        {"board": "b", "title": "big", "body": "x" * 410_000, "stars": "0", "_save": "Save"},
    )
    assert response.status_code == 200
    assert "DynamoDB items hold at most 409600 bytes" in form_errors(response)["body"][0]
    assert list(Note.objects.filter(board="b")) == []


def test_a_foreign_key_without_a_declared_widget_is_a_raw_id_input(admin_client):
    shelf = Shelf.objects.create(name="s")
    book = Book.objects.create(shelf=shelf, title="Emma")
    page = admin_client.get(f"/admin/testapp/book/{book.id}/change/").content.decode()
    assert 'class="vForeignKeyRawIdAdminField"' in page
    assert "<select" not in page  # neither users nor shelves are listed


def test_the_users_are_searched_not_listed(admin_client, admin_user):
    page = admin_client.get(ADD).content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in page
    assert page.count("<option") == 1  # only the selected user (the owner by default)
