"""Sort-key conditions of the booking list, fuzzed with Hypothesis: a correct page or a 400.

The schemathesis run draws all the list's parameters at once, so it rarely
sends exactly one sort key's lower and upper bound: this test does, with
datetimes out to the ends of their range and any UTC offset. Every 200 is
checked against the conditions sent.
"""

import datetime

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from booking.models import Booking
from dynamodb.connector import Connector
from tests.api_helpers import BOOKING_PERMISSIONS, BOOKINGS, grant
from tests.fuzz.conftest import CASES, SEED, max_examples

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

UTC = datetime.UTC
MOMENTS = [
    datetime.datetime.min.replace(tzinfo=UTC),
    datetime.datetime(1970, 1, 1, tzinfo=UTC),
    datetime.datetime(2026, 6, 1, 12, 0, 0, 1, tzinfo=UTC),
    datetime.datetime.max.replace(tzinfo=UTC),
]
COMPARE = {
    "exact": lambda value, bound: value == bound,
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}

offsets = st.timedeltas(
    min_value=-datetime.timedelta(hours=23, minutes=59),
    max_value=datetime.timedelta(hours=23, minutes=59),
).map(
    lambda delta: datetime.timezone(
        datetime.timedelta(minutes=delta // datetime.timedelta(minutes=1))
    )
)
moments = st.one_of(
    st.sampled_from(MOMENTS),
    st.datetimes(timezones=st.just(UTC) | offsets),
)
conditions = st.one_of(
    # One condition...
    st.tuples(st.sampled_from(sorted(COMPARE)), moments).map(lambda pair: [pair]),
    # ...or a lower and an upper bound.
    st.tuples(
        st.tuples(st.sampled_from(["gt", "gte"]), moments),
        st.tuples(st.sampled_from(["lt", "lte"]), moments),
    ).map(list),
)


@pytest.fixture
def bookings():
    ada = User.objects.create_user("ada")
    root = grant(User.objects.create_user("root", is_staff=True), *BOOKING_PERMISSIONS)
    connector = Connector(Booking)
    for number, moment in enumerate(MOMENTS):
        connector.insert(
            Booking(user=ada, date_at=moment, date_for=MOMENTS[-1 - number], name="n", address="a")
        )
    return {"user": ada, "staff": root}


@pytest.mark.parametrize("identity", ["user", "staff"])
@settings(
    max_examples=10 * max_examples(),
    deadline=None,
    database=None,
    # The users and bookings are per test, shared by its examples on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@seed(SEED)
@given(
    key=st.sampled_from(["date_at", "date_for"]),
    conditions=conditions,
    descending=st.booleans(),
)
def test_sort_key_conditions(bookings, identity, key, conditions, descending):
    client = APIClient()
    client.force_authenticate(bookings[identity])
    query = {f"{key}__{lookup}": moment.isoformat() for lookup, moment in conditions}
    if identity == "user":  # a staff listing of the whole table (a Scan) cannot be ordered
        query["ordering"] = f"-{key}" if descending else key
    response = client.get(BOOKINGS, query)
    CASES[(identity, "GET /api/dynamo/booking/ (bounds)", response.status_code)] += 1
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert set(response.json()) <= set(query), response.json()
        return
    results = response.json()["results"]
    for item in results:
        value = datetime.datetime.fromisoformat(item[key])
        for lookup, moment in conditions:
            assert COMPARE[lookup](value, moment), (item, query)
    expected = [
        moment
        for moment in MOMENTS
        if all(COMPARE[lookup](moment, bound) for lookup, bound in conditions)
    ]
    assert len(results) == len(expected), (results, query)
