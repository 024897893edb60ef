"""The actions of the DynamoDB viewsets, one mixin each, as DRF's ``mixins.py``.

List, create, retrieve, update (with key moves) and destroy, each written once
as a flow (``query.flows``): ``DynamoViewset`` drives them with the sync
QuerySet and Connector, ``AsyncDynamoViewset`` awaits their async twins. They
rely on ``DynamoViewSetBase`` (``viewsets.py``) for the queryset, confinement,
serializers and versions.
"""

import copy

from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ..exceptions import ItemAlreadyExists
from ..exceptions import ValidationError as DynamoValidationError
from ..query.flows import Call, drive
from ..storage import atomic
from .idempotency import IdempotentCreate, idempotency_key

# Inserts tried with a fresh default when a key the server chose already exists.
GENERATED_KEY_ATTEMPTS = 3


class DynamoListModelMixin:
    """List one partition (Query) or, for permitted users and shared models, the table (Scan)."""

    def list(self, request, *args, **kwargs):
        return drive(self.list_flow(request))

    def list_flow(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = yield Call(self, "paginate_queryset", {"queryset": queryset})
        serializer = self.get_serializer(page, many=True)
        data = yield Call(self, "serialized", {"serializer": serializer})
        return self.get_paginated_response(data)

    def get_partition(self):
        """The partition a list reads: the user's own, or the one a permitted user asks for."""
        if self.is_confined():
            return self.request.user.pk
        partition = self.get_connector().schema.table.partition
        raw = self.request.query_params.get(partition.name)
        if raw is None:
            return None
        try:
            partition.to_dynamo(raw)
            return partition.python_value(raw)
        except DynamoValidationError as error:
            raise ValidationError({partition.name: error.messages}) from error


class DynamoCreateModelMixin:
    """Create with Connector.insert: never overwrites (an existing key is a 409).

    A POST may carry an ``Idempotency-Key``: a retry then gets the first result.
    """

    # The IdempotentCreate of this request, when it carries an Idempotency-Key.
    idempotent_create = None

    def create(self, request, *args, **kwargs):
        return drive(self.create_flow(request))

    def create_flow(self, request):
        key = idempotency_key(request)
        if key is None:
            return (yield from self.create_item(request))
        self.idempotent_create = IdempotentCreate(self, request, key)
        return (yield from self.idempotent_create.run(self.create_item(request)))

    def create_item(self, request):
        serializer = self.get_serializer(data=request.data)
        yield Call(self, "validate_body", {"serializer": serializer})
        yield Call(self, "perform_create", {"serializer": serializer})
        data = yield Call(self, "serialized", {"serializer": serializer})
        return Response(
            data,
            status=status.HTTP_201_CREATED,
            headers=self.etag_headers(serializer.instance),
        )

    def perform_create(self, serializer):
        drive(self.perform_create_flow(serializer))

    def perform_create_flow(self, serializer):
        connector = self.get_connector()
        generated = self.generated_key_fields(serializer.validated_data)
        for attempt in range(GENERATED_KEY_ATTEMPTS):
            instance = self.build_instance(serializer.validated_data)
            try:
                if self.idempotent_create is None:
                    yield Call(connector, "insert", {"instance": instance})
                else:
                    # The item and the key's record of this response, in one transaction.
                    body = lambda new: self.get_serializer(new).data  # noqa: E731
                    yield from self.idempotent_create.insert(connector, instance, body)
                break
            except ItemAlreadyExists:
                # A key the server chose (a default such as timezone.now) met another
                # item's: two creates in one microsecond. Not the client's conflict.
                if not generated or attempt == GENERATED_KEY_ATTEMPTS - 1:
                    raise
        serializer.instance = instance

    def generated_key_fields(self, validated_data):
        """The key fields the request leaves to their model default (e.g. ``date_at``)."""
        table = self.get_connector().schema.table
        return [
            converter.name
            for converter in (table.partition, table.sort)
            if converter is not None
            and converter.name not in validated_data
            and converter.field.has_default()
        ]


class DynamoRetrieveModelMixin:
    """Retrieve by id, through the id index; the response carries the ETag."""

    def retrieve(self, request, *args, **kwargs):
        return drive(self.retrieve_flow(request))

    def retrieve_flow(self, request):
        instance = yield Call(self, "get_object", {})
        data = yield Call(self, "serialized", {"serializer": self.get_serializer(instance)})
        return Response(data, headers=self.etag_headers(instance))


class DynamoUpdateModelMixin:
    """PUT replaces the item; PATCH writes only the fields sent (falsy values included).

    With ``If-Match``, the write happens only on that version (412 otherwise).
    """

    def update(self, request, *args, **kwargs):
        return drive(self.update_flow(request, partial=kwargs.pop("partial", False)))

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def update_flow(self, request, partial):
        instance = yield Call(self, "get_object", {})
        self.check_if_match(instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        yield Call(self, "validate_body", {"serializer": serializer})
        yield Call(self, "perform_update", {"serializer": serializer})
        data = yield Call(self, "serialized", {"serializer": serializer})
        return Response(data, headers=self.etag_headers(serializer.instance))

    def perform_update(self, serializer):
        drive(self.perform_update_flow(serializer))

    def perform_update_flow(self, serializer):
        instance = serializer.instance
        changed, moved = yield from self.changed_fields(instance, serializer.validated_data)
        if moved:
            yield Call(
                self,
                "perform_move",
                {"instance": instance, "validated_data": serializer.validated_data},
            )
            return
        for name in changed:
            setattr(instance, name, serializer.validated_data[name])
        if not serializer.partial:
            yield Call(self.get_connector(), "update", {"instance": instance})
        elif changed:
            yield Call(self.get_connector(), "update", {"instance": instance, "fields": changed})

    def perform_move(self, instance, validated_data):
        """A key change: the item deleted and inserted under its new key, in one transaction.

        The delete is conditioned on the version read (or If-Match's), the
        insert on the new key being free; the id stays, and resolves to the
        new key at once in this process. The version moves on by one.
        """
        drive(self.perform_move_flow(instance, validated_data))

    def perform_move_flow(self, instance, validated_data):
        old = copy.copy(instance)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        yield Call(
            atomic, "move", {"schema": self.get_connector().schema, "old": old, "new": instance}
        )


class DynamoDestroyModelMixin:
    """Delete by id (on the If-Match version, if given); a second delete is a 404."""

    def destroy(self, request, *args, **kwargs):
        return drive(self.destroy_flow(request))

    def destroy_flow(self, request):
        instance = yield Call(self, "get_object", {})
        self.check_if_match(instance)
        yield Call(self, "perform_destroy", {"instance": instance})
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance):
        instance.delete()
