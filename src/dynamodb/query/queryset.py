"""DynamoQuerySet: ``Model.objects`` of a DynamoCompatibleModel, with Django's API.

Lazy, chainable and immutable like Django's QuerySet: ``filter()``,
``exclude()``, ``order_by()``... return a new QuerySet, and nothing is sent
until it is evaluated (iteration, ``len()``, ``list()``, slicing with a step
or an index, ``get()``, ``count()``...). Every QuerySet compiles to a
GetItem, a BatchGetItem or a Query (``planner``); a Scan only after
``.scan()``. What DynamoDB cannot do raises ``UnsupportedOperation`` saying
what to do instead (``refusals``).
"""

import collections
import copy

from django.core.exceptions import FieldError
from django.db import DEFAULT_DB_ALIAS, models

from ..exceptions import UnsupportedOperation
from ..storage.paging import check_limit
from . import lookups, related
from .iterables import FlatValuesListIterable, ModelIterable, ValuesIterable, ValuesListIterable
from .methods import ReadMethods, WriteMethods
from .query import Query
from .refusals import RefusedMethods

# Items repr() shows (as Django's REPR_OUTPUT_SIZE).
REPR_OUTPUT_SIZE = 20


class DynamoQuerySet(ReadMethods, WriteMethods, RefusedMethods, models.QuerySet):
    """A lazy query of a DynamoCompatibleModel's items in DynamoDB.

    A ``django.db.models.QuerySet`` to the code that checks (django-filter,
    DRF): every method is this class's own or a refusal, so nothing reaches
    Django's SQL machinery. Its async methods (``aget``, ``acount``,
    ``async for``...) send the same requests from the event loop, without a
    thread; the few not redefined here run the sync ones in a thread, as
    Django's own do.
    """

    # This query (a query.Query), not Django's SQL one.
    query = None
    _iterable_class = ModelIterable
    _fields = None
    # Django's forms read it (ModelChoiceIterator); ForeignKeys to load are in query.related.
    _prefetch_related_lookups = ()
    # Set by Django's related managers (user.booking_set): {field: {value: target}}.
    _known_related_objects = {}  # replaced, never changed in place
    # Attributes Django's own code may read or set on a QuerySet.
    _defer_next_filter = False
    _deferred_filter = None
    _sticky_filter = False
    _for_write = False
    _prefetch_done = False

    def __init__(self, model=None, query=None, using=None, hints=None):
        self.model = model
        self.query = query if query is not None else Query(model)
        self._db = using
        self._hints = hints or {}
        self._result_cache = None

    @classmethod
    def as_manager(cls):
        from .manager import DynamoManager

        manager = DynamoManager.from_queryset(cls)()
        manager._built_with_as_manager = True
        return manager

    as_manager.queryset_only = True

    @property
    def db(self):
        """Django's database alias (DynamoDB is not one; forms and the admin ask)."""
        return self._db or DEFAULT_DB_ALIAS

    @property
    def ordered(self):
        """Whether the items come in a defined order: a Query's sort key; not a Scan's."""
        return not self.query.scan

    def _chain(self, **changes):
        """A new QuerySet with this one's settings (its query changed), without its results."""
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone._result_cache = None
        if changes:
            clone.query = self.query.replace(**changes)
        return clone

    def _add_hints(self, **hints):
        """Django's related managers hint the instance they belong to."""
        self._hints.update(hints)

    # Evaluation

    def _fetch_all(self):
        if self._result_cache is None:
            self._result_cache = list(self._iterable_class(self))

    def __iter__(self):
        self._fetch_all()
        return iter(self._result_cache)

    async def _afetch_all(self):
        if self._result_cache is None:
            self._result_cache = [found async for found in self._iterable_class(self)]

    def __aiter__(self):
        """``async for obj in queryset``: evaluated by the event loop's client, then cached."""

        async def results():
            await self._afetch_all()
            for found in self._result_cache:
                yield found

        return results()

    def __len__(self):
        self._fetch_all()
        return len(self._result_cache)

    def __bool__(self):
        self._fetch_all()
        return bool(self._result_cache)

    def __repr__(self):
        data = list(self[: REPR_OUTPUT_SIZE + 1])
        if len(data) > REPR_OUTPUT_SIZE:
            data[-1] = "...(remaining elements truncated)..."
        return f"<{type(self).__name__} {data!r}>"

    def __deepcopy__(self, memo):
        """A copy without the results (as Django's: forms deep-copy their querysets)."""
        clone = self.__class__.__new__(self.__class__)
        for name, value in self.__dict__.items():
            clone.__dict__[name] = None if name == "_result_cache" else copy.deepcopy(value, memo)
        return clone

    def __getitem__(self, key):
        """An item (``qs[3]``) or a lazy slice (``qs[10:20]``, read then skipped up to 10)."""
        if not isinstance(key, int | slice):
            raise TypeError(f"QuerySet indices must be integers or slices, not {type(key)}.")
        if (isinstance(key, int) and key < 0) or (
            isinstance(key, slice)
            and ((key.start or 0) < 0 or (key.stop is not None and key.stop < 0))
        ):
            raise ValueError(
                f"Negative indexing is not supported ({self.model._meta.label}): read the "
                "last items with reverse()[:n] or last()."
            )
        if self._result_cache is not None:
            return self._result_cache[key]
        if isinstance(key, slice):
            if key.step not in (None, 1):
                return list(self._chain(**_slice(self.query, key.start, key.stop)))[:: key.step]
            return self._chain(**_slice(self.query, key.start, key.stop))
        found = list(self._chain(**_slice(self.query, key, key + 1)))
        if not found:
            raise IndexError("QuerySet index out of range.")
        return found[0]

    # Chaining

    def all(self):
        return self._chain()

    def filter(self, *args, **kwargs):
        """Items meeting the lookups (Django's names; ``Q`` objects combine with & | ~)."""
        return self._filtered(lookups.where(self.query.schema, args, kwargs))

    def exclude(self, *args, **kwargs):
        """Items not meeting the lookups (a FilterExpression ``NOT (...)``)."""
        return self._filtered(~lookups.where(self.query.schema, args, kwargs))

    def complex_filter(self, filter_obj):
        """``filter()`` with a Q object or a dict (``limit_choices_to``)."""
        if isinstance(filter_obj, dict):
            return self.filter(**filter_obj)
        return self.filter(filter_obj)

    def _filtered(self, node):
        self.query.refuse_after_slice("filter")
        return self._chain(where=lookups.combine(self.query.where, node))

    def none(self):
        """No items, and no request."""
        return self._chain(empty=True)

    def using_index(self, name):
        """Read through index ``name`` (its partition key must be filtered on exactly)."""
        self.query.schema.index(name)
        return self._chain(index=name)

    def scan(self, segments=1):
        """Read the whole table (or ``using_index``'s index): a Scan, filtered, in no order.

        ``segments`` > 1 reads that many segments in parallel (a parallel Scan).
        """
        check_limit("segments", segments, minimum=1)
        return self._chain(scan=True, segments=segments)

    def order_by(self, *field_names):
        """Order by the sort key of the index read (``"-date_at"`` descending); ``()`` clears."""
        self.query.refuse_after_slice("reorder")
        chained = self._chain(order=tuple(field_names), reversed=False)
        chained.query.plan  # noqa: B018 (an impossible order is an error now, not later)
        return chained

    def reverse(self):
        """The same items in the opposite order of the sort key."""
        if self.query.scan:
            raise UnsupportedOperation("A Scan reads in one direction only: it cannot reverse().")
        return self._chain(reversed=not self.query.reversed)

    def consistent(self, consistent=True):
        """Strongly (default on tables) or eventually consistent reads (GSIs: eventual only)."""
        return self._chain(consistent=consistent)

    def using(self, alias):
        """Accepted for Django's callers: DynamoDB is not one of Django's databases."""
        return self._chain()

    def select_related(self, *fields):
        """Load these ForeignKeys' targets per page, in one query each (all when none given)."""
        if fields == (None,):
            return self._chain(related=())
        return self._chain(related=related.relation_names(self.query.schema, fields))

    def prefetch_related(self, *lookups_):
        """As ``select_related`` for ForeignKeys of the items."""
        if lookups_ == (None,):
            return self._chain(related=())
        names = related.relation_names(self.query.schema, lookups_)
        return self._chain(related=tuple(dict.fromkeys((*self.query.related, *names))))

    def only(self, *fields):
        """Instances with only these fields (and the keys) read: a ProjectionExpression."""
        return self._chain(fields=self._field_names(fields, "only"))

    def defer(self, *fields):
        """Instances without these fields, loaded on first access."""
        if fields == (None,):
            return self._chain(fields=None)
        deferred = set(self._field_names(fields, "defer"))
        kept = [c.name for c in self.query.schema.converters if c.name not in deferred]
        return self._chain(fields=tuple(kept))

    def values(self, *fields):
        """A dict per item (every field's attname, or ``fields``): a ProjectionExpression."""
        clone = self._chain(fields=self._field_names(fields, "values") or None)
        clone._iterable_class, clone._fields = ValuesIterable, fields
        return clone

    def values_list(self, *fields, flat=False, named=False):
        """A tuple per item (``flat=True``: the one field's value; ``named=True``: namedtuples)."""
        if flat and len(fields) != 1:
            raise TypeError("'flat' is valid when values_list is called with exactly one field.")
        if flat and named:
            raise TypeError("'flat' and 'named' can't be used together.")
        clone = self._chain(fields=self._field_names(fields, "values_list") or None)
        clone._fields = fields
        clone._iterable_class = FlatValuesListIterable if flat else ValuesListIterable
        if named:
            names = fields or tuple(c.attname for c in self.query.schema.converters)
            row = collections.namedtuple("Row", names)
            clone._iterable_class = type(
                "NamedValuesListIterable",
                (ValuesListIterable,),
                {"__iter__": lambda it: map(row._make, ValuesListIterable.__iter__(it))},
            )
        return clone

    def _field_names(self, fields, method):
        schema = self.query.schema
        names = []
        for name in fields:
            converter = schema.pk if name == "pk" else schema.by_name.get(name)
            if converter is None:
                raise FieldError(f"{schema.label} has no field {name!r} ({method}).")
            names.append(name if name != "pk" else converter.name)
        return tuple(names)


def _slice(query, start, stop):
    sliced = query.sliced(start, stop)
    return {"low": sliced.low, "high": sliced.high}
