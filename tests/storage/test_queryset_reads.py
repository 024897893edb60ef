"""Model.objects reads against a real engine: what is sent, and what comes back."""

import datetime

import pytest
from django.db.models import Q

from booking.models import Booking
from dynamodb.exceptions import UnsupportedOperation
from dynamodb.wire import client
from tests.testapp.models import Book, EveryField, Note, Owner, Shelf

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
BIG_BODY = 40_000  # characters: 40 notes make about 1.6 MB, past a page's 1 MB


def operations(sent):
    return [name for name, _ in sent]


@pytest.fixture
def fruit(requests_sent):
    titles = ["apple", "apricot", "banana", "blueberry", "cherry"]
    notes = [
        Note.objects.create(board="fruit", title=title, body=f"about {title}", stars=stars)
        for stars, title in enumerate(titles)
    ]
    Note.objects.create(board="veg", title="artichoke", stars=9)
    requests_sent.clear()
    return notes


def titles(queryset):
    return [note.title for note in queryset]


def test_nothing_is_sent_until_the_queryset_is_evaluated(fruit, requests_sent):
    queryset = Note.objects.filter(board="fruit").filter(stars__gte=1).order_by("-title")[:2]
    assert requests_sent == []
    assert titles(queryset) == ["cherry", "blueberry"]
    assert operations(requests_sent) == ["Query"]
    assert titles(queryset) == ["cherry", "blueberry"]  # from the result cache
    assert operations(requests_sent) == ["Query"]


@pytest.mark.parametrize(
    ("lookups", "expected"),
    [
        ({"title": "banana"}, ["banana"]),
        ({"title__lt": "banana"}, ["apple", "apricot"]),
        ({"title__lte": "banana"}, ["apple", "apricot", "banana"]),
        ({"title__gt": "banana"}, ["blueberry", "cherry"]),
        ({"title__gte": "banana"}, ["banana", "blueberry", "cherry"]),
        ({"title__range": ("apricot", "blueberry")}, ["apricot", "banana", "blueberry"]),
        ({"title__startswith": "b"}, ["banana", "blueberry"]),
        ({"title__gt": "apple", "title__lte": "blueberry"}, ["apricot", "banana", "blueberry"]),
        ({"title__gte": "apricot", "title__lte": "banana"}, ["apricot", "banana"]),
    ],
)
def test_sort_key_lookups_are_key_conditions(fruit, requests_sent, lookups, expected):
    assert titles(Note.objects.filter(board="fruit", **lookups)) == expected
    ((operation, params),) = requests_sent
    assert operation in ("Query", "GetItem") and "FilterExpression" not in params


def test_filters_on_other_fields(fruit, requests_sent):
    board = Note.objects.filter(board="fruit")
    assert titles(board.filter(stars__gte=3)) == ["blueberry", "cherry"]
    assert titles(board.filter(body__contains="an")) == ["banana"]
    assert titles(board.filter(stars__in=[0, 4, 9])) == ["apple", "cherry"]
    assert titles(board.exclude(stars__lt=2).exclude(body="about cherry")) == [
        "banana",
        "blueberry",
    ]
    either = Q(stars=0) | Q(body__startswith="about bl")
    assert titles(board.filter(either)) == ["apple", "blueberry"]
    assert titles(board.filter(~Q(stars__gt=0))) == ["apple"]
    assert all("FilterExpression" in params for _, params in requests_sent)
    assert set(operations(requests_sent)) == {"Query"}


def test_isnull_and_none(requests_sent):
    owner = Owner.objects.create(name="o")
    EveryField.objects.create(owner=owner, created=T0, char="a", integer=1)
    EveryField.objects.create(owner=owner, created=T0 + datetime.timedelta(seconds=1), char="b")
    mine = EveryField.objects.filter(owner=owner)
    assert [item.char for item in mine.filter(integer__isnull=True)] == ["b"]
    assert [item.char for item in mine.filter(integer=None)] == ["b"]
    assert [item.char for item in mine.filter(integer__isnull=False)] == ["a"]


