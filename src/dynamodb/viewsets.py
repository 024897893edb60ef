"""Public import path of the REST viewsets (``from dynamodb.viewsets import DynamoViewset``).

They live in ``dynamodb.rest.viewsets`` and ``dynamodb.rest.mixins``; see docs/architecture.md.
"""

from .rest.mixins import (
    DynamoCreateModelMixin,
    DynamoDestroyModelMixin,
    DynamoListModelMixin,
    DynamoRetrieveModelMixin,
    DynamoUpdateModelMixin,
)
from .rest.viewsets import DynamoGenericViewSet, DynamoViewset

__all__ = [
    "DynamoCreateModelMixin",
    "DynamoDestroyModelMixin",
    "DynamoGenericViewSet",
    "DynamoListModelMixin",
    "DynamoRetrieveModelMixin",
    "DynamoUpdateModelMixin",
    "DynamoViewset",
]
