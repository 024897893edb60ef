"""The Connector against a real engine: writes, reads past 1 MB, lookups, indexes, versions."""

import copy
import datetime
import decimal

import pytest

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import (
    ItemAlreadyExists,
    ItemNotFound,
    ValidationError,
    VersionConflict,
)
from dynamodb.wire import client
from tests.testapp.models import EveryField, Note, Owner

BASE = datetime.datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=datetime.UTC)
BIG_BODY = 40_000  # characters: 40 notes make about 1.6 MB, past Query's 1 MB page


def raw_item(model, key):
    """The stored item as the engine holds it (raw attribute values), or None."""
    return client.call(
        "get_item",
        TableName=Connector(model).schema.table_name,
        Key=key,
        ConsistentRead=True,
    ).get("Item")


def epoch(moment):
    """A datetime as the exact epoch-seconds string DynamoDB holds for it."""
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return str(decimal.Decimal(micros).scaleb(-6))


def every_field_key(owner, created=BASE):
    return {"owner": {"S": str(owner.pk)}, "created": {"N": epoch(created)}}


def fill_board(board="big", count=40, body_size=BIG_BODY):
    connector = Connector(Note)
    notes = [
        connector.insert(Note(board=board, title=f"n{i:03d}", body=f"{i:03d}" + "x" * body_size))
        for i in range(count)
    ]
    return notes


@pytest.fixture
def owner(db):
    return Owner.objects.create(name="owner")


# Inserts


@pytest.mark.django_db
def test_bookings_one_microsecond_apart_are_two_items(user):
    connector = Connector(Booking)
    first = connector.insert(Booking(user=user, date_at=BASE, name="first", address="a"))
    later = BASE + datetime.timedelta(microseconds=1)
    second = connector.insert(Booking(user=user, date_at=later, name="second", address="b"))

    stored = list(connector.select([("user", user)]))
    assert [(b.name, b.date_at) for b in stored] == [("first", BASE), ("second", later)]
    assert first.pk != second.pk
    assert connector.get([("user", user), ("date_at", later)]).name == "second"
    assert connector.get([("user", user), ("date_at", BASE)]).name == "first"


@pytest.mark.django_db
def test_insert_never_overwrites(user):
    connector = Connector(Booking)
    first = connector.insert(Booking(user=user, date_at=BASE, name="first", address="a"))
    first_id = first.pk
    clash = Booking(user=user, date_at=BASE, name="second", address="b")

    with pytest.raises(ItemAlreadyExists):
        connector.insert(clash)

    stored = connector.get([("user", user), ("date_at", BASE)])
    assert (stored.name, stored.address, stored.pk) == ("first", "a", first_id)
    # The failed insert gives the instance its id back: it stays a new, unsaved instance.
    assert clash.pk is None
    assert clash._state.adding
    clash.date_at = BASE + datetime.timedelta(seconds=1)
    connector.insert(clash)
    assert clash.pk not in (None, first_id)
    assert connector.get_by_id(clash.pk).name == "second"
    assert connector.get_by_id(first_id).name == "first"


@pytest.mark.django_db
def test_inserting_the_same_instance_twice_keeps_its_id(user):
    connector = Connector(Booking)
    booking = connector.insert(Booking(user=user, date_at=BASE, name="once", address="a"))
    booking_id = booking.pk

    with pytest.raises(ItemAlreadyExists):
        connector.insert(booking)

    assert booking.pk == booking_id
    assert connector.get_by_id(booking_id).name == "once"
    assert connector.count([("user", user)]) == 1


def test_insert_string_keys_and_get():
    connector = Connector(Note)
    note = connector.insert(Note(board="b", title="name", body="reserved words", stars=2))
    assert isinstance(note.pk, int)
    stored = connector.get([("board", "b"), ("title", "name")])
    assert (stored.pk, stored.body, stored.stars) == (note.pk, "reserved words", 2)
    assert connector.get([("board", "b"), ("title", "other")]) is None
    with pytest.raises(ItemAlreadyExists):
        connector.insert(Note(board="b", title="name", body="overwrite?"))
    assert connector.get([("board", "b"), ("title", "name")]).body == "reserved words"


def test_insert_rejects_an_empty_key_before_any_request(requests_sent):
    with pytest.raises(ValidationError):
        Connector(Note).insert(Note(board="", title="t"))
    assert [name for name, _ in requests_sent if name == "PutItem"] == []
    assert Connector(Note).count() == 0


# Reads past 1 MB


