"""DynamoCompatibleModel: an ordinary Django model whose rows live in DynamoDB.

    class Booking(DynamoCompatibleModel):
        table_name = "BookingUserByDateAt"
        partition_key = "user"
        sort_key = "date_at"
        ...

The model keeps Django's fields, validation, forms and serializers; its data
lives in DynamoDB. ``Model.objects`` is a DynamoQuerySet manager
(``Booking.objects.filter(user=u, date_at__gte=t)``); ``save()`` and
``delete()`` write to DynamoDB and send Django's signals.
"""

from collections import Counter

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from .checks import model_errors
from .query.manager import DynamoInternalManager, DynamoManager
from .query.queryset import DynamoQuerySet
from .storage import writes
from .storage.billing import OnDemand, Provisioned
from .storage.connector import Connector
from .storage.schema import GlobalIndex, LocalIndex, schema_for
from .storage.steps import arun, run

__all__ = [
    "DynamoCompatibleModel",
    "DynamoManager",
    "DynamoQuerySet",
    "GlobalIndex",
    "LocalIndex",
    "OnDemand",
    "Provisioned",
]


class DynamoCompatibleModel(models.Model):
    """Abstract base of models stored in DynamoDB.

    Class attributes (read by ``dynamodb.schema`` and checked at startup):

    - ``table_name``: the DynamoDB table (``DYNAMODB_TABLE_PREFIX`` is prepended).
    - ``partition_key``: field name of the partition (hash) key.
    - ``sort_key``: optional field name of the sort (range) key.
    - ``secondary_indexes``: ``GlobalIndex(...)`` / ``LocalIndex(...)`` declarations.
    - ``ttl_field``: optional DateTimeField whose time DynamoDB expires the item at.
    - ``billing``: ``OnDemand()`` (the default) or ``Provisioned(read=..., write=...)``.
    - ``version_field``: optional IntegerField for optimistic locking; every
      update and delete is conditioned on it and increments it.

    Key attributes never change after creation, as in DynamoDB itself.
    """

    _is_dynamo_model = True

    table_name = None
    partition_key = None
    sort_key = None
    secondary_indexes = ()
    ttl_field = None
    version_field = None
    billing = OnDemand()

    objects = DynamoManager()
    _dynamo_internal = DynamoInternalManager()

    class Meta:
        abstract = True
        managed = False
        base_manager_name = "_dynamo_internal"

    # Hooks of the seed API; each may be overridden by a model.

    def __from_dynamo__(self, data_dict, projected=None):
        """Set this instance's fields from a DynamoDB item and return it.

        ``data_dict`` maps attribute names to values as boto3's deserializer
        returns them. ``projected`` is the set of attributes an index projects
        (None: the whole item): fields outside it stay deferred, and Django
        loads them on first access.
        """
        for converter in schema_for(type(self)).converters:
            value = data_dict.get(converter.attribute)
            if value is None and projected is not None and converter.attribute not in projected:
                continue
            setattr(self, converter.attname, converter.from_dynamo(value))
        return self

    def __to_dynamo__(self):
        """This instance as a DynamoDB item: attribute name -> value (None omitted)."""
        item = {}
        for converter in schema_for(type(self)).converters:
            value = converter.to_dynamo(getattr(self, converter.attname))
            if value is not None:
                item[converter.attribute] = value
        return item

    def __convert_id_to_dynamo_key_list__(self, django_id):
        """The key tuple list of the item whose id is ``django_id``, or None if none has it."""
        return Connector(type(self)).key_list_for_id(django_id)

    # Django's persistence API, routed to DynamoDB.

    def save(self, *args, force_insert=False, force_update=False, update_fields=None, **kwargs):
        """Insert a new instance (never overwriting) or update a loaded one.

        ``update_fields`` writes only those fields (UpdateItem). Sends Django's
        pre_save and post_save signals, as a SQL model's save() does.
        """
        saving = self._saving(force_insert, force_update, update_fields)
        if saving is None:
            return
        pre, steps, post = saving
        pre_save.send(**pre)
        run(steps)
        post_save.send(**post)

    save.alters_data = True

    async def asave(
        self, *args, force_insert=False, force_update=False, update_fields=None, **kwargs
    ):
        """``save()`` from async code: the write without a thread, signals as Django sends them."""
        saving = self._saving(force_insert, force_update, update_fields)
        if saving is None:
            return
        pre, steps, post = saving
        await pre_save.asend(**pre)
        await arun(steps)
        await post_save.asend(**post)

    asave.alters_data = True

    def _saving(self, force_insert, force_update, update_fields):
        """(pre_save's arguments, the write's steps, post_save's), or None: nothing to save."""
        model = type(self)
        schema = schema_for(model)
        if update_fields is not None:
            if not update_fields:
                return None  # as Django: an empty update_fields skips the save
            update_fields = frozenset(update_fields)
        created = update_fields is None and (
            force_insert or (self._state.adding and not force_update)
        )
        if update_fields is not None:
            steps = writes.update_fields(schema, self, sorted(update_fields))
        elif created:
            steps = writes.insert(schema, self)
        else:
            steps = writes.replace(schema, self)
        pre = {
            "sender": model,
            "instance": self,
            "raw": False,
            "using": None,
            "update_fields": update_fields,
        }
        return pre, steps, {**pre, "created": created}

    def delete(self, *args, **kwargs):
        """Delete the item (conditioned on its version where the model has one).

        Sends Django's pre_delete/post_delete signals, so relations pointing
        to this model apply their on_delete; returns Django's counts, theirs
        included.
        """
        model = type(self)
        signal = {"sender": model, "instance": self, "using": None, "origin": self}
        pre_delete.send(**signal)
        run(writes.delete(schema_for(model), self))
        return self._deleted(post_delete.send(**signal))

    delete.alters_data = True

    async def adelete(self, *args, **kwargs):
        """``delete()`` from async code."""
        model = type(self)
        signal = {"sender": model, "instance": self, "using": None, "origin": self}
        await pre_delete.asend(**signal)
        await arun(writes.delete(schema_for(model), self))
        return self._deleted(await post_delete.asend(**signal))

    adelete.alters_data = True

    def _deleted(self, responses):
        """Django's counts of a deletion: this item and what its receivers report."""
        counts = Counter({self._meta.label: 1})
        for _receiver, response in responses:
            if isinstance(response, dict):
                counts.update(response)
        return sum(counts.values()), dict(counts)

    @classmethod
    def check(cls, **kwargs):
        """Django's model checks plus the DynamoDB declaration checks (dynamodb.E0xx)."""
        errors = super().check(**kwargs)
        if not cls._meta.abstract:
            errors += model_errors(cls)
        return errors

    def get_key_list(self):
        """This instance's key as a key tuple list, e.g. ``[("user", 3), ("date_at", dt)]``."""
        return schema_for(type(self)).key_list(self)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """Reload fields from DynamoDB (also how deferred fields are loaded)."""
        self._refreshed(Connector(type(self)).get(self.get_key_list()), fields)

    async def arefresh_from_db(self, using=None, fields=None, from_queryset=None):
        """``refresh_from_db()`` from async code."""
        self._refreshed(await Connector(type(self)).aget(self.get_key_list()), fields)

    def _refreshed(self, stored, fields):
        if stored is None:
            raise self.DoesNotExist(f"{self._meta.object_name} no longer exists in DynamoDB.")
        names = fields or [f.attname for f in self._meta.concrete_fields]
        for name in names:
            attname = self._meta.get_field(name).attname
            setattr(self, attname, getattr(stored, attname))

    def validate_unique(self, exclude=None):
        """A new instance whose key an item already has is an error on its key fields.

        One GetItem of the key (keys only), as forms' ``full_clean()`` run it;
        the insert itself stays conditional, so a race still gets
        ``ItemAlreadyExists`` rather than an overwrite.
        """
        if not self._state.adding:
            return
        schema = schema_for(type(self))
        key_fields = [c for c in (schema.table.partition, schema.table.sort) if c is not None]
        exclude = set(exclude or ())
        if any(c.name in exclude or getattr(self, c.attname) is None for c in key_fields):
            return
        try:
            found = type(self).objects.filter(**dict(self.get_key_list())).exists()
        except DjangoValidationError:
            return  # the key's own values are invalid: the field errors say so
        if found:
            names = tuple(c.name for c in key_fields)
            field = names[0] if len(names) == 1 else NON_FIELD_ERRORS
            raise DjangoValidationError({field: [self.unique_error_message(type(self), names)]})

    def clean_fields(self, exclude=None):
        """Django's field checks; a ForeignKey to a DynamoDB model is checked in DynamoDB.

        Django checks a ForeignKey's target through its ``_base_manager``,
        which for a DynamoDB model sees no rows: those are checked here.
        """
        exclude = set(exclude or ())
        dynamo_targets = [
            field
            for field in self._meta.concrete_fields
            if field.is_relation
            and getattr(field.related_model, "_is_dynamo_model", False)
            and field.name not in exclude
        ]
        errors = {}
        try:
            super().clean_fields(exclude=exclude | {field.name for field in dynamo_targets})
        except DjangoValidationError as error:
            errors = error.update_error_dict(errors)
        for field in dynamo_targets:
            value = getattr(self, field.attname)
            if value is None:
                if not field.blank:
                    errors.setdefault(field.name, []).append(field.error_messages["null"])
                continue
            manager = field.related_model._default_manager
            if not manager.filter(**{field.target_field.name: value}).exists():
                message = field.error_messages["invalid"] % {
                    "model": field.related_model._meta.verbose_name,
                    "pk": value,
                    "field": field.target_field.name,
                    "value": value,
                }
                errors.setdefault(field.name, []).append(message)
        if errors:
            raise DjangoValidationError(errors)

    def validate_constraints(self, exclude=None):
        """Meta.constraints are SQL constraints; DynamoDB has none to check."""


