"""What Django's deletion collector sees of DynamoDB items (a model's ``_base_manager``).

Deleting an SQL row (a user) runs Django's Collector: before opening its
transaction it asks each model with a ForeignKey to that row, through the
model's ``_base_manager``, for the related items
(``.using(db).filter(Q(user__in=rows))``), then whether there are any, the
first one, and all of them. For a DynamoDB model the answer is:

- for a PROTECT or RESTRICT relation, the items read from DynamoDB (a few per
  row: enough to name them), so that Django raises ProtectedError or
  RestrictedError itself, in ``collect()``, before any transaction: an
  enclosing ``atomic()`` stays usable, as with SQL models;
- for every other ``on_delete``, none: ``storage.relations`` applies them in
  DynamoDB when the row is deleted (Django would otherwise try SQL).
"""

from types import SimpleNamespace

from django.db import models
from django.db.models import Q

from ..storage.relations import keys_where
from ..storage.schema import schema_for
from ..wire.marshalling import deserialize

# Items read per deleted row to name in ProtectedError (the existence is what matters).
NAMED_PER_ROW = 10


class RelatedItems:
    """The collector's view of one DynamoDB model's items related to rows being deleted."""

    # The collector reads query.select_related; nothing here is ever joined.
    query = SimpleNamespace(select_related=False)

    def __init__(self, model, field=None, values=()):
        self.model = model
        self.field = field
        self.values = values
        self._items = None

    def using(self, alias):
        return self

    def all(self):
        return self

    def none(self):
        return RelatedItems(self.model)

    def only(self, *fields):
        return self

    def select_related(self, *fields):
        """The admin's delete confirmation (NestedObjects) asks: nothing here is joined."""
        return self

    def filter(self, *args, **kwargs):
        """``filter(Q(field__in=rows))``: the items whose ForeignKey ``field`` is one of them."""
        lookups = [*kwargs.items()]
        for q in args:
            lookups += [child for child in q.children if not isinstance(child, Q)]
        if len(lookups) != 1 or not lookups[0][0].endswith("__in"):
            return self.none()
        name, rows = lookups[0]
        field = self.model._meta.get_field(name.removesuffix("__in"))
        values = [getattr(row, field.target_field.attname, row) for row in rows]
        return RelatedItems(self.model, field, values)

    def _fetch(self):
        if self._items is None:
            self._items = []
            on_delete = None if self.field is None else self.field.remote_field.on_delete
            if on_delete in (models.PROTECT, models.RESTRICT):
                schema = schema_for(self.model)
                for value in self.values:
                    found = keys_where(
                        schema, self.field.name, value, limit=NAMED_PER_ROW, with_id=True
                    )
                    for key in found:
                        self._items.append(self.model(**dict(_key_fields(schema, key))))
        return self._items

    def __bool__(self):
        return bool(self._fetch())

    def __iter__(self):
        return iter(self._fetch())

    def __len__(self):
        return len(self._fetch())

    def __getitem__(self, index):
        return self._fetch()[index]

    def exists(self):
        return bool(self)

    def count(self):
        return len(self)


def _key_fields(schema, raw_key):
    """(attname, value) of the key (and id) attributes of a raw key, for an instance."""
    values = deserialize(raw_key)
    for converter in schema.converters:
        if converter.attribute in values:
            yield converter.attname, converter.from_dynamo(values[converter.attribute])