def test_select_returns_every_item_past_one_megabyte(requests_sent):
    notes = fill_board()
    connector = Connector(Note)

    found = list(connector.select([("board", "big")]))

    assert [n.title for n in found] == [n.title for n in notes]
    assert [n.pk for n in found] == [n.pk for n in notes]
    assert all(len(n.body) == BIG_BODY + 3 for n in found)
    queries = [params for name, params in requests_sent if name == "Query"]
    assert len(queries) >= 2  # the engine did stop at 1 MB: the connector followed the cursor


def test_select_limit_stops_early(requests_sent):
    fill_board()
    connector = Connector(Note)
    before = len(requests_sent)

    found = list(connector.select([("board", "big")], limit=3))

    assert [n.title for n in found] == ["n000", "n001", "n002"]
    queries = [params for name, params in requests_sent[before:] if name == "Query"]
    assert len(queries) == 1
    assert queries[0]["Limit"] == 3
    assert list(connector.select([("board", "big")], limit=0)) == []


def test_select_is_lazy(requests_sent):
    fill_board()
    before = len(requests_sent)
    iterator = Connector(Note).select([("board", "big")])
    assert len(requests_sent) == before
    assert next(iterator).title == "n000"
    assert len([name for name, _ in requests_sent[before:] if name == "Query"]) == 1


def test_select_descending():
    notes = fill_board()
    connector = Connector(Note)
    found = [n.title for n in connector.select([("board", "big")], descending=True)]
    assert found == [n.title for n in reversed(notes)]
    last_three = [n.title for n in connector.select([("board", "big")], descending=True, limit=3)]
    assert last_three == ["n039", "n038", "n037"]


def test_select_with_page_size_and_limit():
    fill_board(count=12, body_size=10)
    connector = Connector(Note)
    found = [n.title for n in connector.select([("board", "big")], page_size=5, limit=7)]
    assert found == [f"n{i:03d}" for i in range(7)]
    found = [n.title for n in connector.select([("board", "big")], page_size=5)]
    assert found == [f"n{i:03d}" for i in range(12)]


def test_select_page_and_cursors_cover_every_item_once():
    notes = fill_board()
    connector = Connector(Note)

    page = connector.select_page([("board", "big")], page_size=7)
    assert [n.title for n in page.items] == [f"n{i:03d}" for i in range(7)]
    assert page.cursor is not None

    seen = list(page.items)
    pages = 1
    while page.cursor is not None:
        page = connector.select_page([("board", "big")], page_size=7, cursor=page.cursor)
        seen.extend(page.items)
        pages += 1
        assert pages < 20
    assert [n.pk for n in seen] == [n.pk for n in notes]


def test_select_page_stops_at_one_megabyte_and_says_so():
    fill_board()
    page = Connector(Note).select_page([("board", "big")], page_size=100)
    assert 0 < len(page.items) < 40
    assert page.cursor is not None
    rest = Connector(Note).select_page([("board", "big")], page_size=100, cursor=page.cursor)
    assert len(page.items) + len(rest.items) == 40
    assert rest.items[0].title == f"n{len(page.items):03d}"


def test_select_page_descending_with_cursor():
    fill_board(count=10, body_size=10)
    connector = Connector(Note)
    first = connector.select_page([("board", "big")], descending=True, page_size=4)
    second = connector.select_page(
        [("board", "big")], descending=True, page_size=4, cursor=first.cursor
    )
    titles = [n.title for n in first.items + second.items]
    assert titles == [f"n{i:03d}" for i in range(9, 1, -1)]


def test_paging_arguments_are_validated(requests_sent):
    connector = Connector(Note)
    for page_size in (0, -1, "5", True, None, 2.5):
        with pytest.raises(ValidationError):
            connector.select_page([("board", "b")], page_size=page_size)
        with pytest.raises(ValidationError):
            connector.scan_page(page_size=page_size)
    with pytest.raises(ValidationError):
        connector.select_page([("board", "b")], cursor="not-a-cursor")
    for limit in (-1, "3", 1.5):
        with pytest.raises(ValidationError):
            connector.select([("board", "b")], limit=limit)
    assert [name for name, _ in requests_sent if name in ("Query", "Scan")] == []


def test_count_with_and_without_keys():
    fill_board()
    connector = Connector(Note)
    for i in range(5):
        connector.insert(Note(board="small", title=f"s{i}", stars=i))

    assert connector.count([("board", "big")]) == 40
    assert connector.count([("board", "small")]) == 5
    assert connector.count([("board", "small"), ("title__gte", "s2")]) == 3
    assert connector.count([("board", "small")], filter=[("stars__gt", 0)]) == 4
    assert connector.count([("board", "nothing")]) == 0
    assert connector.count() == 45
    assert connector.count(filter=[("stars", 4)]) == 1


