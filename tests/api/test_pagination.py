"""Listing over HTTP: cursor pagination, ordering, filters, staff listings, cursor integrity."""

import datetime
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from tests.api_helpers import BOOKINGS, client_for

# Every test runs against both viewsets (tests/api/conftest.py: viewset).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("viewset")]

BASE = datetime.datetime(2026, 1, 1, 8, 0, 0, tzinfo=datetime.UTC)
COUNT = 120
# Long-lived threads: each builds its DynamoDB client once, not once per test.
SEEDERS = ThreadPoolExecutor(4, thread_name_prefix="seed")


def moment(number):
    """date_at of booking ``number``: minutes apart, each with its own microseconds."""
    return BASE + datetime.timedelta(minutes=number, microseconds=number + 1)


def seed(user, count, *, start=0, name=None):
    """``count`` bookings of ``user`` in date_at order; their date_for runs the other way.

    Returns their ids in date_at order.
    """

    def insert(number):
        booking = Booking(
            user=user,
            date_at=moment(number),
            date_for=BASE + datetime.timedelta(days=30, hours=count - number),
            address=f"{number} Main St",
            name=name(number) if name else f"booking {number:03d}",
        )
        return Connector(Booking).insert(booking).id

    return list(SEEDERS.map(insert, range(start, start + count)))


@pytest.fixture
def ada_bookings(ada):
    return seed(ada, COUNT)


@pytest.fixture
def few_bookings(ada):
    return seed(ada, 45)


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def walk(user_api, url, params=None, link="next"):
    """Follow ``link`` from the first page; the list of pages (lists of ids) and responses."""
    response = user_api.get(url, params)
    pages, responses = [ids(response)], [response]
    while response.json()[link] is not None:
        assert len(responses) < 50, "the links never end"
        response = user_api.get(response.json()[link])
        pages.append(ids(response))
        responses.append(response)
    return pages, responses


def query(link):
    return parse_qs(urlsplit(link).query)


def error(response, parameter):
    assert response.status_code == 400, response.content
    body = response.json()
    assert parameter in body, body
    return body[parameter][0]


# Following next and previous


def test_next_links_yield_every_booking_once_in_order(ada, ada_bookings):
    pages, responses = walk(client_for(ada), BOOKINGS, {"page_size": 25})
    assert [len(page) for page in pages] == [25, 25, 25, 25, 20]
    assert [item for page in pages for item in page] == ada_bookings
    assert responses[0].json()["previous"] is None
    for response in responses[:-1]:
        assert query(response.json()["next"])["page_size"] == ["25"]
    dates = [item["date_at"] for r in responses for item in r.json()["results"]]
    assert dates == sorted(dates)
    assert dates[0] == "2026-01-01T08:00:00.000001Z"


def test_previous_links_walk_back_page_by_page(ada, ada_bookings):
    user_api = client_for(ada)
    forward, responses = walk(user_api, BOOKINGS, {"page_size": 25})
    backward = [forward[-1]]
    response = responses[-1]
    while response.json()["previous"] is not None:
        assert len(backward) < 10
        response = user_api.get(response.json()["previous"])
        backward.append(ids(response))
        # A page reached backwards links forward again, to the page after it.
        assert (
            ids(user_api.get(response.json()["next"])) == forward[len(forward) - len(backward) + 1]
        )
    assert backward[::-1] == forward
    assert response.json()["previous"] is None


def test_a_listing_whose_last_page_is_full_ends_there(ada, few_bookings, staff):
    """No empty page after a full one, on engines that return a LastEvaluatedKey at the Limit."""
    user_api = client_for(ada)
    pages, responses = walk(user_api, BOOKINGS, {"page_size": 15})
    assert pages == [few_bookings[:15], few_bookings[15:30], few_bookings[30:]]
    back, _ = walk(user_api, responses[-1].json()["previous"], link="previous")
    assert back == [few_bookings[15:30], few_bookings[:15]]
    scanned, _ = walk(client_for(staff), BOOKINGS, {"page_size": 15})
    assert [len(page) for page in scanned] == [15, 15, 15]
    assert sorted(item for page in scanned for item in page) == sorted(few_bookings)


