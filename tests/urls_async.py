"""ROOT_URLCONF of the API tests run against the async viewsets (the ``viewset`` fixture).

The same routes as tests/urls.py, served by AsyncDynamoViewset subclasses.
"""

from rest_framework.routers import SimpleRouter

from booking.urls import routes
from booking.views import AsyncBooking
from project import urls as project_urls
from tests.testapp.views import AsyncEveryField

router = SimpleRouter(use_regex_path=False)
router.register("api/test/everyfield", AsyncEveryField, basename="everyfield")
urlpatterns = [*project_urls.service_urls(routes(AsyncBooking)), *router.urls]

handler404 = project_urls.handler404