def test_a_query_without_a_partition_key_is_refused_before_any_request(fruit, requests_sent):
    with pytest.raises(UnsupportedOperation, match=r"\.scan\(\)"):
        list(Note.objects.filter(stars=3))
    with pytest.raises(UnsupportedOperation):
        Note.objects.all().count()
    assert requests_sent == []


def test_scan_reads_every_item_on_request(fruit, requests_sent):
    assert sorted(titles(Note.objects.scan())) == sorted([*(n.title for n in fruit), "artichoke"])
    assert titles(Note.objects.scan().filter(stars__gte=4)) in (
        ["cherry", "artichoke"],
        ["artichoke", "cherry"],
    )
    assert set(operations(requests_sent)) == {"Scan"}
    assert Note.objects.scan().count() == 6


def test_a_parallel_scan_reads_each_segment_once(requests_sent):
    for n in range(30):
        Note.objects.create(board=f"b{n % 7}", title=f"t{n:02d}")
    requests_sent.clear()
    found = titles(Note.objects.scan(segments=4).iterator(chunk_size=5))
    assert sorted(found) == [f"t{n:02d}" for n in range(30)]
    scans = [params for operation, params in requests_sent if operation == "Scan"]
    assert {params["TotalSegments"] for params in scans} == {4}
    starts = [params["Segment"] for params in scans if "ExclusiveStartKey" not in params]
    assert sorted(starts) == [0, 1, 2, 3]
    assert Note.objects.scan(segments=3).filter(title__startswith="t1").count() == 10


def test_order_by_and_reverse(fruit):
    board = Note.objects.filter(board="fruit")
    assert titles(board.order_by("-title")) == ["cherry", "blueberry", "banana", "apricot", "apple"]
    assert titles(board.order_by("-title").reverse()) == [n.title for n in fruit]
    assert titles(board.reverse()[:2]) == ["cherry", "blueberry"]
    assert board.first().title == "apple" and board.last().title == "cherry"
    assert board.order_by("-title").first().title == "cherry"


def test_slicing_reads_only_what_it_needs(fruit, requests_sent):
    board = Note.objects.filter(board="fruit")
    assert titles(board[:2]) == ["apple", "apricot"]
    assert requests_sent[-1][1]["Limit"] == 2
    assert titles(board[1:3]) == ["apricot", "banana"]
    assert requests_sent[-1][1]["Limit"] == 3  # one read and skipped
    assert board[3].title == "blueberry"
    with pytest.raises(IndexError):
        board[10]
    assert titles(board[2:][:2]) == ["banana", "blueberry"]
    assert titles(board[::2]) == ["apple", "banana", "cherry"]
    assert board[1:3].count() == 2 and board[4:].count() == 1 and board[9:].count() == 0


def test_a_filtered_slice_reads_until_enough_items_matched(fruit, requests_sent):
    found = Note.objects.filter(board="fruit", stars__gte=3).iterator(chunk_size=1)
    assert titles(found) == ["blueberry", "cherry"]
    # Limit 1 per request: five items examined, one per page.
    assert len(requests_sent) >= 5


def test_reads_never_stop_at_one_megabyte(requests_sent):
    for i in range(40):
        Note.objects.create(board="big", title=f"n{i:03d}", body="x" * BIG_BODY)
    requests_sent.clear()
    assert len(list(Note.objects.filter(board="big"))) == 40
    assert len(requests_sent) >= 2
    requests_sent.clear()
    assert Note.objects.filter(board="big").count() == 40
    assert all(params["Select"] == "COUNT" for _, params in requests_sent)
    assert Note.objects.filter(board="big", title__gte="n020").count() == 20


def test_get_reads_one_item(fruit, requests_sent):
    assert Note.objects.get(board="fruit", title="banana").stars == 2
    assert operations(requests_sent) == ["GetItem"]
    with pytest.raises(Note.DoesNotExist, match="Note matching query does not exist"):
        Note.objects.get(board="fruit", title="kiwi")
    with pytest.raises(Note.MultipleObjectsReturned, match="it returned 2"):
        Note.objects.get(board="fruit", title__startswith="b")
    assert Note.objects.filter(board="fruit").get(stars=4).title == "cherry"