def test_the_default_page_size_is_25(ada, few_bookings):
    response = client_for(ada).get(BOOKINGS)
    assert ids(response) == few_bookings[:25]


def test_a_page_size_above_the_maximum_is_clamped_to_100(ada, ada_bookings):
    response = client_for(ada).get(BOOKINGS, {"page_size": 1000})
    assert ids(response) == ada_bookings[:100]
    assert query(response.json()["next"])["page_size"] == ["100"]
    assert ids(client_for(ada).get(response.json()["next"])) == ada_bookings[100:]


def test_a_bad_page_size_is_400(ada):
    for size in ["0", "-3", "ten", "2.5", ""]:
        response = client_for(ada).get(BOOKINGS, {"page_size": size})
        assert "positive integer" in error(response, "page_size"), size


def test_ordering_by_minus_date_at_reverses_and_pages_both_ways(ada):
    expected = seed(ada, 30)
    user_api = client_for(ada)
    pages, responses = walk(user_api, BOOKINGS, {"ordering": "-date_at", "page_size": 12})
    assert [len(page) for page in pages] == [12, 12, 6]
    assert [item for page in pages for item in page] == expected[::-1]
    back = user_api.get(responses[-1].json()["previous"])
    assert ids(back) == pages[1]
    ascending = user_api.get(BOOKINGS, {"ordering": "date_at", "page_size": 100})
    assert ids(ascending) == expected


# Filters


def test_date_at_gte_and_lt_select_to_the_microsecond(ada, few_bookings):
    low, high = moment(10).isoformat(), moment(20).isoformat()
    assert low.endswith(".000011+00:00")
    # "+" must be percent-encoded in a URL: a bare "+" is a space.
    url = f"{BOOKINGS}?date_at__gte={quote(low)}&date_at__lt={quote(high)}"
    assert ids(client_for(ada).get(url)) == few_bookings[10:20]
    just_after = (moment(10) + datetime.timedelta(microseconds=1)).isoformat()
    url = f"{BOOKINGS}?date_at__gte={quote(just_after)}&date_at__lt={quote(high)}"
    assert ids(client_for(ada).get(url)) == few_bookings[11:20]


def test_date_filters_accept_other_offsets_and_z(ada, few_bookings):
    paris = moment(5).astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    response = client_for(ada).get(
        BOOKINGS, {"date_at__gte": paris.isoformat(), "date_at__lte": "2026-01-01T08:07:00.000008Z"}
    )
    assert ids(response) == few_bookings[5:8]


def test_a_filtered_listing_pages_through_its_matches(ada, few_bookings):
    since = quote(moment(5).isoformat())
    pages, _ = walk(client_for(ada), f"{BOOKINGS}?date_at__gte={since}&page_size=15")
    assert [len(page) for page in pages] == [15, 15, 10]
    assert [item for page in pages for item in page] == few_bookings[5:]


def test_exclusive_and_inclusive_bounds_combine_exactly(ada, few_bookings):
    def listed(**params):
        return ids(client_for(ada).get(BOOKINGS, {**params, "page_size": 100}))

    low, high = moment(10).isoformat(), moment(20).isoformat()
    assert listed(date_at__gt=low, date_at__lt=high) == few_bookings[11:20]
    assert listed(date_at__gte=low, date_at__lte=high) == few_bookings[10:21]
    assert listed(date_at__gt=low, date_at__lte=high) == few_bookings[11:21]
    assert listed(date_at__lt=high, date_at__gte=low, ordering="-date_at") == (
        few_bookings[10:20][::-1]
    )
    assert listed(date_at__gte=low, date_at__lte=low) == [few_bookings[10]]
    assert listed(date_at__gt=low) == few_bookings[11:]
    assert listed(date_at__lt=low) == few_bookings[:10]


