"""The example app's model: a user's bookings, stored in DynamoDB."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from dynamodb.models import DynamoCompatibleModel, LocalIndex


class Booking(DynamoCompatibleModel):
    """A booking: partitioned by user, sorted by creation time (to the microsecond)."""

    table_name = "BookingUserByDateAt"
    partition_key = "user"
    sort_key = "date_at"
    secondary_indexes = [LocalIndex("BookingUserByDateFor", sort_key="date_for")]
    version_field = "version"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    date_at = models.DateTimeField(default=timezone.now)
    date_for = models.DateTimeField(default=timezone.now)
    address = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    # Optimistic locking: every write is conditioned on it; served as the ETag.
    version = models.PositiveIntegerField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"{self.name} for {self.date_for:%Y-%m-%d %H:%M} (user {self.user_id})"
