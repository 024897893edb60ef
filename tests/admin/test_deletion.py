"""Deletion: confirmations that say what on_delete does in DynamoDB (counted where a Query
can count), "delete selected" in batches naming by key what DynamoDB did not delete, and
LogEntry rows for what was deleted."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.wire.marshalling import deserialize
from tests.admin.conftest import CHANGELIST, delete_url, seed, texts
from tests.api_helpers import create_api_user
from tests.testapp.models import Book, EveryField, Owner, Pledge, Shelf

pytestmark = pytest.mark.django_db


def stored_ids():
    return sorted(b.id for b in Connector(Booking).all())


def deleted_objects(response):
    """The confirmation's nested list of what will be deleted, flattened to strings."""
    assert response.status_code == 200, response.content[:300]

    def flatten(items):
        for item in items:
            yield from flatten(item) if isinstance(item, list) else [str(item)]

    return list(flatten(response.context["deleted_objects"]))


def test_deleting_a_booking_confirms_deletes_and_logs_it(admin_client, admin_user):
    booking, other = seed(admin_user, 2)
    confirmation = admin_client.get(delete_url(booking.id))
    assert deleted_objects(confirmation) == [
        f'Booking: <a href="{CHANGELIST}{booking.id}/change/">{booking}</a>'
    ]
    assert dict(confirmation.context["model_count"]) == {"bookings": 1}
    response = admin_client.post(delete_url(booking.id), {"post": "yes"})
    assert response.status_code == 302
    assert stored_ids() == [other.id]
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_id) == (DELETION, str(booking.id))


def test_a_dynamodb_cascade_is_counted_in_the_confirmation(admin_client):
    shelf = Shelf.objects.create(name="fiction")
    for title in ("Emma", "Ulysses"):
        Book.objects.create(shelf=shelf, title=title)
    confirmation = admin_client.get(f"/admin/testapp/shelf/{shelf.pk}/delete/")
    lines = deleted_objects(confirmation)
    assert "2 books in DynamoDB whose shelf is this shelf: deleted with it (CASCADE)" in lines
    assert dict(confirmation.context["model_count"]) == {"shelfs": 1, "books": 2}
    admin_client.post(f"/admin/testapp/shelf/{shelf.pk}/delete/", {"post": "yes"})
    assert list(Book.objects.filter(shelf=shelf)) == []


def test_deleting_a_user_says_what_happens_to_their_dynamodb_items(admin_client):
    user = create_api_user("leaving")
    seed(user, 3)
    confirmation = admin_client.get(f"/admin/auth/user/{user.pk}/delete/")
    lines = deleted_objects(confirmation)
    assert "3 bookings in DynamoDB whose user is this user: deleted with it (CASCADE)" in lines
    # Book.reader is no key: a count would take a Scan, so it is not counted.
    assert (
        "Any books in DynamoDB whose reader is this user: their reader emptied (SET_NULL) "
        "(not counted: only a Scan of the table could tell how many)"
    ) in lines
    assert dict(confirmation.context["model_count"])["bookings"] == 3
    admin_client.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"})
    assert list(Booking.objects.filter(user=user.pk)) == []


def test_a_protected_sql_row_names_its_dynamodb_items_and_counts_the_rest(admin_client):
    owner = Owner.objects.create(name="acme")
    Pledge.objects.create(owner=owner, amount="10.00")
    for _ in range(2):
        EveryField.objects.create(owner=owner)
    confirmation = admin_client.get(f"/admin/testapp/owner/{owner.pk}/delete/")
    assert confirmation.context["protected"]
    assert "Cannot delete owner" in confirmation.content.decode()
    lines = deleted_objects(confirmation)
    assert "2 every fields in DynamoDB whose owner is this owner: deleted with it (CASCADE)" in (
        lines
    )


def select(admin_client, ids, **extra):
    return admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [str(pk) for pk in ids], **extra},
    )


def test_delete_selected_confirms_then_deletes_in_batches_and_logs_each(
    admin_client, admin_user, faults
):
    bookings = seed(admin_user, 4)
    chosen = [b.id for b in bookings[:3]]
    confirmation = select(admin_client, chosen, index="0")
    assert confirmation.status_code == 200
    assert "Are you sure you want to delete the selected bookings?" in (
        confirmation.content.decode()
    )
    assert stored_ids() == sorted(b.id for b in bookings)
    faults.sent.clear()
    response = select(admin_client, chosen, post="yes")
    assert response.status_code == 302
    assert stored_ids() == [bookings[3].id]
    assert faults.count("BatchWriteItem") == 1 and faults.count("DeleteItem") == 0
    assert "Deleted 3 bookings." in texts(response)
    logged = LogEntry.objects.filter(action_flag=DELETION)
    assert sorted(int(entry.object_id) for entry in logged) == sorted(chosen)


def test_delete_selected_names_by_key_what_dynamodb_did_not_delete(
    admin_client, admin_user, faults, settings
):
    settings.DYNAMODB_BATCH_MAX_ATTEMPTS = 2
    settings.DYNAMODB_BATCH_BACKOFF_BASE = 0.001
    bookings = seed(admin_user, 3)
    # DynamoDB leaves the first item of every request unprocessed.
    faults.hold_back("BatchWriteItem", lambda entries: entries[:1])
    response = select(admin_client, [b.id for b in bookings], post="yes")
    assert response.status_code == 302
    (held,) = faults.held["BatchWriteItem"][0].values()
    key = deserialize(held[0]["DeleteRequest"]["Key"])
    (kept,) = [b for b in bookings if b.date_at.timestamp() == float(key["date_at"])]
    assert stored_ids() == [kept.id]
    (message,) = texts(response)
    assert message.startswith("1 of 3 bookings were not deleted")
    assert f"{kept.id} (user={admin_user.pk}, date_at={kept.date_at})" in message
    assert "The other 2 were deleted" in message
    logged = sorted(int(e.object_id) for e in LogEntry.objects.filter(action_flag=DELETION))
    assert logged == sorted(b.id for b in bookings if b.id != kept.id)
