"""Test-only API: a DynamoViewset whose items are shared (partitioned by an SQL Owner)."""

from dynamodb.async_viewsets import AsyncDynamoViewset
from dynamodb.viewsets import DynamoViewset

from .models import EveryField
from .serializers import EveryFieldSerializer


class EveryFieldAPI:
    """Every field type over HTTP; its partition is an Owner, not the user: owner_field = None."""

    queryset = EveryField.objects.all()
    serializer_class = EveryFieldSerializer
    owner_field = None
    lookup_value_converter = "int"


class DynamoEveryField(EveryFieldAPI, DynamoViewset):
    """With sync handlers."""


class AsyncEveryField(EveryFieldAPI, AsyncDynamoViewset):
    """With async handlers."""