def test_all_returns_every_item_across_pages(requests_sent):
    connector = Connector(Note)
    inserted = set()
    for board in ("a", "b", "c"):
        for i in range(7):
            inserted.add(connector.insert(Note(board=board, title=f"t{i}", stars=i)).pk)
    before = len(requests_sent)

    found = [n.pk for n in connector.all(page_size=4)]

    assert sorted(found) == sorted(inserted)
    scans = [params for name, params in requests_sent[before:] if name == "Scan"]
    assert len(scans) >= 6
    assert len(list(connector.all(limit=5))) == 5
    assert {n.stars for n in connector.all(filter=[("stars", 6)])} == {6}
    assert len(list(connector.all(filter=[("stars", 6)], page_size=2))) == 3


def test_scan_page_cursors():
    connector = Connector(Note)
    inserted = {connector.insert(Note(board=f"b{i}", title="t")).pk for i in range(9)}
    seen = []
    page = connector.scan_page(page_size=4)
    seen.extend(n.pk for n in page.items)
    while page.cursor is not None:
        page = connector.scan_page(page_size=4, cursor=page.cursor)
        seen.extend(n.pk for n in page.items)
    assert sorted(seen) == sorted(inserted)


# Sort-key lookups


@pytest.fixture
def fruit_notes():
    connector = Connector(Note)
    titles = ["apple", "apricot", "banana", "blueberry", "cherry"]
    for stars, title in enumerate(titles):
        connector.insert(Note(board="fruit", title=title, body=f"about {title}", stars=stars))
    connector.insert(Note(board="veg", title="artichoke"))
    return titles


SORT_KEY_LOOKUPS = [
    ("title", "banana", ["banana"]),
    ("title__exact", "banana", ["banana"]),
    ("title__lt", "banana", ["apple", "apricot"]),
    ("title__lte", "banana", ["apple", "apricot", "banana"]),
    ("title__gt", "banana", ["blueberry", "cherry"]),
    ("title__gte", "banana", ["banana", "blueberry", "cherry"]),
    ("title__range", ("apricot", "blueberry"), ["apricot", "banana", "blueberry"]),
    ("title__range", ["b", "c"], ["banana", "blueberry"]),
    ("title__startswith", "ap", ["apple", "apricot"]),
    ("title__startswith", "b", ["banana", "blueberry"]),
    ("title__startswith", "z", []),
]


def test_sort_key_lookups(fruit_notes):
    connector = Connector(Note)
    for lookup, value, expected in SORT_KEY_LOOKUPS:
        keys = [("board", "fruit"), (lookup, value)]
        assert [n.title for n in connector.select(keys)] == expected, (lookup, value)
        assert connector.count(keys) == len(expected), (lookup, value)
        page = connector.select_page(keys, descending=True)
        assert [n.title for n in page.items] == expected[::-1], (lookup, value)


def test_sort_key_lookups_are_key_conditions(fruit_notes, requests_sent):
    before = len(requests_sent)
    list(Connector(Note).select([("board", "fruit"), ("title__gt", "banana")]))
    (query,) = [params for name, params in requests_sent[before:] if name == "Query"]
    assert "FilterExpression" not in query
    assert ">" in query["KeyConditionExpression"]


BAD_KEY_CONDITIONS = [
    [("title", "apple")],  # no partition key
    [("board__startswith", "fr")],  # partition keys take exact values only
    [("board", "fruit"), ("body", "x")],  # not a key: use filter=
    [("board", "fruit"), ("title__contains", "an")],  # not a sort-key lookup
    [("board", "fruit"), ("title__gt", "a"), ("title__lt", "c")],  # twice the sort key
    [("nope", "fruit")],
    [("board", "fruit"), ("title__range", ("a",))],
    [("board", "fruit"), ("title__gt", None)],
    [("board", "")],
    [("board", "fruit", "extra")],
    "board",
    None,
]


def test_bad_key_conditions_are_validation_errors(requests_sent):
    for key_tuple_list in BAD_KEY_CONDITIONS:
        with pytest.raises(ValidationError):
            list(Connector(Note).select(key_tuple_list))
        if key_tuple_list is not None:  # count(None) counts the whole table
            with pytest.raises(ValidationError):
                Connector(Note).count(key_tuple_list)
    assert [name for name, _ in requests_sent if name == "Query"] == []


