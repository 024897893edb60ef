import pytest


@pytest.fixture(autouse=True)
def _tables(dynamodb_tables):
    """Every test here runs against empty tables of its own (see tests/conftest.py)."""
    return dynamodb_tables
