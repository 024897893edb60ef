"""Unit tests: no engine, no tables. A request that slips out fails at once.

The endpoint is the discard port of the loopback, where nothing listens, and
botocore makes one attempt: an accidental request is an EngineUnavailable in
milliseconds instead of a test that quietly needs a running engine.
"""

import pytest

NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def no_engine(settings):
    settings.DYNAMODB_ENDPOINT_URL = NOWHERE
    settings.DYNAMODB_MAX_ATTEMPTS = 1
    settings.DYNAMODB_CONNECT_TIMEOUT = 0.5