@pytest.mark.django_db
def test_datetime_sort_key_lookups(user):
    connector = Connector(Booking)
    moments = [BASE + datetime.timedelta(hours=i) for i in range(5)]
    # One microsecond after the third: lookups keep microseconds.
    moments.append(moments[2] + datetime.timedelta(microseconds=1))
    for i, moment in enumerate(moments):
        connector.insert(Booking(user=user, date_at=moment, name=f"b{i}", address="x"))

    def names(*conditions):
        return [b.name for b in connector.select([("user", user), *conditions])]

    assert names(("date_at", moments[2])) == ["b2"]
    assert names(("date_at__gt", moments[2])) == ["b5", "b3", "b4"]
    assert names(("date_at__gte", moments[3])) == ["b3", "b4"]
    assert names(("date_at__lt", moments[1])) == ["b0"]
    assert names(("date_at__lte", moments[1])) == ["b0", "b1"]
    assert names(("date_at__range", (moments[1], moments[5]))) == ["b1", "b2", "b5"]
    # Another time zone, the same instant.
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert names(("date_at", moments[4].astimezone(plus_two))) == ["b4"]
    # An ISO string is a Python value too.
    assert names(("date_at__lte", moments[0].isoformat())) == ["b0"]
    stored = connector.get([("user", user), ("date_at", moments[5])])
    assert stored.date_at == moments[5]


# Filters on non-key fields


FILTERS = [
    ([("stars", 3)], ["blueberry"]),
    ([("stars__exact", 0)], ["apple"]),
    ([("body__contains", "an")], ["banana"]),
    ([("body__contains", "e")], ["apple", "blueberry", "cherry"]),
    ([("stars__in", [1, 3, 99])], ["apricot", "blueberry"]),
    ([("body__startswith", "about b")], ["banana", "blueberry"]),
    ([("stars__gte", 2), ("body__contains", "rr")], ["blueberry", "cherry"]),
    ([("stars__range", (1, 2))], ["apricot", "banana"]),
    ({"stars__lt": 2}, ["apple", "apricot"]),
    ([("stars__isnull", False)], ["apple", "apricot", "banana", "blueberry", "cherry"]),
    ([("stars__isnull", True)], []),
    ([("stars", 42)], []),
]


def test_filters_on_non_key_fields(fruit_notes):
    connector = Connector(Note)
    for filters, expected in FILTERS:
        found = [n.title for n in connector.select([("board", "fruit")], filter=filters)]
        assert found == expected, filters
        assert connector.count([("board", "fruit")], filter=filters) == len(expected), filters
    # A filter combines with sort-key conditions.
    found = connector.select(
        [("board", "fruit"), ("title__startswith", "b")], filter=[("body__contains", "y")]
    )
    assert [n.title for n in found] == ["blueberry"]


def test_filter_with_limit_finds_matches_beyond_the_first_items(fruit_notes):
    found = Connector(Note).select([("board", "fruit")], filter=[("stars__gte", 3)], limit=1)
    assert [n.title for n in found] == ["blueberry"]
    found = Connector(Note).select(
        [("board", "fruit")], filter=[("stars__gte", 2)], limit=2, page_size=1
    )
    assert [n.title for n in found] == ["banana", "blueberry"]


def test_bad_filters_are_validation_errors(requests_sent):
    for filters in (
        [("stars__in", [])],
        [("stars__isnull", "yes")],
        [("stars__contains", 1)],
        [("nope", 1)],
        [("stars__regex", ".*")],
        [("stars", None)],
        [("stars__range", 3)],
    ):
        with pytest.raises(ValidationError):
            list(Connector(Note).select([("board", "fruit")], filter=filters))
    assert [name for name, _ in requests_sent if name == "Query"] == []


@pytest.mark.django_db
def test_isnull_filter(owner):
    connector = Connector(EveryField)
    connector.insert(EveryField(owner=owner, created=BASE, text="has text"))
    connector.insert(EveryField(owner=owner, created=BASE + datetime.timedelta(seconds=1)))

    with_text = list(connector.select([("owner", owner)], filter=[("text__isnull", False)]))
    without = list(connector.select([("owner", owner)], filter=[("text__isnull", True)]))

    assert [e.text for e in with_text] == ["has text"]
    assert [(e.text, e.created) for e in without] == [(None, BASE + datetime.timedelta(seconds=1))]


# Secondary indexes


