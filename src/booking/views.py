from dynamodb.async_viewsets import AsyncDynamoViewset
from dynamodb.viewsets import DynamoViewset

from .models import Booking
from .serializers import BookingSerializer


class BookingAPI:
    """A user's bookings; users with the booking permissions see and manage everyone's."""

    queryset = Booking.objects.all()
    lookup_value_converter = "int"  # ids are integers: /api/dynamo/booking/<int:pk>/
    serializer_class = BookingSerializer
    filter_fields = {"name": ["exact", "startswith"]}


class DynamoBooking(BookingAPI, DynamoViewset):
    """The bookings API with sync handlers (served under WSGI)."""


class AsyncBooking(BookingAPI, AsyncDynamoViewset):
    """The same API with async handlers (served under ASGI: no thread waits on DynamoDB)."""
