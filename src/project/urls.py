"""URL routes of the service."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from . import health


def service_urls(booking_urls="booking.urls"):
    """The service's routes, the bookings API from ``booking_urls`` (the tests swap it)."""
    return [
        path("admin/", admin.site.urls),
        path("health/", health.health, name="health"),
        path("ready/", health.ready, name="ready"),
        path("api/", include(booking_urls)),
        # POST username and password: {"token": "..."} (failed attempts lock out as every login).
        path("api/auth/token/", obtain_auth_token, name="auth-token"),
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
        path("api-auth/", include("rest_framework.urls")),
    ]


urlpatterns = service_urls()

handler404 = "project.errors.not_found"