@pytest.mark.django_db
def test_local_index_query(user, django_user_model):
    other = django_user_model.objects.create_user(username="other")
    connector = Connector(Booking)
    for i in range(5):
        # date_for runs backwards while date_at runs forwards.
        connector.insert(
            Booking(
                user=user,
                date_at=BASE + datetime.timedelta(minutes=i),
                date_for=BASE + datetime.timedelta(days=10 - i),
                name=f"b{i}",
                address="x",
            )
        )
    connector.insert(Booking(user=other, date_at=BASE, date_for=BASE, name="other", address="y"))

    found = connector.select(
        [("user", user), ("date_for__gte", BASE + datetime.timedelta(days=7))],
        index="BookingUserByDateFor",
    )
    assert [b.name for b in found] == ["b3", "b2", "b1", "b0"]
    everything = list(connector.select([("user", user)], index="BookingUserByDateFor"))
    assert [b.name for b in everything] == ["b4", "b3", "b2", "b1", "b0"]
    assert everything[0].date_at == BASE + datetime.timedelta(minutes=4)
    assert everything[0].pk is not None
    assert (
        connector.count(
            [("user", user), ("date_for__lt", BASE + datetime.timedelta(days=7))],
            index="BookingUserByDateFor",
        )
        == 1
    )
    with pytest.raises(ValidationError):
        # date_at is the table's sort key, not the index's.
        list(connector.select([("user", user), ("date_at", BASE)], index="BookingUserByDateFor"))
    with pytest.raises(ValidationError):
        list(connector.select([("user", user)], index="NoSuchIndex"))


@pytest.mark.django_db
def test_global_index_query(owner):
    second_owner = Owner.objects.create(name="second")
    connector = Connector(EveryField)
    for i in range(4):
        for who in (owner, second_owner):
            connector.insert(
                EveryField(
                    owner=who,
                    created=BASE + datetime.timedelta(seconds=i),
                    slug="tagged" if who == owner else "tagged-too",
                    integer=i if who == owner else 10 + i,
                )
            )
    connector.insert(
        EveryField(
            owner=second_owner, created=BASE + datetime.timedelta(days=1), slug="tagged", integer=7
        )
    )

    found = list(
        connector.select([("slug", "tagged"), ("integer__gte", 2)], index="EveryFieldBySlug")
    )
    assert [(e.integer, e.owner_id) for e in found] == [
        (2, owner.pk),
        (3, owner.pk),
        (7, second_owner.pk),
    ]
    assert found[-1].created == BASE + datetime.timedelta(days=1)
    assert found[0].version == 1
    descending = connector.select([("slug", "tagged")], index="EveryFieldBySlug", descending=True)
    assert [e.integer for e in descending] == [7, 3, 2, 1, 0]
    assert connector.count([("slug", "tagged-too")], index="EveryFieldBySlug") == 4
    with pytest.raises(ValidationError):
        list(connector.select([("slug", "tagged")], index="EveryFieldBySlug", consistent=True))


@pytest.mark.django_db
def test_keys_only_index_defers_other_fields(owner):
    connector = Connector(EveryField)
    inserted = connector.insert(
        EveryField(owner=owner, created=BASE, char="wanted", text="long text", integer=5)
    )
    connector.insert(EveryField(owner=owner, created=BASE + datetime.timedelta(1), char="other"))

    (found,) = connector.select([("char", "wanted")], index="EveryFieldByChar")

    assert found.owner_id == owner.pk
    assert found.created == BASE
    assert found.char == "wanted"
    deferred = found.get_deferred_fields()
    assert {"text", "integer", "version", "json"} <= deferred
    assert not {"owner_id", "created", "char", "id"} & deferred
    # Django cannot defer the primary key: it is known without loading the rest.
    assert found.pk == inserted.pk
    assert "text" in found.get_deferred_fields()
    # Deferred fields load from DynamoDB on first access.
    assert found.text == "long text"
    assert found.integer == 5
    assert found.version == 1
    assert found.json is None
    assert not {"text", "integer", "version", "json"} & found.get_deferred_fields()

    page = connector.select_page([("char", "wanted")], index="EveryFieldByChar")
    assert "text" in page.items[0].get_deferred_fields()
    assert page.items[0].text == "long text"


# Keys as Python values; key tuple lists are never modified


@pytest.mark.django_db
def test_user_instance_or_pk_as_partition_value(user):
    connector = Connector(Booking)
    booking = connector.insert(Booking(user=user, date_at=BASE, name="n", address="a"))
    by_instance = connector.get([("user", user), ("date_at", BASE)])
    by_pk = connector.get([("user", user.pk), ("date_at", BASE)])
    by_attname = connector.get([("user_id", str(user.pk)), ("date_at", BASE)])
    by_dict = connector.get({"user": user, "date_at": BASE})
    assert by_instance.pk == by_pk.pk == by_attname.pk == by_dict.pk == booking.pk
    assert by_instance.user_id == user.pk
    assert by_instance.user == user
    assert [b.pk for b in connector.select([("user", user.pk)])] == [booking.pk]
    assert [b.pk for b in connector.select([("user", user)])] == [booking.pk]


