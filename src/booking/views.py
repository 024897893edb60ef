from dynamodb.viewsets import DynamoViewset

from .models import Booking
from .serializers import BookingSerializer


class DynamoBooking(DynamoViewset):
    """A user's bookings; users with the booking permissions see and manage everyone's."""

    queryset = Booking.objects.all()
    lookup_value_converter = "int"  # ids are integers: /api/dynamo/booking/<int:pk>/
    serializer_class = BookingSerializer
    filter_fields = {"name": ["exact", "startswith"]}
