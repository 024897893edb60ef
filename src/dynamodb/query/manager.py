"""The managers of a DynamoCompatibleModel.

``objects`` (and any ``DynamoManager``) hands out DynamoQuerySets.
``_base_manager`` stays Django's SQL manager, returning no rows: Django's
deletion collector looks for rows related to a deleted object through it,
and there are none in SQL; the dynamodb app applies the relations' on_delete
in DynamoDB instead (``storage.relations``).
"""

from django.db import models
from django.db.models.manager import BaseManager

from .queryset import DynamoQuerySet


class DynamoManager(BaseManager.from_queryset(DynamoQuerySet)):
    """``Model.objects``: Django's Manager API over a DynamoQuerySet."""


class DynamoInternalManager(models.Manager):
    """The base manager Django's internals use: it sees no SQL rows."""

    def get_queryset(self):
        return super().get_queryset().none()