@pytest.mark.django_db
def test_unsaved_related_instance_is_a_validation_error(django_user_model):
    with pytest.raises(ValidationError):
        Connector(Booking).get([("user", django_user_model(username="new")), ("date_at", BASE)])


@pytest.mark.django_db
def test_key_tuple_lists_are_never_modified(user):
    connector = Connector(Booking)
    connector.insert(Booking(user=user, date_at=BASE, name="n", address="a"))
    calls = {
        "get": lambda keys: connector.get(keys),
        "select": lambda keys: list(connector.select(keys)),
        "select_page": lambda keys: connector.select_page(keys),
        "count": lambda keys: connector.count(keys),
        "delete": lambda keys: connector.delete(keys),
    }
    for name, call in calls.items():
        keys = [("user", user), ["date_at", BASE]]
        filters = [("name", "n")]
        keys_before, filters_before = copy.deepcopy(keys), copy.deepcopy(filters)
        call(keys)
        assert keys == keys_before, name
        assert keys[0][0] == "user" and keys[0][1] is user, name
        if name != "delete":
            list(connector.select(keys, filter=filters))
            assert filters == filters_before, name
    assert connector.get([("user", user), ("date_at", BASE)]) is None

    ranged = [("user", user), ("date_at__range", [BASE, BASE + datetime.timedelta(1)])]
    before = copy.deepcopy(ranged)
    list(connector.select(ranged, index=None))
    connector.count(ranged)
    assert ranged == before


def test_get_and_delete_need_an_exact_key(requests_sent):
    for key_tuple_list in (
        [("board", "b")],  # the sort key is missing
        [("board", "b"), ("title__gt", "a")],  # not an exact key
        [("board", "b"), ("title", "a"), ("title", "a")],
        [("board", "b"), ("title", "a"), ("body", "x")],
        [("board", "b"), ("title", None)],
        [("board", "b"), ("title", "x" * 1025)],  # sort keys hold 1024 bytes
        [("board", "x" * 2049), ("title", "a")],  # partition keys hold 2048 bytes
        ["board"],
        None,
    ):
        with pytest.raises(ValidationError):
            Connector(Note).get(key_tuple_list)
        with pytest.raises(ValidationError):
            Connector(Note).delete(key_tuple_list)
    assert [name for name, _ in requests_sent if name in ("GetItem", "DeleteItem")] == []


# Updates and versions


@pytest.mark.django_db
def test_insert_starts_the_version_at_one_and_update_increments_it(owner):
    connector = Connector(EveryField)
    item = connector.insert(EveryField(owner=owner, created=BASE, char="a", integer=1))
    assert item.version == 1
    key = [("owner", owner), ("created", BASE)]
    assert connector.get(key).version == 1

    item.integer = 2
    connector.update(item)
    assert item.version == 2
    stored = connector.get(key)
    assert (stored.version, stored.integer, stored.char) == (2, 2, "a")

    stored.char = "b"
    connector.update(stored)
    assert connector.get(key).version == 3
    assert connector.get(key).char == "b"


@pytest.mark.django_db
def test_stale_update_is_a_version_conflict(owner):
    connector = Connector(EveryField)
    connector.insert(EveryField(owner=owner, created=BASE, char="original"))
    key = [("owner", owner), ("created", BASE)]
    first, second = connector.get(key), connector.get(key)

    first.char = "first"
    connector.update(first)
    second.char = "second"
    with pytest.raises(VersionConflict) as raised:
        connector.update(second)

    assert raised.value.current_version == 2
    assert second.version == 1  # unchanged by the failed write
    stored = connector.get(key)
    assert (stored.char, stored.version) == ("first", 2)

    with pytest.raises(VersionConflict) as raised:
        connector.update(second, fields=["char"])
    assert raised.value.current_version == 2
    assert connector.get(key).char == "first"

    second.refresh_from_db()
    assert second.version == 2
    second.char = "second"
    connector.update(second)
    assert (connector.get(key).char, connector.get(key).version) == ("second", 3)


