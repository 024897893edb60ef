"""Every operation of the booking API, fuzzed from the schema served at /api/schema/.

Requests go in process to Django's WSGI handler (no server), authenticated
with a DRF token as a regular user or as staff. No response may be a 5xx or
disagree with the schema (status code, content type, headers, body).
"""

import uuid

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.rest.idempotency import HEADER as IDEMPOTENCY_HEADER
from tests.api_helpers import BOOKING_PERMISSIONS, grant
from tests.fuzz.conftest import CASES, SEED, coverage_phase, max_examples

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def booking_api(seed):
    """The schema the project serves, restricted to the booking routes."""
    config = schemathesis.Config.from_dict(
        {
            "seed": seed,
            "generation": {
                "max-examples": max_examples(),
                "database": "none",
                # The test sends a real token: generated credentials would only be refused.
                "with-security-parameters": False,
            },
            "phases": {"coverage": {"enabled": coverage_phase()}},
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=config)
    return schema.include(path_regex=r"^/api/dynamo/booking/")


# A seed of its own each, or staff would be sent the very requests the user was.
as_a_user = booking_api(SEED)
as_staff = booking_api(SEED + 1)


class World:
    """Users, their tokens and bookings; a fresh booking to address on demand."""

    def __init__(self):
        self.users = {
            "user": User.objects.create_user("ada"),
            "other": User.objects.create_user("bob"),
            "staff": grant(User.objects.create_user("root", is_staff=True), *BOOKING_PERMISSIONS),
        }
        self.tokens = {
            name: Token.objects.create(user=user).key for name, user in self.users.items()
        }
        self.bookings = Connector(Booking)

    def booking(self, owner):
        booking = Booking(user=self.users[owner], name="Fuzzed", address="1 Main St")
        return self.bookings.insert(booking)

    def prepare(self, case, identity):
        """Let a generated case get past what it would only fail by chance.

        A generated id rarely names a booking, so nearly every detail request
        would be a 404: most are pointed at a live booking, ours or another
        user's. Fuzzed ids choose by their value (so Hypothesis still drives
        and replays the choice); coverage cases get one of ours, except those
        about the id itself. A generated If-Match is likewise replaced by the
        current or a stale version. The coverage phase sends one
        Idempotency-Key with many bodies (each a 422): each gets its own key.
        """
        phase = case.meta.phase
        varied = phase.data.parameter_location if phase.name == TestPhase.COVERAGE else None
        generated = (case.path_parameters or {}).get("id")
        if phase.name == TestPhase.FUZZING and isinstance(generated, int):
            self.aim(case, [identity, "other", identity, None][generated % 4], phase)
        elif phase.name == TestPhase.COVERAGE and generated is not None and varied != "path":
            self.aim(case, identity, phase)
        if varied not in (None, "header") and IDEMPOTENCY_HEADER in (case.headers or {}):
            case.headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())

    def aim(self, case, owner, phase):
        if owner is None:
            return
        booking = self.booking(owner)
        case.path_parameters["id"] = booking.id
        tag = (case.headers or {}).get("If-Match")
        if not isinstance(tag, str):
            return
        if phase.name == TestPhase.FUZZING:
            version = [None, booking.version, booking.version + 1][len(tag) % 3]
        elif phase.data.parameter_location != "header":
            version = booking.version
        else:
            return
        if version is not None:
            case.headers["If-Match"] = f'"{version}"'


@pytest.fixture
def world(in_process_requests):
    return World()


def send(case, identity, world):
    world.prepare(case, identity)
    headers = {"Authorization": f"Token {world.tokens[identity]}"}
    response = case.call(headers=headers)
    CASES[(identity, case.operation.label, response.status_code)] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)


# The tables and users are per test, shared by its examples on purpose.
@as_a_user.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_as_a_user(case, world):
    send(case, "user", world)


@as_staff.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_as_staff(case, world):
    send(case, "staff", world)
