"""Public import path of the REST viewsets (``from dynamodb.viewsets import DynamoViewset``).

They live in ``dynamodb.rest.viewsets``; see docs/architecture.md.
"""

from .rest.viewsets import (
    DynamoCreateModelMixin,
    DynamoDestroyModelMixin,
    DynamoGenericViewSet,
    DynamoListModelMixin,
    DynamoRetrieveModelMixin,
    DynamoUpdateModelMixin,
    DynamoViewset,
)

__all__ = [
    "DynamoCreateModelMixin",
    "DynamoDestroyModelMixin",
    "DynamoGenericViewSet",
    "DynamoListModelMixin",
    "DynamoRetrieveModelMixin",
    "DynamoUpdateModelMixin",
    "DynamoViewset",
]
