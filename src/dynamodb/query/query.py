"""The state of a QuerySet: what it asks for, immutable, replaced by every chained call."""

from dataclasses import dataclass, replace
from functools import cached_property

from ..storage.schema import schema_for
from . import planner
from .lookups import EVERYTHING


@dataclass(frozen=True)
class Query:
    """Lookups, index, order, slice and projection of a QuerySet.

    ``order`` is None for the model's default order, ``()`` for the index's
    natural order; ``low``/``high`` the slice; ``fields`` the projection
    (None: every field); ``related`` the ForeignKeys to load with each page.
    """

    model: type
    where: object = EVERYTHING
    index: str | None = None
    scan: bool = False
    segments: int = 1
    order: tuple | None = None
    reversed: bool = False
    low: int = 0
    high: int | None = None
    fields: tuple | None = None
    related: tuple = ()
    consistent: bool | None = None
    empty: bool = False

    @cached_property
    def schema(self):
        return schema_for(self.model)

    @property
    def is_sliced(self):
        return self.low != 0 or self.high is not None

    @property
    def limit(self):
        return None if self.high is None else self.high - self.low

    def replace(self, **changes):
        return replace(self, **changes)

    def sliced(self, start, stop):
        """This query limited to ``[start:stop]`` of its current slice."""
        low, high = self.low, self.high
        if stop is not None:
            high = low + stop if high is None else min(high, low + stop)
        if start is not None:
            low = low + start if high is None else min(high, low + start)
        return self.replace(low=low, high=high)

    def attributes(self):
        """The attributes to project: the fields' (with every key), or None for all."""
        if self.fields is None:
            return None
        schema = self.schema
        needed = [schema.pk, schema.table.partition, schema.table.sort, schema.version]
        needed += [schema.by_name[name] for name in self.fields]
        return tuple(dict.fromkeys(c.attribute for c in needed if c is not None))

    @cached_property
    def plan(self):
        """The Plan of this query's items (computed once)."""
        return planner.plan(self.schema, self, attributes=self.attributes())

    def count_plan(self):
        return planner.plan(self.schema, self, count=True)

    def keys_plan(self):
        """The plan reading only the items' keys and ids (``exists()``, ``update()``, ``delete()``).

        Every index projects the table's keys and the id.
        """
        schema = self.schema
        keys = (schema.pk, schema.table.partition, schema.table.sort)
        attributes = tuple(dict.fromkeys(c.attribute for c in keys if c is not None))
        return planner.plan(schema, self, attributes=attributes)

    def refuse_after_slice(self, what):
        if self.is_sliced:
            raise TypeError(f"Cannot {what} a query once a slice has been taken.")
