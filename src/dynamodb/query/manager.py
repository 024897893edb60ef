"""The managers of a DynamoCompatibleModel.

``objects`` (and any ``DynamoManager``) hands out DynamoQuerySets.
``_base_manager`` is for Django's deletion collector, which looks through it
for the items related to SQL rows being deleted (``collector.RelatedItems``).
"""

from django.db import models
from django.db.models.manager import BaseManager

from .collector import RelatedItems
from .queryset import DynamoQuerySet


class DynamoManager(BaseManager.from_queryset(DynamoQuerySet)):
    """``Model.objects``: Django's Manager API over a DynamoQuerySet."""


class DynamoInternalManager(models.Manager):
    """The base manager: what Django's deletion collector sees (``collector.RelatedItems``)."""

    def get_queryset(self):
        return RelatedItems(self.model)
