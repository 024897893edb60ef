"""The changelist: one page read per request, cursor links, key search, key filters, counts
only when asked; every request counted at the HTTP layer (``faults.sent``)."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.models import Booking
from dynamodb import constants
from dynamodb.storage import ids
from tests.admin.conftest import BASE, CHANGELIST, seed, texts
from tests.api_helpers import create_api_user
from tests.testapp.models import Note

pytestmark = pytest.mark.django_db

READS = ("Query", "Scan", "GetItem", "BatchGetItem")


def reads(faults):
    """(operation, request) of every read sent, in order."""
    return [(sent.operation, sent.json()) for sent in faults.sent if sent.operation in READS]


def shown(response):
    """The ids of the bookings a changelist page shows, in order."""
    assert response.status_code == 200, response.content[:500]
    return [booking.id for booking in response.context["cl"].result_list]


def follow(admin_client, url):
    return admin_client.get(CHANGELIST + url)


def test_superuser_pages_a_scan_forward_one_read_per_page_and_no_count(
    admin_client, admin_user, faults
):
    other = create_api_user("other")
    mine = [b.id for b in seed(admin_user, 15)] + [b.id for b in seed(other, 15, start=15)]
    first = admin_client.get(CHANGELIST)
    assert len(shown(first)) == 25
    cl = first.context["cl"]
    assert cl.previous_url is None and cl.first_url is None and cl.next_url
    assert "in no order (a Scan)" in first.content.decode()
    assert [op for op, _ in reads(faults)] == ["Scan"]
    assert reads(faults)[0][1]["Limit"] == 26  # one page and one item to tell if more exist
    assert all(request.get("Select") != "COUNT" for _, request in reads(faults))
    faults.sent.clear()
    second = follow(admin_client, cl.next_url)
    assert len(shown(second)) == 5
    assert sorted(shown(first) + shown(second)) == sorted(mine)
    assert [op for op, _ in reads(faults)] == ["Scan"]
    # A Scan reads forward only: the way back is the first page.
    assert second.context["cl"].previous_url is None
    assert second.context["cl"].next_url is None
    assert shown(follow(admin_client, second.context["cl"].first_url)) == shown(first)


def test_a_partition_pages_forward_and_back_newest_first(admin_client, admin_user, faults):
    bookings = seed(admin_user, 30)
    seed(create_api_user("other"), 3, start=100)
    newest_first = [b.id for b in reversed(bookings)]
    first = admin_client.get(CHANGELIST, {"q": f"user={admin_user.pk}"})
    assert shown(first) == newest_first[:25]
    assert f"bookings whose user is {admin_user.pk}" in first.content.decode().lower()
    assert [op for op, _ in reads(faults)] == ["Query"]
    second = follow(admin_client, first.context["cl"].next_url)
    assert shown(second) == newest_first[25:]
    back = follow(admin_client, second.context["cl"].previous_url)
    assert shown(back) == newest_first[:25]
    assert back.context["cl"].previous_url is None


def test_a_sort_key_column_orders_the_partition_and_other_columns_do_not(admin_client, admin_user):
    bookings = seed(admin_user, 5)
    cl = admin_client.get(CHANGELIST, {"q": f"user={admin_user.pk}"}).context["cl"]
    date_at = cl.list_display.index("date_at")
    assert cl.sortable_by == ["date_at", "date_for"]
    ascending = admin_client.get(CHANGELIST, {"q": f"user={admin_user.pk}", "o": str(date_at)})
    assert shown(ascending) == [b.id for b in bookings]
    assert ascending.context["cl"].get_ordering_field_columns() == {date_at: "asc"}
    name = cl.list_display.index("name")
    by_name = admin_client.get(CHANGELIST, {"q": f"user={admin_user.pk}", "o": str(name)})
    assert shown(by_name) == [b.id for b in reversed(bookings)]  # the default order stays
    scan = admin_client.get(CHANGELIST).context["cl"]
    assert scan.sortable_by == [] and scan.get_ordering_field_columns() == {}


def test_searching_an_id_finds_it_through_the_id_index(admin_client, admin_user, faults):
    target = seed(admin_user, 3)[1]
    ids.key_cache.clear()
    faults.sent.clear()
    found = admin_client.get(CHANGELIST, {"q": str(target.id)})
    assert shown(found) == [target.id]
    assert "bookings whose id is" in found.content.decode().lower()
    queries = [request for op, request in reads(faults) if op == "Query"]
    assert queries and queries[0]["IndexName"] == constants.ID_INDEX_NAME
    assert "Scan" not in [op for op, _ in reads(faults)]


def test_a_term_is_tried_on_each_key_in_order_and_name_equals_chooses_one(
    admin_client, admin_user, django_user_model
):
    bookings = seed(admin_user, 2)
    # The user's id is no booking's id here: the term falls through to the user's partition.
    unused = max(b.id for b in bookings) + 1000
    user = django_user_model.objects.create_user("many", id=unused)
    theirs = seed(user, 2, start=10)
    assert sorted(shown(admin_client.get(CHANGELIST, {"q": str(unused)}))) == sorted(
        b.id for b in theirs
    )
    only_id = admin_client.get(CHANGELIST, {"q": f"id={bookings[0].id}"})
    assert shown(only_id) == [bookings[0].id]
    assert shown(admin_client.get(CHANGELIST, {"q": f"pk={unused}"})) == []


def test_a_term_no_key_can_hold_reads_nothing(admin_client, admin_user, faults):
    seed(admin_user, 2)
    response = admin_client.get(CHANGELIST, {"q": "dinner"})
    assert shown(response) == []
    assert reads(faults) == []
    assert any("'dinner' is not a value of pk or user" in text for text in texts(response))


def test_a_date_filter_on_the_sort_key_is_the_key_condition(admin_client, admin_user, faults):
    bookings = seed(admin_user, 10)
    since = (BASE + datetime.timedelta(minutes=3)).isoformat()
    until = (BASE + datetime.timedelta(minutes=6)).isoformat()
    response = admin_client.get(
        CHANGELIST,
        {"q": f"user={admin_user.pk}", "date_at__gte": since, "date_at__lt": until},
    )
    assert shown(response) == [b.id for b in reversed(bookings[3:6])]
    ((operation, query),) = reads(faults)
    assert operation == "Query"
    assert "BETWEEN" in query["KeyConditionExpression"]
    assert "FilterExpression" not in query
    assert response.context["cl"].has_active_filters


def test_count_only_when_asked_with_select_count(admin_client, admin_user, faults):
    seed(admin_user, 30)
    first = admin_client.get(CHANGELIST, {"q": f"user={admin_user.pk}"})
    assert "Count them all" in first.content.decode()
    assert first.context["cl"].total is None
    faults.sent.clear()
    counted = follow(admin_client, first.context["cl"].count_url)
    assert counted.context["cl"].total == 30
    assert "30 bookings in all" in counted.content.decode()
    selects = [request.get("Select") for _op, request in reads(faults)]
    assert selects.count("COUNT") == 1
    # The count keeps the page; the next page's link does not count again.
    assert shown(counted) == shown(first)
    assert "_count" not in counted.context["cl"].next_url


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-4],
        lambda token: token + "x",
        lambda token: "not-a-cursor",
    ],
    ids=["truncated", "extended", "garbage"],
)
def test_a_broken_page_link_restarts_the_listing_with_a_message(admin_client, admin_user, tamper):
    seed(admin_user, 30)
    next_url = admin_client.get(CHANGELIST).context["cl"].next_url
    query = parse_qs(urlsplit(next_url).query)
    query["_cursor"] = [tamper(query["_cursor"][0])]
    response = admin_client.get(CHANGELIST, {k: v[0] for k, v in query.items()})
    assert response.status_code == 302
    assert "_cursor" not in response["Location"]
    assert any("not valid" in text for text in texts(response))


def test_a_page_link_of_another_listing_restarts_it(admin_client, admin_user):
    seed(admin_user, 30)
    scan_next = admin_client.get(CHANGELIST).context["cl"].next_url
    cursor = parse_qs(urlsplit(scan_next).query)["_cursor"][0]
    response = admin_client.get(CHANGELIST, {"q": f"user={admin_user.pk}", "_cursor": cursor})
    assert response.status_code == 302
    assert any("another listing" in text for text in texts(response))


def test_a_user_not_allowed_to_scan_chooses_a_partition_and_nothing_is_scanned(
    client, faults, django_user_model
):
    staff = create_api_user("staff", is_staff=True)
    staff.user_permissions.add(*note_permissions())
    client.force_login(django_user_model.objects.get(pk=staff.pk))
    Note.objects.create(board="b1", title="t1")
    Note.objects.create(board="b2", title="t2")
    faults.sent.clear()
    response = client.get("/admin/testapp/note/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert "Scan" not in [op for op, _ in reads(faults)]
    assert any("not allowed for you" in text for text in texts(response))
    board = client.get("/admin/testapp/note/", {"q": "b2"})
    assert [n.title for n in board.context["cl"].result_list] == ["t2"]


def test_a_global_index_key_is_searched_through_its_index(admin_client, faults):
    from tests.testapp.models import Book, Shelf

    shelf = Shelf.objects.create(name="s")
    Book.objects.create(shelf=shelf, title="Emma", author="Austen", year=1815)
    Book.objects.create(shelf=shelf, title="Ulysses", author="Joyce", year=1922)
    faults.sent.clear()
    response = admin_client.get("/admin/testapp/book/", {"q": "author=Austen"})
    assert [b.title for b in response.context["cl"].result_list] == ["Emma"]
    (operation, query), *shelves = reads(faults)
    assert (operation, query["IndexName"]) == ("Query", "BookByAuthor")
    assert [op for op, _ in shelves] == ["GetItem"]  # the shelf shown (select_related)


def test_actions_never_select_across_pages(admin_client, admin_user):
    booking = seed(admin_user, 3)[0]
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "delete_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": [booking.id],
        },
    )
    assert response.status_code == 302
    assert any("cannot select across pages" in text for text in texts(response))
    assert Booking.objects.filter(pk=booking.id).exists()


def note_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="testapp", codename__endswith="_note")


def test_going_back_to_the_list_keeps_its_page_but_does_not_count_again(admin_client, admin_user):
    (booking,) = seed(admin_user, 1)
    filters = f"q=user%3D{admin_user.pk}&_cursor=abc&_count=1"
    page = admin_client.get(f"{CHANGELIST}{booking.id}/change/", {"_changelist_filters": filters})
    preserved = page.context["preserved_filters"]
    assert "_cursor" in preserved and "_count" not in preserved


def test_a_raw_id_lookup_popup_lists_a_dynamodb_model(admin_client):
    from tests.testapp.models import Shelf

    shelf = Shelf.objects.create(name="fiction")
    popup = admin_client.get("/admin/testapp/shelf/", {"_to_field": "id", "_popup": "1"})
    assert [s.pk for s in popup.context["cl"].result_list] == [shelf.pk]
    assert f'data-popup-opener="{shelf.pk}"' in popup.content.decode()
