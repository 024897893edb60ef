"""The QuerySet's reads and writes, as mixins of DynamoQuerySet (``queryset.py``).

Reads evaluate the QuerySet's plan (``get``, ``count``, ``exists``, pages...);
writes keep DynamoDB's guarantees (``writes``): creates never overwrite,
updates and deletes touch only what still matches.
"""

from ..exceptions import UnsupportedOperation
from ..storage.compiler import GET_ITEM, compile_read
from ..storage.paging import Page, check_limit, single_item
from ..storage.steps import arun, collect, run
from . import execution, explain, writes
from .flows import adrive, drive
from .iterables import ModelIterable

# Items get() reads at most to tell one from several (as Django's MAX_GET_RESULTS).
MAX_GET_RESULTS = 21


class ReadMethods:
    """get, first, last, earliest, latest, exists, count, in_bulk, iterator, page, explain."""

    def get(self, *args, **kwargs):
        """The one matching item: a GetItem for a full key or an id, else a Query.

        ``Model.DoesNotExist`` / ``Model.MultipleObjectsReturned`` as in Django.
        """
        clone, request = self._get_read(args, kwargs)
        if request is not None:
            item = run(single_item(request))
            return self._one_of([] if item is None else [clone.query.schema.instance(item)])
        return self._one_of(list(clone._iterable_class(clone, limit=clone._get_limit())))

    async def aget(self, *args, **kwargs):
        """``get()`` from async code."""
        clone, request = self._get_read(args, kwargs)
        if request is not None:
            item = await arun(single_item(request))
            return self._one_of([] if item is None else [clone.query.schema.instance(item)])
        iterable = clone._iterable_class(clone, limit=clone._get_limit())
        return self._one_of([found async for found in iterable])

    def _get_read(self, args, kwargs):
        """(the QuerySet get() reads, its GetItem request when a full key names one item)."""
        clone = self.filter(*args, **kwargs) if args or kwargs else self
        plan = clone.query.plan
        read = plan.read
        if (
            not plan.listed
            and read is not None
            and read.operation == GET_ITEM
            and clone._is_plain()
        ):
            return clone, compile_read(read)  # nothing to iterate or count
        return clone, None

    def _get_limit(self):
        return MAX_GET_RESULTS if self.query.limit is None else self.query.limit

    def _one_of(self, found):
        """The one item get() found, or Django's errors."""
        if len(found) == 1:
            return found[0]
        name = self.model._meta.object_name
        if not found:
            raise self.model.DoesNotExist(f"{name} matching query does not exist.")
        many = "more than 20" if len(found) == MAX_GET_RESULTS else len(found)
        raise self.model.MultipleObjectsReturned(
            f"get() returned more than one {name} -- it returned {many}!"
        )

    def _is_plain(self):
        """Whether evaluating yields whole instances with nothing attached (no related, slice)."""
        query = self.query
        return (
            self._iterable_class is ModelIterable
            and not query.related
            and not self._known_related_objects
            and query.fields is None
            and not query.is_sliced
        )

    def first(self):
        """The first item in the sort key's order (any item of a Scan), or None."""
        for instance in self[:1]:
            return instance
        return None

    async def afirst(self):
        """``first()`` from async code."""
        async for instance in self[:1]:
            return instance
        return None

    def last(self):
        """The last item in the sort key's order (read backwards: one request), or None."""
        return self.reverse().first()

    async def alast(self):
        """``last()`` from async code."""
        return await self.reverse().afirst()

    def earliest(self, *fields):
        """The item with the smallest sort key (``fields`` or Meta.get_latest_by)."""
        return self._by_latest(fields, descending=False).get()

    async def aearliest(self, *fields):
        """``earliest()`` from async code."""
        return await self._by_latest(fields, descending=False).aget()

    def latest(self, *fields):
        """The item with the largest sort key (``fields`` or Meta.get_latest_by)."""
        return self._by_latest(fields, descending=True).get()

    async def alatest(self, *fields):
        """``latest()`` from async code."""
        return await self._by_latest(fields, descending=True).aget()

    def _by_latest(self, fields, descending):
        """The QuerySet of the one item earliest() or latest() reads."""
        names = fields or _as_tuple(self.model._meta.get_latest_by)
        if not names:
            raise ValueError("earliest() and latest() require a field name or get_latest_by.")
        ordered = self.order_by(*names)
        return (ordered.reverse() if descending else ordered)[:1]

    def exists(self):
        """Whether any item matches: keys only, stopping at the first match."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        return bool(run(self._exists_steps()))

    async def aexists(self):
        """``exists()`` from async code."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        return bool(await arun(self._exists_steps()))

    def _exists_steps(self):
        plan = self.query.keys_plan()
        return collect(execution.rows(plan, limit=1, offset=self.query.low))

    def count(self):
        """How many items match: ``Select=COUNT`` over every page (nothing else is read)."""
        if self._result_cache is not None:
            return len(self._result_cache)
        return self._sliced_count(run(execution.count(self.query.count_plan())))

    async def acount(self):
        """``count()`` from async code."""
        if self._result_cache is not None:
            return len(self._result_cache)
        return self._sliced_count(await arun(execution.count(self.query.count_plan())))

    def _sliced_count(self, total):
        query = self.query
        high = total if query.high is None else min(total, query.high)
        return max(0, high - query.low)

    def in_bulk(self, id_list=None, *, field_name="pk"):
        """{id: instance} of these ids (BatchGetItem after resolving them), or of every item."""
        selected = self._in_bulk(id_list, field_name)
        return {} if selected is None else {instance.pk: instance for instance in selected}

    async def ain_bulk(self, id_list=None, *, field_name="pk"):
        """``in_bulk()`` from async code."""
        selected = self._in_bulk(id_list, field_name)
        return {} if selected is None else {instance.pk: instance async for instance in selected}

    def _in_bulk(self, id_list, field_name):
        """The QuerySet in_bulk() reads, or None when no id is asked for."""
        schema = self.query.schema
        if field_name not in ("pk", schema.pk.name):
            raise ValueError(f"in_bulk()'s field_name must be the primary key of {schema.label}.")
        if id_list is None:
            return self
        ids = list(id_list)
        return self.filter(pk__in=ids) if ids else None

    def iterator(self, chunk_size=None):
        """The items without caching them; ``chunk_size`` items per request (its Limit)."""
        check_limit("chunk_size", chunk_size, minimum=1)
        return iter(self._iterable_class(self, chunk_size))

    def aiterator(self, chunk_size=None):
        """``iterator()`` for ``async for``: items as their pages arrive, not cached."""
        check_limit("chunk_size", chunk_size, minimum=1)
        return aiter(self._iterable_class(self, chunk_size))

    def page(self, size, cursor=None):
        """One request's items (at most ``size``) and the cursor continuing after them.

        The cursor is DynamoDB's LastEvaluatedKey (None on the last page):
        pass it back as ``cursor=`` to read the next page.
        """
        items, next_cursor = run(self._page_steps(size, cursor))
        return Page(list(self._iterable_class(self, items=items)), next_cursor)

    async def apage(self, size, cursor=None):
        """``page()`` from async code."""
        items, next_cursor = await arun(self._page_steps(size, cursor))
        iterable = self._iterable_class(self, items=items)
        return Page([instance async for instance in iterable], next_cursor)

    def _page_steps(self, size, cursor):
        check_limit("size", size, minimum=1, required=True)
        query = self.query
        if query.is_sliced:
            raise TypeError("Cannot page a query once a slice has been taken.")
        return execution.page(query.plan, size, cursor)

    def cursor_for(self, instance):
        """The cursor that continues this QuerySet's pages right after ``instance``."""
        return execution.start_key(self.query.plan, instance)

    def explain(self, format=None, **options):
        """The request(s) this QuerySet would send, placeholders resolved; sends nothing."""
        return explain.explain(self.query, format)