def test_a_naive_and_an_aware_bound_combine(ada, few_bookings):
    # A datetime without an offset is in the project's time zone (UTC here).
    response = client_for(ada).get(
        BOOKINGS, {"date_at__gte": "2026-01-01T08:03:00", "date_at__lt": "2026-01-01T08:06:00Z"}
    )
    assert ids(response) == few_bookings[3:6]


BAD_BOUNDS = [
    (
        {"date_at__gte": "2026-01-02T00:00:00Z", "date_at__lt": "2026-01-01T00:00:00Z"},
        "date_at__lt",
        "below the lower bound",
    ),
    (
        {"date_at__gt": "2026-01-01T00:00:00Z", "date_at__gte": "2026-01-01T00:00:00Z"},
        "date_at__gte",
        "one lower bound",
    ),
    (
        {"date_at": "2026-01-01T00:00:00Z", "date_at__lte": "2026-01-01T00:00:00Z"},
        "date_at",
        "one lower bound",
    ),
    (
        {
            "date_at__gt": "2026-01-01T00:00:00Z",
            "date_at__lt": "2026-01-02T00:00:00Z",
            "date_at__lte": "2026-01-03T00:00:00Z",
        },
        "date_at__gt",
        "one lower bound",
    ),
]


def test_bounds_that_do_not_make_one_range_are_400(ada):
    for params, parameter, message in BAD_BOUNDS:
        assert message in error(client_for(ada).get(BOOKINGS, params), parameter), params


def test_an_unencoded_plus_is_a_400_not_a_500(ada):
    url = f"{BOOKINGS}?date_at__gte={moment(1).isoformat()}"
    assert "+" in url
    error(client_for(ada).get(url), "date_at__gte")


def test_date_for_conditions_use_the_local_index(ada):
    expected = seed(ada, 30)
    # date_for runs against date_at: the index order is the reverse of the table's.
    since = BASE + datetime.timedelta(days=30, hours=11)
    response = client_for(ada).get(BOOKINGS, {"date_for__gte": since.isoformat(), "page_size": 100})
    assert ids(response) == expected[:20][::-1]
    pages, _ = walk(client_for(ada), BOOKINGS, {"date_for__gte": since.isoformat(), "page_size": 8})
    assert [item for page in pages for item in page] == expected[:20][::-1]
    ordered = client_for(ada).get(BOOKINGS, {"ordering": "-date_for", "page_size": 100})
    assert ids(ordered) == expected


def test_name_filters_page_through_sparse_matches(ada):
    expected = seed(ada, 60, name=lambda n: "special" if n % 10 == 3 else f"plain {n}")
    user_api = client_for(ada)
    pages, _ = walk(user_api, BOOKINGS, {"name": "special", "page_size": 25})
    assert [item for page in pages for item in page] == expected[3::10]
    assert all(len(page) <= 25 for page in pages)
    prefixed = user_api.get(BOOKINGS, {"name__startswith": "plain 1", "page_size": 100})
    assert ids(prefixed) == [expected[n] for n in range(60) if n % 10 != 3 and str(n)[0] == "1"]
    assert ids(user_api.get(BOOKINGS, {"name": "nobody"})) == []


