"""AsyncDynamoViewset: the DynamoViewset's API served by async handlers.

    class AsyncBooking(AsyncDynamoViewset):
        queryset = Booking.objects.all()
        serializer_class = BookingSerializer

Same routes, statuses, ETag/If-Match, Idempotency-Key, owner confinement,
pagination, throttling and error mapping as ``DynamoViewset``: the handlers
are the same flows (``query.flows``), driven with the async API, so a request
holds no thread while DynamoDB answers. Built on adrf's GenericViewSet, which
runs DRF's authentication, permissions and throttles in a thread (they read
Django's SQL database), then awaits the handler. What reads the SQL database
in a handler (a serializer's validation, which looks up related rows, and its
data when a field reads them) runs in a thread too, as Django's async ORM does.

Hooks to override are the async twins of DynamoViewset's: ``aget_object``,
``aperform_create``, ``aperform_update``, ``aperform_move``,
``aperform_destroy``.
"""

from adrf.viewsets import GenericViewSet as AsyncGenericViewSet
from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation

from ..query.flows import adrive
from .mixins import (
    DynamoCreateModelMixin,
    DynamoDestroyModelMixin,
    DynamoListModelMixin,
    DynamoRetrieveModelMixin,
    DynamoUpdateModelMixin,
)
from .viewsets import DynamoViewSetBase


class AsyncDynamoViewset(
    DynamoListModelMixin,
    DynamoCreateModelMixin,
    DynamoRetrieveModelMixin,
    DynamoUpdateModelMixin,
    DynamoDestroyModelMixin,
    DynamoViewSetBase,
    AsyncGenericViewSet,
):
    """List, create, retrieve, update, partial_update and destroy, as coroutines."""

    # Handlers

    async def list(self, request, *args, **kwargs):
        return await adrive(self.list_flow(request))

    async def create(self, request, *args, **kwargs):
        return await adrive(self.create_flow(request))

    async def retrieve(self, request, *args, **kwargs):
        return await adrive(self.retrieve_flow(request))

    async def update(self, request, *args, **kwargs):
        return await adrive(self.update_flow(request, partial=kwargs.pop("partial", False)))

    async def partial_update(self, request, *args, **kwargs):
        return await adrive(self.update_flow(request, partial=True))

    async def destroy(self, request, *args, **kwargs):
        return await adrive(self.destroy_flow(request))

    # The async twins of the flows' calls

    async def aget_object(self):
        return await adrive(self.get_object_flow())

    async def ais_confined(self):
        """``is_confined`` from a handler: the permission is read from SQL, in a thread."""
        return await sync_to_async(self.is_confined)()

    async def apaginate_queryset(self, queryset):
        return await self.paginator.apaginate_queryset(queryset, self.request, view=self)

    async def avalidate_body(self, serializer):
        await sync_to_async(self.validate_body)(serializer)

    async def aserialized(self, serializer):
        """``serialized`` in the event loop, or in a thread when a field reads the SQL database.

        Most fields read only the instance (a ForeignKey as its id). Django refuses
        an ORM query from async code before sending it (SynchronousOnlyOperation):
        the serialization is then made again where queries are allowed.
        """
        try:
            return self.serialized(serializer)
        except SynchronousOnlyOperation:
            return await sync_to_async(self.serialized)(serializer)

    async def aperform_create(self, serializer):
        await adrive(self.perform_create_flow(serializer))

    async def aperform_update(self, serializer):
        await adrive(self.perform_update_flow(serializer))

    async def aperform_move(self, instance, validated_data):
        await adrive(self.perform_move_flow(instance, validated_data))

    async def aperform_destroy(self, instance):
        await instance.adelete()
