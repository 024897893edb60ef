from dynamodb.viewsets import DynamoViewset

from .models import Booking
from .serializers import BookingSerializer


class DynamoBooking(DynamoViewset):
    """A user's bookings; staff see and manage everyone's."""

    queryset = Booking.objects.all()
    serializer_class = BookingSerializer
    filter_fields = {"name": ["exact", "startswith"]}
