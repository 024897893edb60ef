"""ROOT_URLCONF of the tests: the project's routes and error handlers plus the test app's API.

The sync viewsets, whatever DJANGO_SERVER says; tests/urls_async.py has the async ones.
"""

from rest_framework.routers import SimpleRouter

from booking.urls import routes
from booking.views import DynamoBooking
from project import urls as project_urls
from tests.testapp.views import DynamoEveryField

router = SimpleRouter(use_regex_path=False)
router.register("api/test/everyfield", DynamoEveryField, basename="everyfield")
urlpatterns = [*project_urls.service_urls(routes(DynamoBooking)), *router.urls]

handler404 = project_urls.handler404
