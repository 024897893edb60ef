"""The users' admin says, before a user is deleted, what that does to their bookings in DynamoDB."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from dynamodb.admin import DynamoRelationsAdminMixin

User = get_user_model()


class DynamoUserAdmin(DynamoRelationsAdminMixin, UserAdmin):
    """Django's UserAdmin; deleting a user lists the DynamoDB items deleted or changed with them."""


admin.site.unregister(User)
admin.site.register(User, DynamoUserAdmin)