BAD_FILTERS = [
    ({"date_at__gte": "yesterday"}, "date_at__gte", "format"),
    ({"date_at__lt": "2026-13-01T00:00:00Z"}, "date_at__lt", ""),
    ({"date_at__range": "2026-01-01T00:00:00Z"}, "date_at__range", "two values"),
    ({"date_at__near": "2026-01-01T00:00:00Z"}, "date_at__near", "Unknown lookup"),
    ({"date_at__gte__lt": "2026-01-01T00:00:00Z"}, "date_at__gte__lt", "Unknown lookup"),
    ({"date_at__startswith": "2026"}, "date_at__startswith", "string"),
    (
        {"date_at__range": "2026-01-02T00:00:00Z,2026-01-01T00:00:00Z"},
        "date_at__range",
        "below the lower bound",
    ),
    ({"name__contains": "x"}, "name__contains", "Allowed lookups"),
    ({"address": "1 Main St"}, "address", "not allowed"),
    ({"ordering": "name"}, "ordering", "Order by"),
    ({"ordering": "-address"}, "ordering", "Order by"),
    (
        {"date_at__gte": "2026-01-01T00:00:00Z", "date_for__gte": "2026-01-01T00:00:00Z"},
        "date_for__gte",
        "cannot be combined",
    ),
    (
        {"date_at__gte": "2026-01-01T00:00:00Z", "ordering": "date_for"},
        "ordering",
        "sort key you filter on",
    ),
]


def test_bad_filters_are_400_naming_the_parameter(ada):
    for params, parameter, message in BAD_FILTERS:
        assert message in error(client_for(ada).get(BOOKINGS, params), parameter), params


def test_the_range_lookup(ada):
    expected = seed(ada, 10)
    low, high = moment(2).isoformat(), moment(4).isoformat()
    assert ids(client_for(ada).get(BOOKINGS, {"date_at__range": f"{low},{high}"})) == expected[2:5]


# Whose bookings a listing shows


def test_a_user_lists_only_their_own_even_when_asking_for_another(ada, bob):
    mine = seed(ada, 5)
    theirs = seed(bob, 5, start=100)
    assert ids(client_for(ada).get(BOOKINGS)) == mine
    assert ids(client_for(ada).get(BOOKINGS, {"user": bob.pk})) == mine
    assert ids(client_for(bob).get(BOOKINGS)) == theirs


def test_staff_without_user_scans_the_whole_table(ada, bob, staff):
    everyone = set(seed(ada, 40)) | set(seed(bob, 40, start=100))
    pages, responses = walk(client_for(staff), BOOKINGS, {"page_size": 25})
    listed = [item for page in pages for item in page]
    assert len(listed) == len(set(listed)) == 80
    assert set(listed) == everyone
    assert all(response.json()["previous"] is None for response in responses)
    owners = {item["user"] for r in responses for item in r.json()["results"]}
    assert owners == {ada.pk, bob.pk}


def test_staff_with_user_lists_that_users_partition(ada, bob, staff):
    mine = seed(ada, 30)
    seed(bob, 30, start=100)
    pages, responses = walk(client_for(staff), BOOKINGS, {"user": ada.pk, "page_size": 25})
    assert [item for page in pages for item in page] == mine
    assert responses[-1].json()["previous"] is not None
    assert query(responses[0].json()["next"])["user"] == [str(ada.pk)]


def test_staff_with_a_bad_user_is_400(staff):
    assert error(client_for(staff).get(BOOKINGS, {"user": "ada"}), "user")


def test_staff_scan_applies_sort_key_conditions(ada, bob, staff):
    mine = seed(ada, 10)
    theirs = seed(bob, 10)
    response = client_for(staff).get(BOOKINGS, {"date_at__gte": moment(7).isoformat()})
    assert sorted(ids(response)) == sorted(mine[7:] + theirs[7:])
    by_index = client_for(staff).get(
        BOOKINGS, {"date_for__lt": (BASE + datetime.timedelta(days=30, hours=3)).isoformat()}
    )
    assert sorted(ids(by_index)) == sorted(mine[8:] + theirs[8:])
    named = client_for(staff).get(BOOKINGS, {"name": "booking 004"})
    assert sorted(ids(named)) == sorted([mine[4], theirs[4]])


