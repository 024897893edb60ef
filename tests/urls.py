"""ROOT_URLCONF of the tests: the project's routes and error handlers plus the test app's API."""

from rest_framework.routers import SimpleRouter

from project import urls as project_urls
from tests.testapp.views import DynamoEveryField

router = SimpleRouter(use_regex_path=False)
router.register("api/test/everyfield", DynamoEveryField, basename="everyfield")
urlpatterns = [*project_urls.urlpatterns, *router.urls]

handler404 = project_urls.handler404