@pytest.mark.django_db
def test_update_needs_the_version_it_was_read_at(owner):
    connector = Connector(EveryField)
    connector.insert(EveryField(owner=owner, created=BASE, char="x"))
    blind = EveryField(owner=owner, created=BASE, char="blind")
    with pytest.raises(ValidationError):
        connector.update(blind)
    assert connector.get([("owner", owner), ("created", BASE)]).char == "x"


@pytest.mark.django_db
def test_update_of_a_deleted_item_does_not_recreate_it(owner):
    connector = Connector(EveryField)
    item = connector.insert(EveryField(owner=owner, created=BASE, char="x"))
    key = [("owner", owner), ("created", BASE)]
    connector.delete(key)

    item.char = "y"
    with pytest.raises(ItemNotFound):
        connector.update(item)
    assert connector.get(key) is None
    with pytest.raises(ItemNotFound):
        connector.update(item, fields=["char"])
    assert connector.get(key) is None
    assert connector.count() == 0


def test_update_of_a_deleted_unversioned_item_does_not_recreate_it():
    connector = Connector(Note)
    note = connector.insert(Note(board="b", title="t", body="x"))
    connector.delete([("board", "b"), ("title", "t")])
    note.body = "y"
    with pytest.raises(ItemNotFound):
        connector.update(note)
    with pytest.raises(ItemNotFound):
        connector.update(note, fields=["body"])
    assert connector.get([("board", "b"), ("title", "t")]) is None


@pytest.mark.django_db
def test_partial_update_writes_only_its_fields(owner):
    connector = Connector(EveryField)
    item = connector.insert(
        EveryField(owner=owner, created=BASE, char="a", text="mine", integer=3, boolean=True)
    )
    raw_key = every_field_key(owner)
    assert raw_item(EveryField, raw_key)["text"] == {"S": "mine"}
    # Someone else changes another field meanwhile, without touching the version.
    client.call(
        "update_item",
        TableName=connector.schema.table_name,
        Key=raw_key,
        UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "text"},
        ExpressionAttributeValues={":t": {"S": "theirs"}},
    )
    item.char = "b"
    item.text = "stale"
    item.integer = 99
    connector.update(item, fields=["char"])

    stored = raw_item(EveryField, raw_key)
    assert stored["char"] == {"S": "b"}
    assert stored["text"] == {"S": "theirs"}
    assert stored["integer"] == {"N": "3"}
    assert stored["boolean"] == {"BOOL": True}
    assert stored["version"] == {"N": "2"}
    assert item.version == 2


@pytest.mark.django_db
def test_partial_update_writes_falsy_values_and_removes_none(owner):
    connector = Connector(EveryField)
    item = connector.insert(
        EveryField(
            owner=owner,
            created=BASE,
            char="a",
            text="text",
            integer=3,
            boolean=True,
            json={"a": 1},
            decimal=decimal.Decimal("1.5"),
        )
    )
    raw_key = every_field_key(owner)
    item.text, item.integer, item.boolean, item.json = "", 0, False, []
    connector.update(item, fields=["text", "integer", "boolean", "json"])

    stored = raw_item(EveryField, raw_key)
    assert stored["text"] == {"S": ""}
    assert stored["integer"] == {"N": "0"}
    assert stored["boolean"] == {"BOOL": False}
    assert stored["json"] == {"L": []}
    loaded = connector.get([("owner", owner), ("created", BASE)])
    assert (loaded.text, loaded.integer, loaded.boolean, loaded.json) == ("", 0, False, [])

    item.text, item.decimal = None, None
    connector.update(item, fields=["text", "decimal"])
    stored = raw_item(EveryField, raw_key)
    assert "text" not in stored and "decimal" not in stored
    assert stored["char"] == {"S": "a"}
    assert stored["version"] == {"N": "3"}
    loaded = connector.get([("owner", owner), ("created", BASE)])
    assert (loaded.text, loaded.decimal, loaded.version) == (None, None, 3)


@pytest.mark.django_db
def test_full_update_writes_falsy_values_and_omits_none(owner):
    connector = Connector(EveryField)
    item = connector.insert(EveryField(owner=owner, created=BASE, text="t", integer=1, small=2))
    item.text, item.integer, item.small = "", 0, None
    connector.update(item)
    stored = raw_item(EveryField, every_field_key(owner))
    assert stored["text"] == {"S": ""}
    assert stored["integer"] == {"N": "0"}
    assert "small" not in stored


