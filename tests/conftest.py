"""Fixtures: a real engine over HTTP, and empty tables for every test.

DynamoDB data does not roll back with Django's transaction, so each test
gets its own table prefix: its tables are created before it and deleted after.
"""

import itertools
import os

import pytest
from django.conf import settings as django_settings

from dynamodb import client, ids
from dynamodb.connector import Connector
from dynamodb.tables import dynamo_models
from tests.engine import MotoServer

_test_numbers = itertools.count()

for name, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(name, value)


@pytest.fixture(scope="session")
def dynamodb_engine():
    """moto's server in a subprocess, for the whole session."""
    server = MotoServer().start()
    django_settings.DYNAMODB_ENDPOINT_URL = server.url
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def dynamodb_tables(dynamodb_engine, settings):
    """Every DynamoDB model's table, empty, under a prefix of this test's own."""
    settings.DYNAMODB_ENDPOINT_URL = dynamodb_engine.url
    settings.DYNAMODB_TABLE_PREFIX = f"t{next(_test_numbers)}_"
    models = dynamo_models()
    for model in models:
        Connector(model).create_table()
    yield models
    if dynamodb_engine.process is None:
        return
    for model in models:
        Connector(model).delete_table(wait=False)
    client.call("delete_table", TableName=ids.counter_table_name())
