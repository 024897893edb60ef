"""Test-only API: a DynamoViewset whose items are shared (partitioned by an SQL Owner)."""

from dynamodb.viewsets import DynamoViewset

from .models import EveryField
from .serializers import EveryFieldSerializer


class DynamoEveryField(DynamoViewset):
    """Every field type over HTTP; its partition is an Owner, not the user: owner_field = None."""

    queryset = None
    model_class = EveryField
    serializer_class = EveryFieldSerializer
    owner_field = None