def test_get_by_pk_resolves_the_id(fruit, requests_sent):
    banana = fruit[2]
    from dynamodb.storage import ids

    ids.key_cache.clear()
    requests_sent.clear()
    assert Note.objects.get(pk=banana.pk).title == "banana"
    assert operations(requests_sent) == ["Query", "GetItem"]  # the id index, then the item
    requests_sent.clear()
    assert Note.objects.get(id=banana.pk).title == "banana"
    assert operations(requests_sent) == ["GetItem"]  # the key is cached
    assert Note.objects.filter(board="fruit").get(pk=banana.pk) == banana
    with pytest.raises(Note.DoesNotExist):
        Note.objects.filter(board="veg").get(pk=banana.pk)
    with pytest.raises(Note.DoesNotExist):
        Note.objects.get(pk=banana.pk, stars=3)
    assert Note.objects.get(pk=banana.pk, stars=2) == banana


def test_a_deleted_id_is_not_found_even_through_a_stale_cache(fruit):
    banana = fruit[2]
    Note.objects.get(pk=banana.pk)  # cached
    banana.delete()
    Note.objects.create(board="fruit", title="banana", stars=7)  # the same key, a new id
    with pytest.raises(Note.DoesNotExist):
        Note.objects.get(pk=banana.pk)


def test_in_bulk_and_pk_in(fruit, requests_sent):
    wanted = [fruit[0].pk, fruit[3].pk, 999_999]
    found = Note.objects.in_bulk(wanted)
    assert {pk: note.title for pk, note in found.items()} == {
        fruit[0].pk: "apple",
        fruit[3].pk: "blueberry",
    }
    assert "BatchGetItem" in operations(requests_sent)
    assert Note.objects.in_bulk([]) == {}
    assert titles(Note.objects.filter(pk__in=wanted).order_by("-title")) == ["blueberry", "apple"]
    assert Note.objects.filter(pk__in=wanted).count() == 2


def test_exists_reads_keys_only_and_stops_at_the_first_match(fruit, requests_sent):
    assert Note.objects.filter(board="fruit").exists()
    params = requests_sent[-1][1]
    assert params["Limit"] == 1 and "body" not in params["ExpressionAttributeNames"].values()
    assert not Note.objects.filter(board="fruit", stars=42).exists()
    assert Note.objects.filter(board="fruit", stars=4).exists()
    assert not Note.objects.none().exists()


def test_values_values_list_only_and_defer(fruit, requests_sent):
    board = Note.objects.filter(board="fruit", stars__lte=1)
    assert list(board.values("title", "stars")) == [
        {"title": "apple", "stars": 0},
        {"title": "apricot", "stars": 1},
    ]
    assert "ProjectionExpression" in requests_sent[-1][1]
    assert list(board.values_list("title", flat=True)) == ["apple", "apricot"]
    assert list(board.values_list("title", "stars")) == [("apple", 0), ("apricot", 1)]
    assert [row.title for row in board.values_list("title", named=True)] == ["apple", "apricot"]
    assert set(next(iter(board.values()))) == {"id", "board", "title", "body", "stars"}
    requests_sent.clear()
    apple, _ = board.only("stars")
    assert apple.get_deferred_fields() == {"body"}
    assert apple.body == "about apple"  # loaded on access: one more read
    assert operations(requests_sent) == ["Query", "GetItem"]
    apple, _ = board.defer("body")
    assert apple.get_deferred_fields() == {"body"}


