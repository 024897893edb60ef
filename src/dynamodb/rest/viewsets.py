"""DynamoViewset: a ModelViewSet-style REST API over a DynamoCompatibleModel.

    class DynamoBooking(DynamoViewset):
        queryset = Booking.objects.all()
        serializer_class = BookingSerializer

Composed like DRF's ``ModelViewSet``: list, create, retrieve, update,
partial_update and destroy mixins (``mixins.py``) over a generic base with
``get_queryset()``, ``get_object()`` and ``perform_create/update/destroy``
hooks. ``get_queryset()`` is the model's DynamoQuerySet confined to the
user's partition: a user without the model's permissions only ever sees
and writes items whose ``owner_field`` is themselves. The serializer validates; writes are the
Connector's conditional ones (insert never overwrites, updates are
conditioned on the version read).
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.text import capfirst
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.viewsets import GenericViewSet

from .. import constants
from ..exceptions import VersionConflict
from ..query.flows import Call, drive
from ..storage import atomic
from ..storage.connector import Connector
from .errors import exception_handler
from .filters import DynamoFilterBackend, normalise_filter_fields
from .mixins import (
    DynamoCreateModelMixin,
    DynamoDestroyModelMixin,
    DynamoListModelMixin,
    DynamoRetrieveModelMixin,
    DynamoUpdateModelMixin,
)
from .pagination import DynamoCursorPagination

AUTO = "auto"
# Django's CSRF token, in the form DRF's browsable API posts: not a field of the item.
CSRF_FIELD = "csrfmiddlewaretoken"
KEY_IMMUTABLE = capfirst(atomic.KEY_CHANGE_REFUSED)


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
            if schema.user_partition is not None:
                return schema.user_partition
            raise ImproperlyConfigured(
                f"{type(self).__name__}: {schema.label} is not partitioned by a ForeignKey to "
                f"{settings.AUTH_USER_MODEL}. Set owner_field = None to share its items among all "
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


class DynamoViewset(
    DynamoListModelMixin,
    DynamoCreateModelMixin,
    DynamoRetrieveModelMixin,
    DynamoUpdateModelMixin,
    DynamoDestroyModelMixin,
    DynamoGenericViewSet,
):
    """List, create, retrieve, update, partial_update and destroy a DynamoDB model."""
