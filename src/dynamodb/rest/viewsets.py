"""DynamoViewset: a ModelViewSet-style REST API over a DynamoCompatibleModel.

    class DynamoBooking(DynamoViewset):
        queryset = Booking.objects.all()
        serializer_class = BookingSerializer

Composed like DRF's ``ModelViewSet``: list, create, retrieve, update,
partial_update and destroy mixins over a generic base with
``get_queryset()``, ``get_object()`` and ``perform_create/update/destroy``
hooks. ``get_queryset()`` is the model's DynamoQuerySet confined to the
user's partition: a user without the model's permissions only ever sees
and writes items whose ``owner_field`` is themselves. The serializer validates; writes are the
Connector's conditional ones (insert never overwrites, updates are
conditioned on the version read).
"""

import copy
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from .. import constants
from ..exceptions import ItemAlreadyExists, VersionConflict
from ..exceptions import ValidationError as DynamoValidationError
from ..query.flows import Call, drive
from ..storage import atomic
from ..storage.connector import Connector
from .errors import exception_handler
from .filters import DynamoFilterBackend, normalise_filter_fields
from .idempotency import IdempotentCreate, idempotency_key
from .pagination import DynamoCursorPagination

AUTO = "auto"
# Inserts tried with a fresh default when a key the server chose already exists.
GENERATED_KEY_ATTEMPTS = 3
# Django's CSRF token, in the form DRF's browsable API posts: not a field of the item.
CSRF_FIELD = "csrfmiddlewaretoken"
KEY_IMMUTABLE = (
    "Key fields cannot change on this engine (it has no transactions): delete the item "
    "and create a new one."
)


