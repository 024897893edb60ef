"""The state of a QuerySet: what it asks for, immutable, replaced by every chained call."""

from ..storage.schema import schema_for
from . import planner
from .lookups import EVERYTHING


class Query:
    """Lookups, index, order, slice and projection of a QuerySet; never changed once built.

    ``order`` is None for the model's default order, ``()`` for the index's
    natural order; ``low``/``high`` the slice; ``fields`` the projection
    (None: every field); ``related`` the ForeignKeys to load with each page.
    The defaults are class attributes: a query holds only what was set, and
    ``replace`` copies that (every chained call makes one, so it is cheap).
    """

    where = EVERYTHING
    index = None
    scan = False
    segments = 1
    order = None
    reversed = False
    low = 0
    high = None
    fields = None
    related = ()
    consistent = None
    empty = False

    def __init__(self, model):
        self.model = model

    def __eq__(self, other):
        return isinstance(other, Query) and self._state() == other._state()

    __hash__ = None

    def _state(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("schema", "plan")}

    @property
    def schema(self):
        schema = self.__dict__.get("schema")
        if schema is None:
            schema = self.__dict__["schema"] = schema_for(self.model)
        return schema

    @property
    def is_sliced(self):
        return self.low != 0 or self.high is not None

    @property
    def limit(self):
        return None if self.high is None else self.high - self.low

    def replace(self, **changes):
        """A new query with ``changes``; the schema is kept, the plan recomputed."""
        clone = Query.__new__(Query)
        state = clone.__dict__
        state.update(self.__dict__)
        state.pop("plan", None)
        state.update(changes)
        return clone

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

    @property
    def plan(self):
        """The Plan of this query's items (computed once)."""
        plan = self.__dict__.get("plan")
        if plan is None:
            plan = self.__dict__["plan"] = planner.plan(
                self.schema, self, attributes=self.attributes()
            )
        return plan

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
