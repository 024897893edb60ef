"""ROOT_URLCONF of the tests: the project's routes and error handlers plus the test app's API."""

from django.urls import path

from project import urls as project_urls
from tests.testapp.views import DynamoEveryField

urlpatterns = [
    *project_urls.urlpatterns,
    path(
        "api/test/everyfield/",
        DynamoEveryField.as_view({"get": "list", "post": "create"}),
        name="everyfield-list",
    ),
    path(
        "api/test/everyfield/<int:pk>/",
        DynamoEveryField.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="everyfield-detail",
    ),
]

handler404 = project_urls.handler404