class DynamoViewSetBase:
    """What both viewsets share: configuration, connector, object lookup, owner confinement.

    Handlers and hooks that read or write are flows (``query.flows``): the
    sync viewset drives them with the sync API, ``AsyncDynamoViewset`` with
    the async one; their I/O is a ``Call`` of a method with an async twin
    (``get_object``/``aget_object``, ``perform_create``/``aperform_create``...).
    """

    # The items served: Model.objects.all() of a DynamoCompatibleModel (or set model_class).
    queryset = None
    # The DynamoCompatibleModel served, when queryset is not set.
    model_class = None
    pagination_class = DynamoCursorPagination
    filter_backends = [DynamoFilterBackend]
    # Non-key fields clients may filter on: ["name"] or {"name": ["exact", "startswith"]}.
    filter_fields = ()
    # The ForeignKey to the user owning each item. "auto": the partition key when it is
    # a ForeignKey to AUTH_USER_MODEL. None: items are shared by all authenticated users.
    owner_field = AUTO
    lookup_field = "pk"

    def get_model_class(self):
        if self.queryset is not None:
            return self.queryset.model
        if self.model_class is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs queryset = <Model>.objects.all() "
                "(or model_class = <a DynamoCompatibleModel>)."
            )
        return self.model_class

    def get_connector(self):
        return Connector(self.get_model_class())

    def get_queryset(self):
        """The items this request may reach: the model's, confined to the user's partition.

        Override it to narrow further; owner confinement is the filter on
        ``owner_field`` added here.
        """
        if self.queryset is not None:
            queryset = self.queryset.all()
        else:
            queryset = self.get_model_class().objects.all()
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's introspection
            return queryset
        if self.is_confined():
            queryset = queryset.filter(**{self.get_owner_field(): self.request.user.pk})
        return queryset

    def get_exception_handler(self):
        return exception_handler

    def get_filter_fields(self):
        return normalise_filter_fields(self.filter_fields)

    def get_owner_field(self):
        """The name of the owning ForeignKey, or None when items are shared."""
        schema = self.get_connector().schema
        partition = schema.table.partition
        if self.owner_field == AUTO:
            field = partition.field
            user_model = settings.AUTH_USER_MODEL
            if field.is_relation and field.related_model._meta.label == user_model:
                return partition.name
            raise ImproperlyConfigured(
                f"{type(self).__name__}: {schema.label} is not partitioned by a ForeignKey to "
                f"{user_model}. Set owner_field = None to share its items among all "
                "authenticated users."
            )
        if self.owner_field is not None and self.owner_field != partition.name:
            raise ImproperlyConfigured(
                f"{type(self).__name__}.owner_field must be the partition key "
                f"{partition.name!r} (or None)."
            )
        return self.owner_field

    # The model permission that lets a request reach other users' items, by method
    # (as DjangoModelPermissions maps them); anything else is confined.
    cross_user_permissions = {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }

    def initial(self, request, *args, **kwargs):
        """DRF's checks, then this request's confinement, decided once.

        Permissions are read from Django's SQL database: here, where the async
        viewset runs DRF's checks in a thread, not in its handlers. Reading one
        item waits: ``get_object`` asks only when the item is not the user's own.
        """
        super().initial(request, *args, **kwargs)
        if getattr(self, "action", None) != "retrieve":
            self.is_confined()

    def is_confined(self):
        """Whether this request only reaches the requesting user's own items.

        Reaching other users' items takes the model's Django permission for
        the method (``booking.view_booking`` to read, ``change_`` to update...),
        not ``is_staff``: a staff user without it is confined like anyone else.
        """
        confined = self.__dict__.get("_confined")
        if confined is None:
            confined = self._confined = self.confinement()
        return confined

    def confinement(self):
        if self.get_owner_field() is None:
            return False
        action = self.cross_user_permissions.get(self.request.method)
        if action is None:
            return True
        meta = self.get_model_class()._meta
        return not self.request.user.has_perm(f"{meta.app_label}.{action}_{meta.model_name}")

    def get_object(self):
        """The item addressed by the URL's id in ``get_queryset()``, or 404.

        Another user's item is outside a confined queryset: a 404 like a missing one.
        """
        return drive(self.get_object_flow())

    def get_object_flow(self):
        """Undecided confinement: the user's own partition first, which needs no permission.

        An item found there is the user's own, whatever their permissions. Only
        when it is not there is the permission read (from SQL), and, if it lets
        the user reach other users' items, the item looked up again among them.
        """
        own_first = self.__dict__.get("_confined") is None and self.get_owner_field() is not None
        if own_first:
            self._confined = True
        try:
            instance = yield from self.lookup_flow()
        except Http404:
            if not own_first:
                raise
            self._confined = None
            if (yield Call(self, "is_confined", {})):
                raise
            instance = yield from self.lookup_flow()
        self.check_object_permissions(self.request, instance)
        return instance

    def lookup_flow(self):
        """The item of the URL's id in ``get_queryset()``; Http404 when it is not there."""
        raw_id = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        queryset = self.get_queryset()
        try:
            return (yield Call(queryset, "get", {self.lookup_field: raw_id}))
        except (queryset.model.DoesNotExist, DjangoValidationError, TypeError, ValueError):
            raise Http404 from None

    def get_serializer(self, *args, **kwargs):
        """The serializer, with the owner field read-only for confined users.

        A confined user's items always belong to them: a ``user`` in the body
        is ignored. A user with the model's permission may name the owner,
        which defaults to themselves.
        """
        serializer = super().get_serializer(*args, **kwargs)
        owner = self.get_owner_field()
        fields = getattr(serializer, "child", serializer).fields
        if owner in fields:
            if self.is_confined():
                fields[owner].read_only = True
            else:
                fields[owner].required = False
        return serializer

    def serialized(self, serializer):
        """A serializer's data (its fields may read Django's SQL database)."""
        return serializer.data

    def validate_body(self, serializer):
        """Validate a request body: unknown fields are errors, not silently dropped.

        A form posted by a browser (DRF's browsable API) carries Django's CSRF token too.
        """
        if isinstance(self.request.data, Mapping):
            unknown = sorted(set(self.request.data) - set(serializer.fields) - {CSRF_FIELD})
            if unknown:
                raise ValidationError({name: ["Unknown field."] for name in unknown})
        serializer.is_valid(raise_exception=True)

    def build_instance(self, validated_data):
        """A new model instance from validated data, owned by the requesting user."""
        data = dict(validated_data)
        owner = self.get_owner_field()
        if owner is not None and (self.is_confined() or data.get(owner) is None):
            data[owner] = self.request.user
        return self.get_model_class()(**data)

    # Optimistic concurrency over HTTP: the version field is the item's ETag.

    def get_version(self, instance):
        """The instance's version (None when the model has no version_field)."""
        version = self.get_connector().schema.version
        return None if version is None else getattr(instance, version.attname)

    def etag_headers(self, instance):
        version = self.get_version(instance)
        return {} if version is None else {"ETag": f'"{version}"'}

    def if_match_version(self):
        """The version an If-Match header requires, or None when any version will do."""
        header = self.request.headers.get("If-Match")
        if header is None or header.strip() == "*":
            return None
        tag = header.strip().removeprefix("W/").strip('"')
        # ASCII digits only ("²".isdigit() is true, int("²") fails), at most a DynamoDB number's.
        if not (tag.isascii() and tag.isdigit()) or len(tag) > constants.MAX_NUMBER_DIGITS:
            raise ParseError('If-Match must be an ETag of this API, such as "3".')
        return int(tag)

    def check_if_match(self, instance):
        """412 unless the stored version is the one If-Match names.

        The write that follows is conditioned on the same version in DynamoDB,
        so a change between this read and the write is a 412 too.
        """
        expected = self.if_match_version()
        current = self.get_version(instance)
        if expected is not None and expected != current:
            raise VersionConflict(
                f"If-Match names version {expected}; the current version is {current}.",
                current_version=current,
            )

    def changed_fields(self, instance, validated_data):
        """Flow: (the non-key fields an update writes, the key fields it changes).

        Changing a key needs a transaction: without one (dynalite) it is a 400.
        """
        schema = self.get_connector().schema
        changed, moved = [], []
        for name, value in validated_data.items():
            converter = schema.by_name[name]
            if name in schema.key_names:
                if converter.python_value(value) != getattr(instance, converter.attname):
                    moved.append(name)
                continue
            changed.append(name)
        if moved and not (yield Call(atomic, "supported", {})):
            raise ValidationError({name: [KEY_IMMUTABLE] for name in moved})
        return changed, moved


class DynamoGenericViewSet(DynamoViewSetBase, GenericViewSet):
    """The generic base of the sync viewset (DRF's GenericViewSet)."""


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


class DynamoViewset(
    DynamoListModelMixin,
    DynamoCreateModelMixin,
    DynamoRetrieveModelMixin,
    DynamoUpdateModelMixin,
    DynamoDestroyModelMixin,
    DynamoGenericViewSet,
):
    """List, create, retrieve, update, partial_update and destroy a DynamoDB model."""
