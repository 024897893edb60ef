from django.conf import settings
from rest_framework.routers import SimpleRouter

from .views import AsyncBooking, DynamoBooking


def routes(viewset):
    """dynamo/booking/ (list, create) and dynamo/booking/<int:pk>/ (retrieve, update, destroy)."""
    router = SimpleRouter(use_regex_path=False)
    router.register("dynamo/booking", viewset, basename="booking")
    return router.urls


# The handlers that suit the server: async under ASGI (DJANGO_SERVER=asgi), sync under WSGI.
urlpatterns = routes(AsyncBooking if settings.SERVER_INTERFACE == "asgi" else DynamoBooking)
