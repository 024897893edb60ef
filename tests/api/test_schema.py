"""Health endpoints, the OpenAPI schema, the Swagger UI's local assets, the browsable API."""

import re
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from booking.models import Booking
from dynamodb.connector import Connector
from tests.api_helpers import BOOKINGS, EVERY, booking_url, client_for

pytestmark = pytest.mark.django_db


def test_health_is_200_without_authentication():
    response = APIClient().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_ready_is_200_when_every_table_exists():
    response = APIClient().get("/ready/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "dynamodb": "ok"}


@pytest.mark.parametrize("path", ["/health/", "/ready/"])
def test_probes_answer_any_host_and_plain_http(path, settings):
    """The container's HEALTHCHECK uses 127.0.0.1, outside a production ALLOWED_HOSTS."""
    settings.ALLOWED_HOSTS = ["api.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert APIClient().get(path, HTTP_HOST="10.0.0.7:8000").status_code == 200
    # Everything else still validates the host and redirects to HTTPS.
    assert APIClient().get("/api/bookings/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert APIClient().get("/api/bookings/", HTTP_HOST="api.example.com").status_code == 301


def test_health_endpoints_refuse_writes():
    assert APIClient().post("/health/").status_code == 405
    assert APIClient().post("/ready/").status_code == 405


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    """The generated schema, validated by drf-spectacular with warnings as errors."""
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def parameters(operation):
    return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}


def test_the_schema_validates_and_documents_both_routes(schema):
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths[BOOKINGS]) >= {"get", "post"}
    assert set(paths["/api/dynamo/booking/{id}/"]) >= {"get", "put", "patch", "delete"}
    assert EVERY in paths


def test_the_list_documents_its_filters_and_pagination(schema):
    listing = schema["paths"][BOOKINGS]["get"]
    documented = parameters(listing)
    expected = {
        "cursor",
        "page_size",
        "ordering",
        "date_at__gte",
        "date_at__lt",
        "date_at__range",
        "date_for__gte",
        "name",
        "name__startswith",
        "user",
    }
    assert expected <= set(documented), sorted(expected - set(documented))
    # A numeric sort key has no prefix to match.
    assert "date_at__startswith" not in documented
    assert documented["page_size"]["schema"]["type"] == "integer"
    assert "100" in documented["page_size"]["description"]
    assert all(parameter["in"] == "query" for parameter in documented.values())
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert set(component["properties"]) == {"next", "previous", "results"}


def test_the_partition_parameter_is_documented_for_each_kind_of_route(schema):
    bookings = parameters(schema["paths"][BOOKINGS]["get"])
    assert "Staff only" in bookings["user"]["description"]
    shared = parameters(schema["paths"][EVERY]["get"])
    assert "Staff only" not in shared["owner"]["description"]
    assert {"created__gte", "cursor", "page_size"} <= set(shared)


def test_detail_operations_take_no_list_parameters(schema):
    detail = schema["paths"]["/api/dynamo/booking/{id}/"]["get"]
    assert set(parameters(detail)) == {"id"}


def test_the_schema_is_served(ada):
    response = client_for(ada).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert BOOKINGS in response.json()["paths"]


def test_the_docs_page_loads_every_asset_locally():
    api_client = APIClient()
    page = api_client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assets += re.findall(r'<link[^>]*\shref="([^"]+)"', html)
    assert len(assets) >= 3, assets
    for asset in assets:
        parts = urlsplit(asset)
        assert not parts.scheme and not parts.netloc, f"{asset} is not served locally"
        response = api_client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, asset
    assert not re.search(r"https?://(?!testserver)", " ".join(assets))


def test_the_browsable_api_renders_list_and_detail(ada):
    booking = Connector(Booking).insert(Booking(user=ada, name="Rendered", address="1 Main St"))
    api_client = APIClient()
    assert api_client.login(username="ada", password="ada-password")
    listing = api_client.get(BOOKINGS, HTTP_ACCEPT="text/html")
    assert listing.status_code == 200
    assert listing["Content-Type"].startswith("text/html")
    assert "Rendered" in listing.content.decode()
    detail = api_client.get(booking_url(booking.id), HTTP_ACCEPT="text/html")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Rendered" in html
    assert 'name="address"' in html  # the edit form...
    assert 'name="user"' not in html  # ...where a user cannot choose the owner
    assert api_client.get(booking_url(booking.id + 1), HTTP_ACCEPT="text/html").status_code == 404


def test_the_browsable_api_renders_for_staff(ada, staff):
    booking = Connector(Booking).insert(Booking(user=ada, name="Owned by Ada", address="x"))
    api_client = APIClient()
    assert api_client.login(username="root", password="root-password")
    listing = api_client.get(BOOKINGS, HTTP_ACCEPT="text/html")
    assert listing.status_code == 200
    assert "Owned by Ada" in listing.content.decode()
    detail = api_client.get(booking_url(booking.id), HTTP_ACCEPT="text/html")
    assert detail.status_code == 200
    assert 'name="user"' in detail.content.decode()  # staff may choose the owner


def test_the_browsable_api_renders_the_shared_route(ada):
    api_client = APIClient()
    assert api_client.login(username="ada", password="ada-password")
    response = api_client.get(EVERY, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