def test_iterator_and_page(fruit, requests_sent):
    board = Note.objects.filter(board="fruit")
    assert titles(board.iterator(chunk_size=2)) == [n.title for n in fruit]
    assert [params["Limit"] for _, params in requests_sent] == [2, 2, 2]
    first = board.page(2)
    second = board.page(2, cursor=first.cursor)
    third = board.page(2, cursor=second.cursor)
    assert [titles(p.items) for p in (first, second, third)] == [
        ["apple", "apricot"],
        ["banana", "blueberry"],
        ["cherry"],
    ]
    back = board.reverse().page(2, cursor=board.cursor_for(third.items[0]))
    assert titles(back.items) == ["blueberry", "banana"]


def test_a_global_index_query(requests_sent):
    shelf = Shelf.objects.create(name="s")
    for year, title in [(1999, "a"), (2005, "b"), (2010, "c")]:
        Book.objects.create(shelf=shelf, title=title, author="ann", year=year)
    Book.objects.create(shelf=shelf, title="d", author="bo", year=2005)
    requests_sent.clear()
    found = Book.objects.filter(author="ann", year__gte=2000).order_by("-year")
    assert [book.title for book in found] == ["c", "b"]
    assert requests_sent[-1][1]["IndexName"] == "BookByAuthor"
    assert [b.title for b in Book.objects.using_index("BookByAuthor").filter(author="bo")] == ["d"]


def test_a_keys_only_index_defers_the_other_fields():
    owner = Owner.objects.create(name="o")
    EveryField.objects.create(owner=owner, created=T0, char="c", text="long text")
    (item,) = EveryField.objects.filter(char="c")
    assert "text" in item.get_deferred_fields()
    assert item.text == "long text"


def test_select_related_loads_the_users_of_a_page_in_one_query(django_assert_num_queries):
    from django.contrib.auth.models import User

    users = [User.objects.create_user(f"u{n}") for n in range(3)]
    shelf = Shelf.objects.create(name="s")
    for n, user in enumerate(users * 2):
        Book.objects.create(shelf=shelf, title=f"t{n}", reader=user)
    with django_assert_num_queries(1):
        books = list(Book.objects.filter(shelf=shelf).select_related("reader"))
        assert sorted({book.reader.username for book in books}) == ["u0", "u1", "u2"]
    with django_assert_num_queries(1):
        books = list(Book.objects.filter(shelf=shelf).prefetch_related("reader"))
        assert [book.reader.username for book in books] == [f"u{n % 3}" for n in range(6)]
    with django_assert_num_queries(6):
        assert len({book.reader.pk for book in Book.objects.filter(shelf=shelf)}) == 3


def test_relations_between_dynamodb_models_read_dynamodb(requests_sent):
    shelf = Shelf.objects.create(name="top")
    book = Book.objects.create(shelf=shelf, title="t")
    fresh = Book.objects.get(shelf=shelf.pk, title="t")
    assert fresh.shelf.name == "top"  # a GetItem of the shelf
    assert [b.title for b in shelf.book_set.all()] == ["t"]
    assert shelf.book_set.get(title="t") == book
    assert shelf.book_set.all()[0].shelf is shelf  # known: no read
    assert Book.objects.filter(shelf=shelf).select_related("shelf")[0].shelf.name == "top"


def test_explain_sends_nothing(fruit, requests_sent):
    text = Note.objects.filter(board="fruit", stars__gt=1).explain()
    assert text.startswith("query ") and "stars > Decimal('1')" in text
    assert requests_sent == []


def test_the_engine_gets_what_explain_says():
    queryset = Booking.objects.filter(user=3, date_at__gte=T0, name="x")
    (step,) = __import__("json").loads(queryset.explain(format="json"))
    response = client.call(
        "query",
        TableName=step["TableName"],
        KeyConditionExpression="#u = :u AND #d >= :d",
        FilterExpression="#n = :n",
        ExpressionAttributeNames={"#u": "user", "#d": "date_at", "#n": "name"},
        ExpressionAttributeValues={
            ":u": {"N": "3"},
            ":d": {"N": "1772366400.000000"},
            ":n": {"S": "x"},
        },
    )
    assert response["Count"] == len(queryset) == 0
    assert "date_at >= Decimal('1772366400.000000')" in step["KeyConditionExpression"]
