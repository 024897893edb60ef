"""The Connector: the seed's low-level API to one DynamoCompatibleModel's table.

    connector = Connector(Booking)
    connector.create_table()
    booking = connector.insert(Booking(user=user, name="Ada"))
    connector.select([("user", user), ("date_at__gte", since)])

A facade: keys and conditions are compiled by ``compiler`` (the QuerySet's
compiler too), pages followed by ``paging``, writes made by ``writes`` and
``batch``, tables managed by ``tables``, ids allocated and resolved by
``ids``. Every write says what it means: ``insert`` never overwrites,
``update`` never resurrects a deleted item, ``delete`` fails on a missing one.
"""

from . import atomic, batch, ids, items, paging, relations, tables, writes
from .compiler import compile_read, get_read, key_read, scan_read
from .expressions import exact_key
from .paging import Page, Pager
from .schema import is_dynamo_model, schema_for
from .steps import arun, astream, run

__all__ = ["Connector", "Page"]


class Connector:
    """Reads and writes one DynamoCompatibleModel's table. Cheap to create."""

    def __init__(self, model):
        if not is_dynamo_model(model):
            raise TypeError(
                f"Connector needs a concrete DynamoCompatibleModel subclass, got {model!r}."
            )
        self.model = model
        self.schema = schema_for(model)

    # Tables

    def create_table(self, wait=True):
        """Create the table (keys, indexes, TTL) and the id counter table; True if created.

        An existing table is not an error, unless its keys differ from the model's.
        """
        return tables.create_table(self.schema, wait)

    def delete_table(self, wait=True):
        """Delete the model's table; True if it existed. The shared id counters stay."""
        return tables.delete_table(self.schema, wait)

    def table_exists(self):
        return tables.table_exists(self.schema)

    # Reads

    def get(self, key_tuple_list, consistent=True):
        """The item with this exact key (GetItem), or None."""
        request = compile_read(get_read(self.schema, key_tuple_list, consistent))
        item = run(paging.single_item(request))
        return None if item is None else self.schema.instance(item)

    def batch_get(self, key_tuple_lists, consistent=True):
        """The item (or None) of each key tuple list, in order (BatchGetItem, 100 keys a request).

        A key may repeat; each distinct key is read once. Keys DynamoDB leaves
        unprocessed are requested again with backoff; BatchGetFailed names the
        keys still unread when the retries run out (never a None for them).
        """
        return run(batch.batch_get(self.schema, key_tuple_lists, consistent))

    def get_by_id(self, django_id):
        """The item whose primary key (``id``) is ``django_id``, or None.

        Resolved through the id index (eventually consistent on AWS) and an
        in-process cache of id -> key.
        """
        value = ids.id_value(self.schema, django_id)
        expected = self.schema.pk.python_value(django_id)
        template = self.schema.model.from_db(None, (), self.schema._deferred)
        for _attempt in range(2):
            key_list = template.__convert_id_to_dynamo_key_list__(django_id)
            if key_list is None:
                return None
            found = self.get(key_list)
            if found is not None and found.pk == expected:
                return found
            # A cached key may now hold another item: resolve through the index again.
            ids.key_cache.discard(self.schema.table_name, value)
        return None

    def key_list_for_id(self, django_id):
        """The key tuple list of the item with this id, or None (the default id hook)."""
        schema = self.schema
        value = ids.id_value(schema, django_id)
        if schema.pk is schema.table.partition and schema.table.sort is None:
            return [(schema.pk.name, django_id)]
        raw = run(ids.key_for_id(schema, value))
        return None if raw is None else items.key_list_of(schema, raw)

    def select(
        self,
        key_tuple_list,
        *,
        index=None,
        filter=None,
        descending=False,
        limit=None,
        page_size=None,
        consistent=None,
    ):
        """Every item of a partition matching the key conditions, lazily (Query).

        Sort-key lookups use Django's names (``exact``, ``lt``, ``lte``, ``gt``,
        ``gte``, ``range``, ``startswith``); ``filter`` takes lookups on any field.
        Pages are followed through LastEvaluatedKey until ``limit`` items.
        """
        read = key_read(
            self.schema, key_tuple_list, index, filter, descending, consistent=consistent
        )
        pager = Pager(compile_read(read), limit=limit, page_size=page_size)
        return self._instances(pager, read.projected)

    def select_page(
        self,
        key_tuple_list,
        *,
        index=None,
        filter=None,
        descending=False,
        page_size=25,
        cursor=None,
        consistent=None,
    ):
        """One Query request: up to ``page_size`` items and the next page's cursor."""
        read = key_read(
            self.schema, key_tuple_list, index, filter, descending, consistent=consistent
        )
        return self._page(read, page_size, cursor)

    def all(self, *, filter=None, limit=None, page_size=None):
        """Every item of the table, lazily (a paginated Scan)."""
        pager = Pager(
            compile_read(scan_read(self.schema, filter)), limit=limit, page_size=page_size
        )
        return self._instances(pager, None)

    def scan_page(self, *, filter=None, page_size=25, cursor=None):
        """One Scan request: up to ``page_size`` items and the next page's cursor."""
        return self._page(scan_read(self.schema, filter), page_size, cursor)

    def count(self, key_tuple_list=None, *, index=None, filter=None):
        """How many items match (the whole table when no key is given)."""
        if key_tuple_list is None:
            read = scan_read(self.schema, filter, count=True)
        else:
            read = key_read(self.schema, key_tuple_list, index, filter, count=True)
        return run(paging.count(Pager(compile_read(read))))

    def instance(self, item, projected=None):
        """A model instance from a raw DynamoDB item (as the client returns it)."""
        return self.schema.instance(item, projected)

    def _instances(self, pager, projected):
        instance = self.schema.instance
        for item in paging.raw_items(pager):
            yield instance(item, projected)

    def _page(self, read, page_size, cursor):
        paging.check_limit("page_size", page_size, minimum=1, required=True)
        page = run(paging.one_page(Pager(compile_read(read), page_size=page_size, start=cursor)))
        page.items = [self.schema.instance(item, read.projected) for item in page.items]
        return page

    # Writes

    def insert(self, instance, before_write=None):
        """Put a new item; raise ItemAlreadyExists rather than overwrite one.

        Allocates the id when missing and starts the version at 1;
        ``before_write(instance)`` runs right before the item is sent (see
        ``writes.insert``). A put resent by botocore after a lost answer that
        meets its own first attempt's item is a success.
        """
        run(writes.insert(self.schema, instance, before_write))
        return instance

    def bulk_insert(self, instances):
        """Put many new items with BatchWriteItem, 25 per request; return the instances.

        Every instance is validated first (as ``insert`` does): when one is
        invalid, or two share a key or an id, nothing is sent and
        InvalidBatchItem names its position and field. Missing ids are
        allocated in one block; versions start at 1.

        Unlike ``insert``, this overwrites an existing item with the same key:
        BatchWriteItem cannot be conditional. Items DynamoDB leaves unprocessed
        are resent with backoff; BatchWriteFailed names those still unwritten
        (the written instances are saved; the others keep their ids, so sending
        them again writes the same items). No model signals are sent.
        """
        return run(batch.bulk_insert(self.schema, instances))

    def update(self, instance, fields=None):
        """Replace the stored item (``fields=None``) or write only ``fields`` (UpdateItem).

        Fails with ItemNotFound when the item is gone (it is never recreated)
        and VersionConflict when the model's version field moved.
        """
        if fields is not None:
            run(writes.update_fields(self.schema, instance, fields))
        else:
            run(writes.replace(self.schema, instance))
        return instance

    def delete(self, key_tuple_list, expected_version=None):
        """Delete one item by key (or instance); ItemNotFound if it is not there.

        With ``expected_version`` (or an instance of a versioned model), the
        delete happens only if the stored version matches (VersionConflict).
        """
        run(writes.delete(self.schema, key_tuple_list, expected_version))

    def batch_delete(self, raw_keys):
        """Delete items by raw key, 25 per BatchWriteItem, resending unprocessed ones.

        BatchWriteFailed names the items left when the retries run out.
        """
        run(batch.delete(self.schema, raw_keys))

    # Transactions

    def transact_write(self, actions, token=None):
        """Several writes in one transaction (TransactWriteItems): all or nothing.

        Each action is ``("insert", instance)``, ``("update", instance)``,
        ``("update", instance, fields)``, ``("delete", instance or key)`` or
        ``("check", instance or key, {"version": 3, ...})`` (a condition
        without a write). Instances may be of any DynamoDB model; keys are this
        model's key tuple lists. ``TransactionCanceled`` names each action's
        error; ``token`` makes a retry within 10 minutes write nothing twice.
        """
        with atomic.collecting(token) as transaction:
            for position, action in enumerate(actions, 1):
                atomic.add_action(transaction, self.schema, position, *action)

    def transact_get(self, key_tuple_lists):
        """The items (or None) of up to 100 keys, read as one snapshot (TransactGetItems)."""
        keys = [exact_key(self.schema, key) for key in key_tuple_lists]
        return atomic.get([(self.schema, key) for key in keys])

    # Async twins: the same steps, sent by the event loop's client (``steps.arun``).

    async def aget(self, key_tuple_list, consistent=True):
        """``get`` from a coroutine."""
        request = compile_read(get_read(self.schema, key_tuple_list, consistent))
        item = await arun(paging.single_item(request))
        return None if item is None else self.schema.instance(item)

    async def abatch_get(self, key_tuple_lists, consistent=True):
        """``batch_get`` from a coroutine."""
        return await arun(batch.batch_get(self.schema, key_tuple_lists, consistent))

    async def aselect(
        self,
        key_tuple_list,
        *,
        index=None,
        filter=None,
        descending=False,
        limit=None,
        page_size=None,
        consistent=None,
    ):
        """``select`` as an async iterator: ``async for booking in connector.aselect(...)``."""
        read = key_read(
            self.schema, key_tuple_list, index, filter, descending, consistent=consistent
        )
        pager = Pager(compile_read(read), limit=limit, page_size=page_size)
        instance = self.schema.instance
        async for item in astream(paging.pages(pager)):
            yield instance(item, read.projected)

    async def acount(self, key_tuple_list=None, *, index=None, filter=None):
        """``count`` from a coroutine."""
        if key_tuple_list is None:
            read = scan_read(self.schema, filter, count=True)
        else:
            read = key_read(self.schema, key_tuple_list, index, filter, count=True)
        return await arun(paging.count(Pager(compile_read(read))))

    async def ainsert(self, instance, before_write=None):
        """``insert`` from a coroutine."""
        await arun(writes.insert(self.schema, instance, before_write))
        return instance

    async def abulk_insert(self, instances):
        """``bulk_insert`` from a coroutine."""
        return await arun(batch.bulk_insert(self.schema, instances))

    async def aupdate(self, instance, fields=None):
        """``update`` from a coroutine."""
        if fields is not None:
            await arun(writes.update_fields(self.schema, instance, fields))
        else:
            await arun(writes.replace(self.schema, instance))
        return instance

    async def adelete(self, key_tuple_list, expected_version=None):
        """``delete`` from a coroutine."""
        await arun(writes.delete(self.schema, key_tuple_list, expected_version))

    async def atransact_write(self, actions, token=None):
        """``transact_write`` from a coroutine."""
        async with atomic.acollecting(token) as transaction:
            for position, action in enumerate(actions, 1):
                await atomic.aadd_action(transaction, self.schema, position, *action)

    async def atransact_get(self, key_tuple_lists):
        """``transact_get`` from a coroutine."""
        keys = [exact_key(self.schema, key) for key in key_tuple_lists]
        return await atomic.aget([(self.schema, key) for key in keys])

    # Relations (a ForeignKey's on_delete)

    def keys_where(self, name, value, limit=None):
        """The raw keys of the items whose field ``name`` equals ``value``, lazily."""
        return relations.keys_where(self.schema, name, value, limit)

    def exists_where(self, name, value):
        """Whether any item has ``value`` in field ``name``."""
        return next(self.keys_where(name, value, limit=1), None) is not None

    def delete_where(self, name, value):
        """Delete every item whose field ``name`` equals ``value``; return how many."""
        return relations.delete_where(self.schema, name, value)

    def set_where(self, name, value, new_value):
        """Set field ``name`` to ``new_value`` where it equals ``value``; return how many."""
        return relations.set_where(self.schema, name, value, new_value)