def test_a_staff_scan_on_an_index_sort_key_pages_on_table_keys(ada, staff, few_bookings):
    """The condition picks the index, but a Scan's start keys are the table's own."""
    since = (BASE + datetime.timedelta(days=30, hours=10)).isoformat()
    pages, _ = walk(client_for(staff), BOOKINGS, {"date_for__gte": since, "page_size": 10})
    listed = [item for page in pages for item in page]
    assert sorted(listed) == sorted(few_bookings[:36])  # date_for runs against date_at
    assert len(pages) >= 4


def test_staff_scan_cannot_be_ordered(ada, staff):
    seed(ada, 3)
    assert "partition" in error(
        client_for(staff).get(BOOKINGS, {"ordering": "-date_at"}), "ordering"
    )


# Cursors are opaque, signed and bound to their listing


def test_a_cursor_of_one_user_never_yields_their_items_to_another(ada, bob, few_bookings):
    first = client_for(ada).get(BOOKINGS, {"page_size": 10})
    next_link = first.json()["next"]
    theirs = seed(bob, 3, start=500)
    response = client_for(bob).get(next_link)
    assert "another listing" in error(response, "cursor")
    assert "results" not in response.json()
    back = client_for(ada).get(next_link)
    previous_link = back.json()["previous"]
    assert "another listing" in error(client_for(bob).get(previous_link), "cursor")
    assert ids(client_for(bob).get(BOOKINGS)) == theirs


def test_a_cursor_is_bound_to_its_filters_and_order(ada, few_bookings):
    next_link = client_for(ada).get(BOOKINGS, {"page_size": 10}).json()["next"]
    cursor = query(next_link)["cursor"][0]
    for params in (
        {"ordering": "-date_at"},
        {"name": "booking 001"},
        {"date_at__gte": moment(0).isoformat()},
    ):
        response = client_for(ada).get(BOOKINGS, {"cursor": cursor, **params})
        assert "another listing" in error(response, "cursor")


def test_staff_cursors_are_bound_to_the_user_asked_for(ada, bob, staff):
    seed(ada, 12)
    seed(bob, 12, start=100)
    link = client_for(staff).get(BOOKINGS, {"user": ada.pk, "page_size": 5}).json()["next"]
    cursor = query(link)["cursor"][0]
    response = client_for(staff).get(BOOKINGS, {"user": bob.pk, "cursor": cursor})
    assert "another listing" in error(response, "cursor")
    scan_link = client_for(staff).get(BOOKINGS, {"page_size": 5}).json()["next"]
    response = client_for(ada).get(scan_link)
    assert "another listing" in error(response, "cursor")


def tampered(cursor):
    flipped = "A" if cursor[-1] != "A" else "B"
    payload, _, signature = cursor.rpartition(":")
    return [
        cursor[:-1] + flipped,  # signature changed
        cursor[: len(cursor) // 2],  # truncated
        cursor[1:],
        "x" + cursor,
        payload,  # no signature
        f"{payload}:{signature}:{signature}",
        "",
        "not a cursor",
        "eyJrIjogbnVsbCwgImQiOiAibiJ9",  # unsigned base64 JSON
        "%00%ff",
        "a" * 5000,
    ]


def test_a_tampered_or_truncated_cursor_is_400_with_a_clear_message(ada, few_bookings):
    user_api = client_for(ada)
    cursor = query(user_api.get(BOOKINGS, {"page_size": 10}).json()["next"])["cursor"][0]
    for bad in tampered(cursor):
        response = user_api.get(BOOKINGS, {"cursor": bad})
        assert response.status_code == 400, (bad, response.content)
        assert response.json() == {
            "cursor": ["Invalid cursor: use the next or previous link of a listing."]
        }


def test_a_cursor_from_another_secret_key_is_400(ada, few_bookings, settings):
    user_api = client_for(ada)
    link = user_api.get(BOOKINGS, {"page_size": 10}).json()["next"]
    settings.SECRET_KEY = "another-secret-key-entirely"
    assert "Invalid cursor" in error(user_api.get(link), "cursor")
