"""Bookings in the admin: DynamoModelAdmin reads them by key, one page at a time."""

from django.contrib import admin

from dynamodb.admin import DynamoModelAdmin

from .models import Booking


@admin.register(Booking)
class BookingAdmin(DynamoModelAdmin):
    list_display = ["id", "name", "user", "date_at", "date_for", "address", "version"]
    list_display_links = ["id", "name"]
    # The sort key (a key condition of the user's partition) and the local index's sort key.
    list_filter = ["date_at", "date_for"]
    # A booking by id (the id index), or a user's bookings (their partition).
    search_fields = ["pk", "user"]
    ordering = ["-date_at"]
    # Users are SQL rows, possibly many: searched, never listed in a select.
    autocomplete_fields = ["user"]
    readonly_fields = ["version"]
    list_per_page = 25
