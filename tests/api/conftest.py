import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _tables(dynamodb_tables):
    """Every test here runs against empty tables of its own (see tests/conftest.py)."""
    return dynamodb_tables


@pytest.fixture(autouse=True)
def _fresh_cache(_tables):
    """Throttle and login-failure counts of one test never reach the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _ready_checked_each_time(settings):
    """/ready/ checks the tables on every call here (the reuse is tested on its own)."""
    settings.READY_CACHE_SECONDS = 0


@pytest.fixture(params=["sync", "async"])
def viewset(request, settings):
    """Each test of a module using it runs against DynamoViewset, then AsyncDynamoViewset.

    A test with its own URLconf (``@pytest.mark.urls``) routes both itself.
    """
    if request.param == "async" and request.node.get_closest_marker("urls") is None:
        settings.ROOT_URLCONF = "tests.urls_async"
    return request.param
