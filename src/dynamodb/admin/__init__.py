"""The Django admin for DynamoDB models.

``DynamoModelAdmin`` is the ModelAdmin of a DynamoCompatibleModel;
``DynamoRelationsAdminMixin`` adds, to the ModelAdmin of a model DynamoDB
items refer to, what their on_delete does in its delete confirmation. See
``options`` for what they change from Django's admin.
"""

from .deletion import delete_selected
from .options import DynamoModelAdmin, DynamoRelationsAdminMixin

__all__ = ["DynamoModelAdmin", "DynamoRelationsAdminMixin", "delete_selected"]