class IdempotencyKey(DynamoCompatibleModel):
    """A POST's ``Idempotency-Key`` and the response it got, so that a retry gets it again.

    Kept in DynamoDB (shared by every process) and dropped by DynamoDB's TTL
    after ``DYNAMODB_IDEMPOTENCY_TTL`` seconds. See ``dynamodb.idempotency``.
    """

    table_name = "DynamoIdempotencyKeys"
    partition_key = "key"
    ttl_field = "expires_at"

    # "<model label>:<user pk>:<client's key>": a key never reaches another user's result.
    key = models.CharField(primary_key=True, max_length=700)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return self.key


class CacheEntry(DynamoCompatibleModel):
    """An entry of Django's cache on DynamoDB (``dynamodb.cache.DynamoDBCache``).

    Shared by every process, so that throttles, lockouts and sessions hold across
    instances. An integer is kept in ``number``, so that ``incr`` is one atomic ``ADD``;
    any other value is pickled into ``value``. A read treats an entry whose
    ``expires_at`` has passed as missing; DynamoDB's TTL removes it later. No
    ``expires_at``: the entry never expires.
    """

    table_name = "DynamoCache"
    partition_key = "key"
    ttl_field = "expires_at"

    # The key as the cache made it (prefix, version, key): at most 2048 bytes of UTF-8.
    key = models.CharField(primary_key=True, max_length=2048)
    value = models.BinaryField(null=True, blank=True)
    number = models.DecimalField(max_digits=38, decimal_places=0, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.key