class WriteMethods:
    """create, get_or_create, update_or_create, bulk_create, update, delete; and async twins."""

    def create(self, **kwargs):
        """A new item (a conditional put: never overwrites; ``ItemAlreadyExists``)."""
        instance = self.model(**kwargs)
        instance.save(force_insert=True)
        return instance

    async def acreate(self, **kwargs):
        """``create()`` from async code."""
        instance = self.model(**kwargs)
        await instance.asave(force_insert=True)
        return instance

    def get_or_create(self, defaults=None, **kwargs):
        """(instance, created), race-safe when the lookups name the full key."""
        return drive(writes.get_or_create(self, defaults, kwargs))

    async def aget_or_create(self, defaults=None, **kwargs):
        """``get_or_create()`` from async code."""
        return await adrive(writes.get_or_create(self, defaults, kwargs))

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        """(instance, created): the item updated with ``defaults`` (its version checked), or new."""
        return drive(writes.update_or_create(self, defaults, create_defaults, kwargs))

    async def aupdate_or_create(self, defaults=None, create_defaults=None, **kwargs):
        """``update_or_create()`` from async code."""
        return await adrive(writes.update_or_create(self, defaults, create_defaults, kwargs))

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, **refused):
        """Insert every instance without overwriting any item (see ``writes.bulk_create``)."""
        return run(self._bulk_create_steps(objs, ignore_conflicts, refused))

    async def abulk_create(self, objs, batch_size=None, ignore_conflicts=False, **refused):
        """``bulk_create()`` from async code."""
        return await arun(self._bulk_create_steps(objs, ignore_conflicts, refused))

    def _bulk_create_steps(self, objs, ignore_conflicts, refused):
        if refused.get("update_conflicts"):
            raise UnsupportedOperation(
                f"bulk_create(update_conflicts=True) on {self.model._meta.label} would overwrite "
                "items: save() each one, or Connector.bulk_insert() to overwrite on purpose."
            )
        return writes.bulk_create(self.query.schema, objs, ignore_conflicts)

    def update(self, **kwargs):
        """Set fields on every matching item (a conditional UpdateItem each); how many."""
        self._result_cache = None
        return run(writes.update(self.query, kwargs))

    async def aupdate(self, **kwargs):
        """``update()`` from async code."""
        self._result_cache = None
        return await arun(writes.update(self.query, kwargs))

    def delete(self):
        """Delete the matching items (applying on_delete); ``(count, {label: count})``."""
        return run(self._delete_steps())

    async def adelete(self):
        """``delete()`` from async code."""
        return await arun(self._delete_steps())

    def _delete_steps(self):
        if self._fields is not None:
            raise TypeError("Cannot call delete() after .values() or .values_list()")
        self._result_cache = None
        return writes.delete(self.query, self)

    delete.alters_data = True
    delete.queryset_only = True
    adelete.alters_data = True
    adelete.queryset_only = True
    update.alters_data = True
    aupdate.alters_data = True
    create.alters_data = True
    acreate.alters_data = True
    bulk_create.alters_data = True
    abulk_create.alters_data = True


def _as_tuple(value):
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)
