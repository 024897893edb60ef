"""The test app's models in the admin: other keys, relations between DynamoDB models, a
ModelAdmin that refuses Scans, and an SQL model DynamoDB items refer to."""

from django.contrib import admin

from dynamodb.admin import DynamoModelAdmin, DynamoRelationsAdminMixin

from .models import Book, Note, Owner, Shelf


@admin.register(Shelf)
class ShelfAdmin(DynamoModelAdmin):
    list_display = ["id", "name"]
    search_fields = ["pk"]


@admin.register(Book)
class BookAdmin(DynamoModelAdmin):
    list_display = ["title", "shelf", "author", "year", "reader"]
    # The table's partition (shelf) and the global index's (author).
    search_fields = ["pk", "shelf", "author"]
    ordering = ["title"]


@admin.register(Note)
class NoteAdmin(DynamoModelAdmin):
    """Notes of a board: listing every board (a Scan) is for superusers only."""

    list_display = ["board", "title", "stars"]
    search_fields = ["board"]

    def has_scan_permission(self, request):
        return request.user.is_superuser


@admin.register(Owner)
class OwnerAdmin(DynamoRelationsAdminMixin, admin.ModelAdmin):
    list_display = ["name"]
