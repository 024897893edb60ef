"""A model's DynamoDB schema: table, keys, indexes and field converters, computed once.

Read from the model's class attributes and Django's ``_meta``; this module
never imports ``models.py``. ``declarations.declaration_errors`` is the single
judge of a model's declaration: ``schema_for`` refuses to build a schema from
a model it rejects.
"""

import copy
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import DEFERRED

from .. import constants
from ..conf import conf
from ..exceptions import ValidationError
from ..wire.marshalling import deserialize
from .billing import OnDemand
from .declarations import declaration_errors
from .fields import FieldConverter
from .indexes import GlobalIndex, LocalIndex
from .tablespecs import IndexSpec, TableSpec, create_table_params

__all__ = ["GlobalIndex", "IndexSchema", "LocalIndex", "ModelSchema", "is_dynamo_model"]


@dataclass(frozen=True)
class IndexSchema:
    """The table (``name`` None) or one of its indexes: keys and projected attributes."""

    name: str | None
    partition: FieldConverter
    sort: FieldConverter | None
    projected: frozenset | None  # attribute names, or None when every attribute is projected
    is_global: bool = False

    def key_attributes(self):
        return [c.attribute for c in (self.partition, self.sort) if c is not None]

    def describe(self):
        """``the table`` or ``index 'name'``, for messages."""
        return "the table" if self.name is None else f"index {self.name!r}"


def is_dynamo_model(model):
    """Whether a model class declares a DynamoDB table (a DynamoCompatibleModel)."""
    return getattr(model, "_is_dynamo_model", False) and not model._meta.abstract


class ModelSchema:
    """Everything the connector needs to know about a model's table, computed once."""

    def __init__(self, model):
        errors = declaration_errors(model)
        if errors:
            check_id, message, hint = errors[0]
            raise ImproperlyConfigured(f"{message} {hint} ({check_id})")
        meta = model._meta
        self.model = model
        self.label = meta.label
        self.base_table_name = model.table_name
        self.converters = tuple(FieldConverter(f) for f in meta.concrete_fields)
        self.by_name = {}
        for converter in self.converters:
            self.by_name[converter.name] = converter
            self.by_name[converter.attname] = converter
        self.by_attribute = {c.attribute: c for c in self.converters}
        self.pk = self.by_name[meta.pk.name]
        self.table = IndexSchema(
            None, self.by_name[model.partition_key], self.by_name.get(model.sort_key), None
        )
        self.key_names = frozenset(
            name
            for converter in (self.table.partition, self.table.sort)
            if converter is not None
            for name in (converter.name, converter.attname)
        )
        self.version = self.by_name.get(getattr(model, "version_field", None))
        self.ttl = self.by_name.get(getattr(model, "ttl_field", None))
        self.billing = getattr(model, "billing", None) or OnDemand()
        self._spec = None
        self.indexes = {}
        self.local_indexes = []
        self.global_indexes = []
        for index in getattr(model, "secondary_indexes", ()) or ():
            schema = self._index_schema(index)
            self.indexes[index.name] = schema
            (self.local_indexes if isinstance(index, LocalIndex) else self.global_indexes).append(
                schema
            )
        self.id_index = None
        if self.pk is not self.table.partition:
            self.id_index = IndexSchema(constants.ID_INDEX_NAME, self.pk, None, frozenset(), True)
            self.global_indexes.append(self.id_index)
        self._deferred = [DEFERRED] * len(self.converters)
        # What a query may read, the table first: the planner's candidates.
        self.query_indexes = (self.table, *self.local_indexes, *self.global_indexes)
        self.index_key_attributes = frozenset(
            attribute
            for index in self.indexes.values()
            for attribute in index.key_attributes()
            if attribute not in self.table.key_attributes()
        )

    def _index_schema(self, index):
        partition = (
            self.table.partition
            if isinstance(index, LocalIndex)
            else self.by_name[index.partition_key]
        )
        sort = self.by_name[index.sort_key] if index.sort_key else None
        if index.projection == "ALL":
            projected = None
        else:
            names = () if index.projection == "KEYS_ONLY" else index.projection
            # Django cannot defer a primary key: every index projects it.
            projected = frozenset(self.by_name[name].attribute for name in names) | {
                self.pk.attribute
            }
        return IndexSchema(index.name, partition, sort, projected, isinstance(index, GlobalIndex))

    @property
    def user_partition(self):
        """The partition key's name when it is a ForeignKey to the user model, else None."""
        partition = self.table.partition
        field = partition.field
        if field.is_relation and field.related_model._meta.label == settings.AUTH_USER_MODEL:
            return partition.name
        return None

    @property
    def table_name(self):
        """The table's name with the current DYNAMODB_TABLE_PREFIX."""
        return f"{conf.TABLE_PREFIX}{self.base_table_name}"

    def index(self, name):
        """The table (``None``) or the named index, or a clear error."""
        if name is None:
            return self.table
        if name == constants.ID_INDEX_NAME and self.id_index is not None:
            return self.id_index
        try:
            return self.indexes[name]
        except KeyError:
            raise ValidationError(
                None, f"{self.label} has no index {name!r}; it has {sorted(self.indexes)}."
            ) from None

    def instance(self, item, projected=None):
        """A model instance from a raw DynamoDB item (as the client returns it).

        Built as Django builds one from a row (``from_db``, every field
        deferred), then filled by the model's ``__from_dynamo__`` hook;
        attributes outside ``projected`` stay deferred.
        """
        instance = self.model.from_db(None, (), self._deferred)
        return instance.__from_dynamo__(deserialize(item), projected)

    def key_list(self, instance):
        """An instance's key as a key tuple list: ``[("user", 3), ("date_at", dt)]``."""
        return [
            (converter.name, getattr(instance, converter.attname))
            for converter in (self.table.partition, self.table.sort)
            if converter is not None
        ]

    def spec(self):
        """The table as DynamoDB holds it (a ``TableSpec``): keys, indexes, TTL, billing."""
        if self._spec is None:
            table_keys = set(self.table.key_attributes())

            def index_spec(index, local):
                projection = "ALL"
                if index.projected is not None:
                    extra = index.projected - table_keys - set(index.key_attributes())
                    projection = tuple(sorted(extra)) or "KEYS_ONLY"
                return IndexSpec(index.name, self._typed_key(index), projection, local)

            self._spec = TableSpec(
                self.base_table_name,
                self._typed_key(self.table),
                tuple(index_spec(i, True) for i in self.local_indexes)
                + tuple(index_spec(i, False) for i in self.global_indexes),
                None if self.ttl is None else self.ttl.attribute,
                self.billing.mode,
                self.billing.throughput,
            )
        return self._spec

    @staticmethod
    def _typed_key(index):
        return tuple((c.attribute, c.dynamo_type) for c in (index.partition, index.sort) if c)

    def table_definition(self):
        """CreateTable parameters: keys, indexes, billing."""
        return create_table_params(self.spec(), self.table_name)

    def on_table(self, base_table_name):
        """This schema reading and writing another table of the same model (migrations)."""
        if base_table_name == self.base_table_name:
            return self
        other = copy.copy(self)
        other.base_table_name = base_table_name
        other._spec = None
        return other


_schemas = {}
_schemas_lock = threading.Lock()


def schema_for(model):
    """The (cached) ModelSchema of a DynamoCompatibleModel class."""
    schema = _schemas.get(model)
    if schema is None:
        with _schemas_lock:
            schema = _schemas.get(model)
            if schema is None:
                schema = _schemas[model] = ModelSchema(model)
    return schema
