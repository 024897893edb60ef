"""What iterating a QuerySet yields: instances, dicts, tuples or flat values.

As Django's ``ModelIterable``, ``ValuesIterable``, ``ValuesListIterable`` and
``FlatValuesListIterable``. Items arrive page by page; instances are built
by the model's ``__from_dynamo__`` hook, and ``select_related`` targets are
loaded per chunk of items, in one SQL query per relation.
"""

from itertools import islice

from ..storage import paging
from ..storage.compiler import compile_read
from ..storage.steps import stream
from ..wire.marshalling import deserialize
from . import execution, related

# Instances per chunk whose related objects are loaded together.
RELATED_CHUNK = 100


def raw_items(queryset, chunk_size=None, limit=None):
    """The raw items of a QuerySet (at most ``limit``), lazily, sent with the sync client."""
    query = queryset.query
    plan = query.plan
    limit = query.limit if limit is None else limit
    if plan.segments > 1 and not plan.is_empty:
        pagers = [
            paging.Pager(
                compile_read(plan.read.replace(segment=(n, plan.segments))),
                page_size=chunk_size,
            )
            for n in range(plan.segments)
        ]
        items = paging.parallel_raw_items(pagers)
        return islice(items, query.low, None if limit is None else query.low + limit)
    return stream(execution.rows(plan, limit, query.low, chunk_size))


class ModelIterable:
    """Model instances; fields outside a partial projection (``only()``, an index) deferred."""

    def __init__(self, queryset, chunk_size=None, items=None, limit=None):
        self.queryset = queryset
        self.chunk_size = chunk_size
        self.items = items  # raw items already read (a page); None: read them
        self.limit = limit  # None: the QuerySet's slice

    def raw_items(self):
        if self.items is not None:
            return iter(self.items)
        return raw_items(self.queryset, self.chunk_size, self.limit)

    def __iter__(self):
        query = self.queryset.query
        plan = query.plan
        instance = query.schema.instance
        projected = None if plan.is_empty else plan.read.projected
        items = self.raw_items()
        known = self.queryset._known_related_objects
        if not query.related and not known:
            for item in items:
                yield instance(item, projected)
            return
        while chunk := [instance(item, projected) for item in islice(items, RELATED_CHUNK)]:
            related.attach_known(chunk, known)
            related.load(query.schema, chunk, query.related)
            yield from chunk


class _FieldsIterable(ModelIterable):
    """Base of the values iterables: (name, converter) of the fields asked for."""

    def fields(self):
        schema = self.queryset.query.schema
        names = self.queryset.query.fields or [c.attname for c in schema.converters]
        return [(name, schema.by_name[name]) for name in names]

    def rows(self):
        fields = self.fields()
        for item in self.raw_items():
            values = deserialize(item)
            yield [(name, c.from_dynamo(values.get(c.attribute))) for name, c in fields]


class ValuesIterable(_FieldsIterable):
    """A dict per item: ``values()``."""

    def __iter__(self):
        for row in self.rows():
            yield dict(row)


class ValuesListIterable(_FieldsIterable):
    """A tuple per item: ``values_list()``."""

    def __iter__(self):
        for row in self.rows():
            yield tuple(value for _, value in row)


class FlatValuesListIterable(_FieldsIterable):
    """One value per item: ``values_list(field, flat=True)``."""

    def __iter__(self):
        for row in self.rows():
            yield row[0][1]
