"""Running a Plan: its requests and raw items, as steps (see ``storage.steps``).

``rows`` are the steps of a plan's items after skipping ``offset``, up to
``limit``; ``count`` the steps of how many match. The sync QuerySet drives
them with ``storage.steps``; an async driver sends the same steps.
"""

from boto3.dynamodb.conditions import Key

from ..storage import batch, ids
from ..storage.compiler import GET_ITEM, QUERY, Read, compile_read
from ..storage.paging import Pager
from ..storage.steps import Rows, collect
from ..wire.marshalling import deserialize_value, serialize_value
from . import bounds


def rows(plan, limit=None, offset=0, page_size=None, start=None):
    """Steps: the raw items a plan reads, as Rows, skipping ``offset``, at most ``limit``."""
    if plan.is_empty or limit == 0:
        return
    if plan.ids is not None:
        items = yield from _id_items(plan)
        yield Rows(items[offset : None if limit is None else offset + limit])
        return
    request = compile_read(plan.read)
    if plan.read.operation == GET_ITEM:
        item = (yield request).get("Item")
        if item is not None and offset == 0:
            yield Rows([item])
        return
    pager = Pager(
        request, limit=None if limit is None else offset + limit, page_size=page_size, start=start
    )
    while (next_request := pager.next_request()) is not None:
        items = pager.feed((yield next_request))
        if offset:
            skipped = min(offset, len(items))
            items, offset = items[skipped:], offset - skipped
        if items:
            yield Rows(items)


def page(plan, size, start=None):
    """Steps: one request's raw items (at most ``size``) and the next page's cursor."""
    if plan.is_empty:
        return [], None
    if plan.ids is not None or plan.read.operation == GET_ITEM:
        return (yield from collect(rows(plan, limit=size))), None
    pager = Pager(compile_read(plan.read), page_size=size, start=start)
    items = pager.feed((yield pager.next_request()))
    return list(items), pager.last_key


def count(plan):
    """Steps: how many items a plan matches (``Select=COUNT`` over every page)."""
    if plan.is_empty:
        return 0
    if plan.ids is not None:
        return len((yield from _id_items(plan)))
    if plan.read.operation == GET_ITEM:
        return 0 if (yield compile_read(plan.read)).get("Item") is None else 1
    pager = Pager(compile_read(plan.read))
    while (request := pager.next_request()) is not None:
        pager.feed((yield request))
    return pager.count


def _id_items(plan):
    """Steps: the raw items of an id plan, in its order."""
    schema = plan.schema
    keys = yield from _resolve(plan, plan.ids)
    found = yield from _fetch(plan, keys)
    stale = [value for value in keys if value not in found]
    if stale:
        # A cached key may now hold another item (or none): resolve through the index again.
        for value in stale:
            ids.key_cache.discard(schema.table_name, value)
        again = yield from _resolve(plan, stale)
        found.update((yield from _fetch(plan, {v: k for v, k in again.items() if k != keys[v]})))
    items = [found[value] for value in plan.ids if value in found]
    converter, descending = plan.order
    if converter is not None:
        attribute = converter.attribute
        items.sort(
            key=lambda item: bounds.comparable(converter, deserialize_value(item[attribute]))
        )
    return items[::-1] if descending else items


def _resolve(plan, values):
    """Steps: {id: raw key} of the ids that resolve to a key meeting the plan's key lookups."""
    schema = plan.schema
    keys = {}
    for value in values:
        raw = yield from ids.key_for_id(schema, value)
        if raw is None:
            continue
        if all(
            bounds.matches(leaf, deserialize_value(raw[leaf.converter.attribute]))
            for leaf in plan.key_leaves
        ):
            keys[value] = raw
    return keys


def _fetch(plan, keys):
    """Steps: {id: raw item} of the resolved keys whose item still has that id."""
    schema, template = plan.schema, plan.read
    attributes = template.attributes
    if attributes is not None and schema.pk.attribute not in attributes:
        attributes = (*attributes, schema.pk.attribute)
    items = []
    if template.filter is None and len(keys) > 1:
        consistent = True if template.consistent is None else template.consistent
        found = yield from batch.get_raw(schema, list(keys.values()), consistent, attributes)
        items = [item for item in found if item is not None]
    else:
        for raw in keys.values():
            read = _item_read(schema, template, raw, attributes)
            request = compile_read(read)
            response = yield request
            items += [response["Item"]] if "Item" in response else response.get("Items", [])
    by_id = {}
    for item in items:
        value = deserialize_value(item[schema.pk.attribute])
        if value in keys:
            by_id[value] = item
    return by_id


def _item_read(schema, template, raw, attributes):
    """The read of one resolved key: a GetItem, or a Query of that key with the plan's filter."""
    key = {name: deserialize_value(value) for name, value in raw.items()}
    if template.filter is None:
        return Read(
            schema,
            GET_ITEM,
            schema.table,
            key=key,
            consistent=template.consistent,
            attributes=attributes,
        )
    condition = None
    for name, value in key.items():
        part = Key(name).eq(value)
        condition = part if condition is None else condition & part
    return template.replace(
        operation=QUERY, key_condition=condition, attributes=attributes, count=False
    )


def start_key(plan, instance):
    """The raw key of ``instance`` in the table or index a plan reads (a page's start key)."""
    schema = plan.schema
    index = plan.read.index if plan.read is not None else schema.table
    converters = dict.fromkeys(
        c for c in (schema.table.partition, schema.table.sort, index.partition, index.sort) if c
    )
    return {
        c.attribute: serialize_value(c.to_dynamo(getattr(instance, c.attname))) for c in converters
    }
