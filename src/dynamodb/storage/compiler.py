"""The query compiler: a decided read (``Read``) becomes the one ``Request`` that performs it.

Both APIs read through here. The Connector builds a ``Read`` from key tuple
lists (``key_read``, ``scan_read``); the QuerySet's planner builds one from
its lookups, choosing the index. ``compile_read`` then writes the request:
GetItem, Query or Scan, with every expression built by boto3's builder
(placeholders for every name and value). The ``paging.Pager`` follows its
pages.
"""

from dataclasses import dataclass, replace

from boto3.dynamodb.conditions import Key

from ..exceptions import ValidationError
from ..wire.marshalling import serialize
from ..wire.requests import Request
from .expressions import exact_key, expression_params, filter_condition, key_condition
from .schema import IndexSchema, ModelSchema

GET_ITEM = "get_item"
QUERY = "query"
SCAN = "scan"


@dataclass(slots=True)
class Read:
    """What one read does: which operation on which index, with which conditions.

    A value: built once and never changed (``replace`` makes another).

    ``key`` is the raw-value key of a GetItem; ``key_condition`` and
    ``filter`` are boto3 conditions; ``attributes`` the attribute names to
    project (None: every attribute the index holds); ``count`` asks for
    ``Select=COUNT``; ``segment`` is ``(segment, total)`` of a parallel Scan.
    """

    schema: ModelSchema
    operation: str
    index: IndexSchema
    key: dict | None = None
    key_condition: object = None
    filter: object = None
    descending: bool = False
    consistent: bool | None = None
    attributes: tuple | None = None
    count: bool = False
    segment: tuple | None = None

    @property
    def projected(self):
        """The attributes the results hold (None: all), for deferring the others."""
        if self.attributes is not None:
            return frozenset(self.attributes)
        return self.index.projected

    def replace(self, **changes):
        """This read with some of its fields changed."""
        return replace(self, **changes)


def compile_read(read):
    """The Request that performs ``read``."""
    schema, index = read.schema, read.index
    if read.consistent and index.is_global:
        raise ValidationError(None, "Global secondary indexes cannot be read consistently.")
    params = {"TableName": schema.table_name}
    projection = list(read.attributes) if read.attributes is not None else None
    if read.operation == GET_ITEM:
        params["Key"] = serialize(read.key)
        params["ConsistentRead"] = True if read.consistent is None else read.consistent
        params.update(expression_params(ProjectionExpression=projection))
        return Request(GET_ITEM, params)
    if index.name is not None:
        params["IndexName"] = index.name
    if read.operation == QUERY:
        params["ScanIndexForward"] = not read.descending
        consistent = read.consistent
        params["ConsistentRead"] = (not index.is_global) if consistent is None else consistent
        key = read.key_condition
    else:
        key = None
        if read.consistent:
            params["ConsistentRead"] = True
        if read.segment is not None:
            params["Segment"], params["TotalSegments"] = read.segment
    if read.count:
        params["Select"] = "COUNT"
        projection = None
    params.update(
        expression_params(
            KeyConditionExpression=key,
            FilterExpression=read.filter,
            ProjectionExpression=projection,
        )
    )
    return Request(read.operation, params)


# The Connector's reads: key tuple lists, as the seed's API takes them.


def key_read(schema, key_tuple_list, index_name=None, filters=None, descending=False, **options):
    """A Query of one partition of the table or of ``index_name``.

    The key tuple list holds only key conditions (an exact partition key, at
    most one sort-key lookup); ``filters`` hold lookups on any other field.
    """
    index = schema.index(index_name)
    return Read(
        schema,
        QUERY,
        index,
        key_condition=key_condition(schema, index, key_tuple_list),
        filter=filter_condition(schema, filters),
        descending=descending,
        **options,
    )


def scan_read(schema, filters=None, **options):
    """A Scan of the whole table, filtered by lookups on any field."""
    return Read(schema, SCAN, schema.table, filter=filter_condition(schema, filters), **options)


def get_read(schema, key_tuple_list, consistent=True):
    """A GetItem of the item with this exact key."""
    return Read(
        schema, GET_ITEM, schema.table, key=exact_key(schema, key_tuple_list), consistent=consistent
    )


def id_read(schema, value):
    """A Query resolving an id to the item's key: on the id index, or the table's partition."""
    if schema.id_index is not None:
        return Read(
            schema, QUERY, schema.id_index, key_condition=Key(schema.pk.attribute).eq(value)
        )
    return Read(schema, QUERY, schema.table, key_condition=Key(schema.pk.attribute).eq(value))
