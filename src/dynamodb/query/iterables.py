"""What iterating a QuerySet yields: instances, dicts, tuples or flat values.

As Django's ``ModelIterable``, ``ValuesIterable``, ``ValuesListIterable`` and
``FlatValuesListIterable``. Items arrive page by page; instances are built
by the model's ``__from_dynamo__`` hook, and ``select_related`` targets are
loaded per chunk of items, in one SQL query per relation.
"""

import contextlib
import functools
from itertools import islice

from asgiref.sync import sync_to_async

from ..storage import paging
from ..storage.compiler import compile_read
from ..storage.steps import astream, stream
from ..wire.marshalling import deserialize
from . import execution, related

# Instances per chunk whose related objects are loaded together.
RELATED_CHUNK = 100


def _segment_pagers(plan, chunk_size):
    return [
        paging.Pager(
            compile_read(plan.read.replace(segment=(n, plan.segments))), page_size=chunk_size
        )
        for n in range(plan.segments)
    ]


def raw_items(queryset, chunk_size=None, limit=None):
    """The raw items of a QuerySet (at most ``limit``), lazily, sent with the sync client."""
    query = queryset.query
    plan = query.plan
    limit = query.limit if limit is None else limit
    if plan.segments > 1 and not plan.is_empty:
        items = paging.parallel_raw_items(_segment_pagers(plan, chunk_size))
        return islice(items, query.low, None if limit is None else query.low + limit)
    return stream(execution.rows(plan, limit, query.low, chunk_size))


async def araw_items(queryset, chunk_size=None, limit=None):
    """``raw_items`` as an async generator, sent by the event loop's client."""
    query = queryset.query
    plan = query.plan
    limit = query.limit if limit is None else limit
    if plan.segments > 1 and not plan.is_empty:
        stop = None if limit is None else query.low + limit
        items = paging.aparallel_raw_items(_segment_pagers(plan, chunk_size))
        async with contextlib.aclosing(items):
            position = 0
            async for item in items:
                if stop is not None and position >= stop:
                    return
                if position >= query.low:
                    yield item
                position += 1
        return
    async for item in astream(execution.rows(plan, limit, query.low, chunk_size)):
        yield item


class ModelIterable:
    """Model instances; fields outside a partial projection (``only()``, an index) deferred.

    Iterated (sync) or async-iterated: the same conversion of the same raw
    items, read by the sync or the event loop's client.
    """

    def __init__(self, queryset, chunk_size=None, items=None, limit=None):
        self.queryset = queryset
        self.chunk_size = chunk_size
        self.items = items  # raw items already read (a page); None: read them
        self.limit = limit  # None: the QuerySet's slice

    def raw_items(self):
        if self.items is not None:
            return iter(self.items)
        return raw_items(self.queryset, self.chunk_size, self.limit)

    async def araw_items(self):
        if self.items is not None:
            for item in self.items:
                yield item
            return
        async for item in araw_items(self.queryset, self.chunk_size, self.limit):
            yield item

    def in_chunks(self):
        """Whether outputs are made per chunk of items (related objects loaded together)."""
        return bool(self.queryset.query.related or self.queryset._known_related_objects)

    def convert(self, item):
        """One output of a raw item."""
        query = self.queryset.query
        plan = query.plan
        return query.schema.instance(item, None if plan.is_empty else plan.read.projected)

    def convert_chunk(self, items):
        """The outputs of a chunk of raw items, their related objects loaded (SQL)."""
        chunk = [self.convert(item) for item in items]
        related.attach_known(chunk, self.queryset._known_related_objects)
        related.load(self.queryset.query.schema, chunk, self.queryset.query.related)
        return chunk

    def __iter__(self):
        items = self.raw_items()
        if not self.in_chunks():
            for item in items:
                yield self.convert(item)
            return
        while chunk := list(islice(items, RELATED_CHUNK)):
            yield from self.convert_chunk(chunk)

    async def __aiter__(self):
        if not self.in_chunks():
            async for item in self.araw_items():
                yield self.convert(item)
            return
        chunk = []
        async for item in self.araw_items():
            chunk.append(item)
            if len(chunk) == RELATED_CHUNK:
                # Related objects are loaded by Django's SQL ORM: in a thread, as Django's own.
                for output in await sync_to_async(self.convert_chunk)(chunk):
                    yield output
                chunk = []
        if chunk:
            for output in await sync_to_async(self.convert_chunk)(chunk):
                yield output


class _FieldsIterable(ModelIterable):
    """Base of the values iterables: (name, converter) of the fields asked for."""

    def in_chunks(self):
        return False

    @functools.cached_property
    def fields(self):
        """(name, converter) of each field asked for, in order."""
        schema = self.queryset.query.schema
        names = self.queryset.query.fields or [c.attname for c in schema.converters]
        return [(name, schema.by_name[name]) for name in names]

    def row(self, item):
        values = deserialize(item)
        return [(name, c.from_dynamo(values.get(c.attribute))) for name, c in self.fields]


class ValuesIterable(_FieldsIterable):
    """A dict per item: ``values()``."""

    def convert(self, item):
        return dict(self.row(item))


class ValuesListIterable(_FieldsIterable):
    """A tuple per item: ``values_list()``."""

    def convert(self, item):
        return tuple(value for _, value in self.row(item))


class FlatValuesListIterable(_FieldsIterable):
    """One value per item: ``values_list(field, flat=True)``."""

    def convert(self, item):
        return self.row(item)[0][1]
