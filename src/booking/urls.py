from django.urls import path

from .views import DynamoBooking

urlpatterns = [
    path(
        "dynamo/booking/",
        DynamoBooking.as_view({"get": "list", "post": "create"}),
        name="booking-list",
    ),
    path(
        "dynamo/booking/<int:pk>/",
        DynamoBooking.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="booking-detail",
    ),
]