@pytest.mark.django_db
def test_partial_update_rejects_keys_version_and_unknown_fields(owner):
    connector = Connector(EveryField)
    item = connector.insert(EveryField(owner=owner, created=BASE, char="a"))
    for fields in (["owner"], ["created"], ["id"], ["version"], ["nope"], [], "char"):
        with pytest.raises(ValidationError):
            connector.update(item, fields=fields)
    # An index key cannot be empty either: refused before any request.
    item.char = ""
    with pytest.raises(ValidationError):
        connector.update(item, fields=["char"])
    assert raw_item(EveryField, every_field_key(owner))["char"] == {"S": "a"}
    assert connector.get([("owner", owner), ("created", BASE)]).version == 1


def test_partial_update_of_an_unversioned_model():
    connector = Connector(Note)
    note = connector.insert(Note(board="b", title="t", body="body", stars=5))
    note.stars = 0
    note.body = "changed locally only"
    connector.update(note, fields=["stars"])
    stored = connector.get([("board", "b"), ("title", "t")])
    assert (stored.stars, stored.body) == (0, "body")


# Deletes


@pytest.mark.django_db
def test_delete_of_a_missing_item_is_item_not_found(owner):
    with pytest.raises(ItemNotFound):
        Connector(EveryField).delete([("owner", owner), ("created", BASE)])
    with pytest.raises(ItemNotFound):
        Connector(Note).delete([("board", "b"), ("title", "t")])
    assert Connector(Note).count() == 0


@pytest.mark.django_db
def test_delete_with_a_stale_version_is_a_version_conflict(owner):
    connector = Connector(EveryField)
    key = [("owner", owner), ("created", BASE)]
    connector.insert(EveryField(owner=owner, created=BASE, char="a"))
    stale = connector.get(key)
    fresh = connector.get(key)
    fresh.char = "b"
    connector.update(fresh)

    with pytest.raises(VersionConflict) as raised:
        connector.delete(stale)
    assert raised.value.current_version == 2
    with pytest.raises(VersionConflict):
        connector.delete(key, expected_version=1)
    assert connector.get(key).char == "b"

    connector.delete(fresh)
    assert connector.get(key) is None
    with pytest.raises(ItemNotFound):
        connector.delete(fresh)


@pytest.mark.django_db
def test_delete_by_key_with_the_right_version(owner):
    connector = Connector(EveryField)
    key = [("owner", owner), ("created", BASE)]
    connector.insert(EveryField(owner=owner, created=BASE))
    connector.delete(key, expected_version=1)
    assert connector.get(key) is None


def test_delete_with_a_version_on_an_unversioned_model_is_refused():
    connector = Connector(Note)
    connector.insert(Note(board="b", title="t"))
    with pytest.raises(ValidationError):
        connector.delete([("board", "b"), ("title", "t")], expected_version=1)
    assert connector.get([("board", "b"), ("title", "t")]) is not None


def test_delete_removes_only_its_item():
    connector = Connector(Note)
    for title in ("a", "b", "c"):
        connector.insert(Note(board="b", title=title))
    note_b = connector.get([("board", "b"), ("title", "b")])
    connector.delete(note_b)
    assert [n.title for n in connector.select([("board", "b")])] == ["a", "c"]
    assert connector.get_by_id(note_b.pk) is None


@pytest.mark.django_db
def test_condition_errors_without_the_old_item_read_it(owner, faults):
    """Engines that ignore ReturnValuesOnConditionCheckFailure: the connector reads the item.

    The refusals are injected without the old item, as such an engine answers;
    the reads that follow reach the engine, which holds version 5.
    """
    connector = Connector(EveryField)
    item = connector.insert(EveryField(owner=owner, created=BASE, char="a"))
    table, key = connector.schema.table_name, every_field_key(owner)

    def store_version_5():
        stored = client.call("get_item", TableName=table, Key=key, ConsistentRead=True)["Item"]
        client.call("put_item", TableName=table, Item={**stored, "version": {"N": "5"}})

    refused = "ConditionalCheckFailedException"
    store_version_5()
    faults.error("PutItem", refused)
    with pytest.raises(VersionConflict) as raised:
        connector.update(item)
    assert raised.value.current_version == 5
    client.call("delete_item", TableName=table, Key=key)
    faults.error("PutItem", refused)
    with pytest.raises(ItemNotFound):
        connector.update(item)
    connector.insert(EveryField(owner=owner, created=BASE, char="a"))
    store_version_5()
    faults.error("DeleteItem", refused)
    with pytest.raises(VersionConflict) as raised:
        connector.delete(item)
    assert raised.value.current_version == 5
    assert (
        faults.count("GetItem") == 3 + 2
    )  # a read after each refusal; store_version_5 reads twice
    assert item.version == 1
    assert connector.get([("owner", owner), ("created", BASE)]).version == 5
