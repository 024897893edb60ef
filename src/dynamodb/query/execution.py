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
    if plan.listed:
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
    if plan.listed or plan.read.operation == GET_ITEM:
        return (yield from collect(rows(plan, limit=size))), None
    pager = Pager(compile_read(plan.read), page_size=size, start=start)
    items = pager.feed((yield pager.next_request()))
    return list(items), pager.last_key


def count(plan):
    """Steps: how many items a plan matches (``Select=COUNT`` over every page)."""
    if plan.is_empty:
        return 0
    if plan.listed:
        return len((yield from _id_items(plan)))
    if plan.read.operation == GET_ITEM:
        return 0 if (yield compile_read(plan.read)).get("Item") is None else 1
    pager = Pager(compile_read(plan.read))
    while (request := pager.next_request()) is not None:
        pager.feed((yield request))
    return pager.count


def _id_items(plan):
    """Steps: the raw items of a plan of listed keys, or of ids resolved to keys, in its order."""
    if plan.keys is not None:
        listed = [raw for raw in plan.keys if _meets_key_leaves(plan, raw)]
        items = [item for item in (yield from _fetch(plan, listed)) if item is not None]
        return _ordered(plan, items)
    schema = plan.schema
    keys = yield from _resolve(plan, plan.ids)
    found = yield from _fetch_by_id(plan, keys)
    stale = [value for value in keys if value not in found]
    if stale:
        # A cached key may now hold another item (or none): resolve through the index again.
        for value in stale:
            ids.key_cache.discard(schema.table_name, value)
        again = yield from _resolve(plan, stale)
        fresh = {value: key for value, key in again.items() if key != keys[value]}
        found.update((yield from _fetch_by_id(plan, fresh)))
    return _ordered(plan, [found[value] for value in plan.ids if value in found])


def _ordered(plan, items):
    converter, descending = plan.order
    if converter is not None:
        attribute = converter.attribute
        items.sort(
            key=lambda item: bounds.comparable(converter, deserialize_value(item[attribute]))
        )
    return items[::-1] if descending else items


def _meets_key_leaves(plan, raw):
    return all(
        bounds.matches(leaf, deserialize_value(raw[leaf.converter.attribute]))
        for leaf in plan.key_leaves
    )


def _resolve(plan, values):
    """Steps: {id: raw key} of the ids that resolve to a key meeting the plan's key lookups."""
    keys = {}
    for value in values:
        raw = yield from ids.key_for_id(plan.schema, value)
        if raw is not None and _meets_key_leaves(plan, raw):
            keys[value] = raw
    return keys


def _fetch_by_id(plan, keys):
    """Steps: {id: raw item} of the resolved keys whose item still has that id."""
    pk = plan.schema.pk.attribute
    found = yield from _fetch(plan, list(keys.values()), also=pk)
    by_id = {}
    for item in found:
        value = None if item is None else deserialize_value(item[pk])
        if value in keys:
            by_id[value] = item
    return by_id


def _fetch(plan, raw_keys, also=None):
    """Steps: the raw item (or None) of each key, with the plan's filter and projection.

    BatchGetItem without a filter; with one, a Query of each key (a filter
    needs a Query). ``also``: an attribute to project as well.
    """
    schema, template = plan.schema, plan.read
    attributes = template.attributes
    if attributes is not None and also is not None and also not in attributes:
        attributes = (*attributes, also)
    if template.filter is None and len(raw_keys) > 1:
        consistent = True if template.consistent is None else template.consistent
        return (yield from batch.get_raw(schema, raw_keys, consistent, attributes))
    found = []
    for raw in raw_keys:
        response = yield compile_read(_item_read(schema, template, raw, attributes))
        items = [response["Item"]] if "Item" in response else response.get("Items", [])
        found.append(items[0] if items else None)
    return found


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
