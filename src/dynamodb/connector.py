"""The Connector: key-based reads and writes of a DynamoCompatibleModel.

    connector = Connector(Booking)
    connector.create_table()
    booking = connector.insert(Booking(user=user, name="Ada"))
    connector.select([("user", user), ("date_at__gte", since)])

A thin facade: keys and conditions are built by ``lookups``, items converted
by the model's hooks (``conversion`` underneath), tables described by
``schema``, ids allocated by ``ids``, requests sent by ``client``.

Every write says what it means: ``insert`` never overwrites, ``update``
never resurrects a deleted item, ``delete`` fails on a missing one.
"""

import functools
import logging
from dataclasses import dataclass, field

from boto3.dynamodb.conditions import Attr, ConditionExpressionBuilder
from django.db.models import DEFERRED

from . import batch, client, constants, ids, items, lookups
from .conversion import check_item_size, check_key_value, estimated_size
from .exceptions import (
    ConditionFailed,
    DynamoError,
    ItemAlreadyExists,
    ItemNotFound,
    TableInUse,
    TableNotFound,
    TableSchemaMismatch,
    ValidationError,
    VersionConflict,
)
from .marshalling import deserialize, serialize, serialize_value
from .schema import is_dynamo_model, schema_for

logger = logging.getLogger(__name__)


def expression_params(**conditions):
    """Request parameters for boto3 conditions, e.g. ``ConditionExpression=Attr("a").exists()``.

    The expressions of one request share a builder, so their placeholders differ.
    """
    builder = ConditionExpressionBuilder()
    params, names, values = {}, {}, {}
    for parameter, condition in conditions.items():
        if condition is None:
            continue
        built = builder.build_expression(condition, parameter == "KeyConditionExpression")
        params[parameter] = built.condition_expression
        names.update(built.attribute_name_placeholders)
        values.update(built.attribute_value_placeholders)
    if names:
        params["ExpressionAttributeNames"] = names
    if values:
        params["ExpressionAttributeValues"] = serialize(values)
    return params


@functools.cache
def _existence_condition(partition_attribute, version_attribute=None, version_test=None):
    """(expression, names, value placeholder) of "the item exists" [and its version is ...].

    ``version_test`` is None (any version), ``"absent"`` or ``"equal"`` (the
    value is the placeholder's, given per call). The expressions of a model
    never change: boto3's builder runs once for each, not on every write.
    """
    condition = Attr(partition_attribute).exists()
    if version_test == "absent":
        condition &= Attr(version_attribute).not_exists()
    elif version_test == "equal":
        condition &= Attr(version_attribute).eq(0)
    built = ConditionExpressionBuilder().build_expression(condition)
    placeholder = next(iter(built.attribute_value_placeholders), None)
    return built.condition_expression, built.attribute_name_placeholders, placeholder


def _typed_keys(definition):
    """Sorted (name, HASH or RANGE, S/N/B) of a table's keys, from CreateTable or DescribeTable."""
    types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
    return sorted(
        (key["AttributeName"], key["KeyType"], types.get(key["AttributeName"]))
        for key in definition["KeySchema"]
    )


@dataclass
class Page:
    """One page of results and the cursor of the next one (None on the last page).

    The cursor is DynamoDB's LastEvaluatedKey: pass it back as ``cursor=``.
    """

    items: list
    cursor: dict | None = None
    scanned: int = field(default=0)


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
        created = self._create(self.schema.table_definition(), wait)
        self._create(ids.counter_table_definition(), wait)
        if self.schema.ttl is not None and created:
            try:
                client.call(
                    "update_time_to_live",
                    TableName=self.schema.table_name,
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": self.schema.ttl.attribute,
                    },
                )
            except DynamoError as error:
                # AWS and DynamoDB Local implement TTL; an engine that does not (dynalite)
                # answers UnknownOperationException: the table works, its items never expire.
                if error.code != "UnknownOperationException":
                    raise
                logger.warning(
                    "The DynamoDB engine does not implement TTL: items of %s will not expire.",
                    self.schema.table_name,
                )
        return created

    def _create(self, definition, wait):
        try:
            client.call("create_table", **definition)
            created = True
        except TableInUse:
            created = False
            self._check_existing(definition)
        if wait:
            client.wait_for("table_exists", TableName=definition["TableName"])
        return created

    def _check_existing(self, definition):
        table = client.call("describe_table", TableName=definition["TableName"])["Table"]
        if _typed_keys(table) != _typed_keys(definition):
            raise TableSchemaMismatch(
                f"Table {definition['TableName']} exists with keys {_typed_keys(table)}, "
                f"but {self.schema.label} declares {_typed_keys(definition)}."
            )

    def delete_table(self, wait=True):
        """Delete the model's table; True if it existed. The shared id counters stay."""
        name = self.schema.table_name
        try:
            client.call("delete_table", TableName=name)
        except TableNotFound:
            return False
        if wait:
            client.wait_for("table_not_exists", TableName=name)
        ids.key_cache.clear()
        return True

    def table_exists(self):
        try:
            client.call("describe_table", TableName=self.schema.table_name)
        except TableNotFound:
            return False
        return True

    # Reads

    def get(self, key_tuple_list, consistent=True):
        """The item with this exact key (GetItem), or None."""
        key = serialize(lookups.exact_key(self.schema, key_tuple_list))
        response = client.call(
            "get_item", TableName=self.schema.table_name, Key=key, ConsistentRead=consistent
        )
        item = response.get("Item")
        return None if item is None else self.instance(item)

    def batch_get(self, key_tuple_lists, consistent=True):
        """The item (or None) of each key tuple list, in order (BatchGetItem, 100 keys a request).

        A key may repeat; each distinct key is read once. Keys DynamoDB leaves
        unprocessed are requested again with backoff; BatchGetFailed names the
        keys still unread when the retries run out (never a None for them).
        """
        return batch.batch_get(self, key_tuple_lists, consistent)

    def get_by_id(self, django_id):
        """The item whose primary key (``id``) is ``django_id``, or None.

        Resolved through the id index (eventually consistent on AWS) and an
        in-process cache of id -> key.
        """
        value = self._pk_value(django_id)
        expected = self.schema.pk.python_value(django_id)
        for _attempt in range(2):
            key_list = self._template().__convert_id_to_dynamo_key_list__(django_id)
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
        value = self._pk_value(django_id)
        if schema.pk is schema.table.partition and schema.table.sort is None:
            return [(schema.pk.name, django_id)]
        raw = ids.key_cache.get(schema.table_name, value)
        if raw is None:
            raw = self._resolve_id(value)
            if raw is None:
                return None
            ids.key_cache.put(schema.table_name, value, raw)
        item = deserialize(raw)
        return [
            (converter.name, converter.from_dynamo(item[converter.attribute]))
            for converter in (schema.table.partition, schema.table.sort)
            if converter is not None
        ]

    def _resolve_id(self, value):
        schema = self.schema
        params = {
            "TableName": schema.table_name,
            "KeyConditionExpression": "#id = :id",
            "ExpressionAttributeNames": {"#id": schema.pk.attribute},
            "ExpressionAttributeValues": {":id": serialize_value(value)},
        }
        if schema.id_index is not None:
            params["IndexName"] = schema.id_index.name
        else:
            params["Limit"] = 1
        items = client.call("query", **params).get("Items", [])
        if not items:
            return None
        return {name: items[0][name] for name in schema.table.key_attributes()}

    def _pk_value(self, django_id):
        if django_id is None or isinstance(django_id, bool):
            raise ValidationError(self.schema.pk.name, f"{django_id!r} is not an id.")
        return self.schema.pk.to_dynamo(django_id)

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
        params = self._query_params(key_tuple_list, index, filter, descending, consistent)
        return self._follow("query", params, limit, page_size, self._projection(index))

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
        params = self._query_params(key_tuple_list, index, filter, descending, consistent)
        return self._page("query", params, page_size, cursor, self._projection(index))

    def all(self, *, filter=None, limit=None, page_size=None):
        """Every item of the table, lazily (a paginated Scan)."""
        return self._follow("scan", self._scan_params(filter), limit, page_size, None)

    def scan_page(self, *, filter=None, page_size=25, cursor=None):
        """One Scan request: up to ``page_size`` items and the next page's cursor."""
        return self._page("scan", self._scan_params(filter), page_size, cursor, None)

    def count(self, key_tuple_list=None, *, index=None, filter=None):
        """How many items match (the whole table when no key is given)."""
        if key_tuple_list is None:
            operation, params = "scan", self._scan_params(filter)
        else:
            operation = "query"
            params = self._query_params(key_tuple_list, index, filter, False, None)
        params["Select"] = "COUNT"
        total = 0
        while True:
            response = client.call(operation, **params)
            total += response["Count"]
            if "LastEvaluatedKey" not in response:
                return total
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _query_params(self, key_tuple_list, index_name, filters, descending, consistent):
        index = self.schema.index(index_name)
        params = {
            "TableName": self.schema.table_name,
            "ScanIndexForward": not descending,
            **expression_params(
                KeyConditionExpression=lookups.key_condition(self.schema, index, key_tuple_list),
                FilterExpression=lookups.filter_condition(self.schema, filters),
            ),
        }
        is_global = index in self.schema.global_indexes
        if consistent and is_global:
            raise ValidationError(None, "Global secondary indexes cannot be read consistently.")
        params["ConsistentRead"] = (not is_global) if consistent is None else consistent
        if index.name is not None:
            params["IndexName"] = index.name
        return params

    def _scan_params(self, filters):
        return {
            "TableName": self.schema.table_name,
            **expression_params(FilterExpression=lookups.filter_condition(self.schema, filters)),
        }

    def _projection(self, index_name):
        return self.schema.index(index_name).projected

    def _page(self, operation, params, page_size, cursor, projected):
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValidationError(None, f"page_size must be a positive integer, got {page_size!r}.")
        params = dict(params, Limit=page_size)
        if cursor is not None:
            if not isinstance(cursor, dict):
                raise ValidationError(None, "cursor must be a page's cursor (a dict).")
            params["ExclusiveStartKey"] = cursor
        response = client.call(operation, **params)
        items = [self.instance(item, projected) for item in response.get("Items", [])]
        return Page(items, response.get("LastEvaluatedKey"), response.get("ScannedCount", 0))

    def _follow(self, operation, params, limit, page_size, projected):
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValidationError(None, f"limit must be a non-negative integer, got {limit!r}.")
        if page_size is not None:
            params["Limit"] = page_size
        return self._iterate(operation, params, limit, projected)

    def _iterate(self, operation, params, limit, projected):
        returned = 0
        while limit is None or returned < limit:
            if limit is not None and "FilterExpression" not in params:
                params["Limit"] = min(params.get("Limit", limit - returned), limit - returned)
            response = client.call(operation, **params)
            # A filtered page may hold more matches than the limit still wants.
            for item in response.get("Items", [])[: None if limit is None else limit - returned]:
                yield self.instance(item, projected)
                returned += 1
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def instance(self, item, projected=None):
        """A model instance from a raw DynamoDB item (as the client returns it)."""
        return self._template().__from_dynamo__(deserialize(item), projected)

    def _template(self):
        """A new instance with every field deferred, as Django builds one from a row."""
        fields = self.model._meta.concrete_fields
        return self.model.from_db(None, (), [DEFERRED] * len(fields))

    # Writes

    def insert(self, instance, before_write=None):
        """Put a new item; raise ItemAlreadyExists rather than overwrite one.

        Allocates the id when missing and starts the version at 1.
        ``before_write(instance)``, if given, is called once the instance is
        valid and has its id, right before the item is sent (to record what
        is about to be written; an error it raises cancels the insert).

        When the engine's answer to the put is lost (a read timeout), botocore
        sends it again, and the condition fails on the item the first attempt
        stored: after such a retry, a stored item exactly equal to the one sent
        is this insert's own, so the insert succeeded.
        """
        schema = self.schema
        item, needs_id, saved = items.prepare_new(schema, instance)
        try:
            if needs_id:
                new_id = ids.allocate_ids(schema.table_name)[0]
                setattr(instance, schema.pk.attname, new_id)
                item[schema.pk.attribute] = schema.pk.to_dynamo(new_id)
            if before_write is not None:
                before_write(instance)
            sent = serialize(item)
            try:
                client.call(
                    "put_item",
                    TableName=schema.table_name,
                    Item=sent,
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": schema.table.partition.attribute},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ConditionFailed as error:
                if not self._is_own_write(error, sent, item):
                    raise
        except ConditionFailed as error:
            items.restore(instance, saved)
            raise ItemAlreadyExists(
                f"{schema.label} with key {items.describe_key(instance)} already exists; "
                "nothing was overwritten."
            ) from error
        except Exception:
            items.restore(instance, saved)
            raise
        items.remember_ids(schema, [sent])
        instance._state.adding = False
        return instance

    def _is_own_write(self, error, sent, item):
        """Whether a put's failed condition met the item an earlier attempt of it stored."""
        if error.retry_attempts == 0:
            return False
        key = {name: item[name] for name in self.schema.table.key_attributes()}
        stored = self._stored_item(error, key)
        return stored is not None and deserialize(stored) == deserialize(sent)

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
        return batch.bulk_insert(self.schema, instances)

    def update(self, instance, fields=None):
        """Replace the stored item (``fields=None``) or write only ``fields`` (UpdateItem).

        Fails with ItemNotFound when the item is gone (it is never recreated)
        and VersionConflict when the model's version field moved.
        """
        items.check_instance(self.schema, instance)
        if fields is not None:
            return self._update_fields(instance, fields)
        schema = self.schema
        expected = self._expected_version(instance)
        saved = {schema.version.attname: expected} if schema.version else {}
        version_test = None
        if schema.version is not None:
            # No version read: only an item that has none yet (stored before the
            # model had a version field) may be replaced.
            version_test = "absent" if expected is None else "equal"
            setattr(instance, schema.version.attname, (expected or 0) + 1)
        try:
            items.pre_save(schema, instance, add=False)
            item = items.validated_item(schema, instance)
            client.call(
                "put_item",
                TableName=schema.table_name,
                Item=serialize(item),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **self._existence_params(version_test, expected),
            )
        except ConditionFailed as error:
            items.restore(instance, saved)
            raise self._condition_error(instance, error, expected) from error
        except Exception:
            items.restore(instance, saved)
            raise
        instance._state.adding = False
        return instance

    def _update_fields(self, instance, fields):
        schema = self.schema
        converters = self._field_converters(fields)
        expected = self._expected_version(instance)
        for converter in converters:
            value = converter.field.pre_save(instance, add=False)
            setattr(instance, converter.attname, value)
        sets, removes, names, values = [], [], {}, {}
        for position, converter in enumerate(converters):
            names[f"#u{position}"] = converter.attribute
            value = converter.to_dynamo(getattr(instance, converter.attname))
            if value is None:
                removes.append(f"#u{position}")
                continue
            if converter.attribute in schema.index_key_attributes:
                check_key_value(converter.name, value, constants.MAX_SORT_KEY_BYTES)
            if estimated_size(value) > constants.MAX_ITEM_BYTES:
                check_item_size({converter.attribute: value})
            values[f":u{position}"] = serialize_value(value)
            sets.append(f"#u{position} = :u{position}")
        version_test = None
        if schema.version is not None:
            names["#uv"] = schema.version.attribute
            values[":uv"] = {"N": "1"}
            if expected is not None:
                version_test = "equal"
                sets.append("#uv = :uv")
                values[":uv"] = {"N": str(expected + 1)}
            else:
                sets.append("#uv = if_not_exists(#uv, :uvz) + :uv")
                values[":uvz"] = {"N": "0"}
        update = " ".join(
            part
            for part in (
                "SET " + ", ".join(sets) if sets else "",
                "REMOVE " + ", ".join(removes) if removes else "",
            )
            if part
        )
        params = self._existence_params(version_test, expected)
        params["ExpressionAttributeNames"].update(names)
        if values:
            params.setdefault("ExpressionAttributeValues", {}).update(values)
        try:
            response = client.call(
                "update_item",
                TableName=schema.table_name,
                Key=serialize(self._key_of(instance)),
                UpdateExpression=update,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **params,
            )
        except ConditionFailed as error:
            raise self._condition_error(instance, error, expected) from error
        stored = self.instance(response["Attributes"])
        for converter in schema.converters:
            setattr(instance, converter.attname, getattr(stored, converter.attname))
        instance._state.adding = False
        return instance

    def _field_converters(self, fields):
        if isinstance(fields, str) or not fields:
            raise ValidationError(None, "fields must be a non-empty list of field names.")
        converters = []
        for name in fields:
            converter = self.schema.by_name.get(name)
            if converter is None:
                raise ValidationError(name, f"{self.schema.label} has no field {name!r}.")
            if converter.name in self.schema.key_names or converter is self.schema.pk:
                raise ValidationError(
                    name, "Key fields are immutable: delete the item and insert a new one."
                )
            if converter is self.schema.version:
                raise ValidationError(name, "The version field is maintained by the connector.")
            if converter not in converters:
                converters.append(converter)
        return converters

    def delete(self, key_tuple_list, expected_version=None):
        """Delete one item by key (or instance); ItemNotFound if it is not there.

        With ``expected_version`` (or an instance of a versioned model), the
        delete happens only if the stored version matches (VersionConflict).
        """
        schema = self.schema
        if isinstance(key_tuple_list, self.model):
            instance = key_tuple_list
            key = self._key_of(instance)
            if schema.version is not None and expected_version is None:
                expected_version = getattr(instance, schema.version.attname)
        else:
            key = lookups.exact_key(schema, key_tuple_list)
        if expected_version is not None and schema.version is None:
            raise ValidationError(None, f"{schema.label} has no version_field.")
        params = {
            "TableName": schema.table_name,
            "Key": serialize(key),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "ReturnValues": "ALL_OLD",
            **self._existence_params(
                None if expected_version is None else "equal", expected_version
            ),
        }
        try:
            response = client.call("delete_item", **params)
        except ConditionFailed as error:
            raise self._condition_error(None, error, expected_version, key) from error
        old = response.get("Attributes", {})
        if schema.pk.attribute in old:
            ids.key_cache.discard(schema.table_name, deserialize(old)[schema.pk.attribute])

    def delete_where(self, name, value):
        """Delete every item whose field ``name`` equals ``value``; return how many.

        Used to apply a ForeignKey's CASCADE: a Query when the field is the
        partition key of the table or of an index, a Scan otherwise.
        """
        keys = list(self.keys_where(name, value))
        self.batch_delete(keys)
        return len(keys)

    def exists_where(self, name, value):
        """Whether any item has ``value`` in field ``name``."""
        return next(iter(self.keys_where(name, value, limit=1)), None) is not None

    def keys_where(self, name, value, limit=None):
        """The raw keys of the items whose field ``name`` equals ``value``, lazily."""
        schema = self.schema
        converter = schema.by_name[name]
        key_names = schema.table.key_attributes()
        index = next(
            (i for i in [schema.table, *schema.indexes.values()] if i.partition is converter),
            None,
        )
        if index is not None:
            params = self._query_params([(name, value)], index.name, None, False, None)
            operation = "query"
        else:
            params = self._scan_params([(name, value)])
            operation = "scan"
        params["ProjectionExpression"] = ", ".join(f"#k{n}" for n in range(len(key_names)))
        params.setdefault("ExpressionAttributeNames", {}).update(
            {f"#k{n}": attribute for n, attribute in enumerate(key_names)}
        )
        returned = 0
        while limit is None or returned < limit:
            response = client.call(operation, **params)
            for item in response.get("Items", [])[: None if limit is None else limit - returned]:
                yield {attribute: item[attribute] for attribute in key_names}
                returned += 1
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def set_where(self, name, value, new_value):
        """Set field ``name`` to ``new_value`` on every item where it equals ``value``.

        Applies a ForeignKey's SET_NULL, SET_DEFAULT or SET(...); returns how many.
        """
        converter = self.schema.by_name[name]
        new = converter.to_dynamo(new_value)
        params = {
            "TableName": self.schema.table_name,
            "ConditionExpression": "attribute_exists(#pk)",
            "ExpressionAttributeNames": {
                "#pk": self.schema.table.partition.attribute,
                "#f": converter.attribute,
            },
            "UpdateExpression": "REMOVE #f" if new is None else "SET #f = :v",
        }
        if new is not None:
            params["ExpressionAttributeValues"] = {":v": serialize_value(new)}
        updated = 0
        for key in list(self.keys_where(name, value)):
            try:
                client.call("update_item", Key=key, **params)
                updated += 1
            except ConditionFailed:
                continue  # deleted meanwhile: nothing left to update
        return updated

    def batch_delete(self, raw_keys):
        """Delete items by raw key, 25 per BatchWriteItem, resending unprocessed ones.

        BatchWriteFailed names the items left when the retries run out.
        """
        batch.delete(self.schema, raw_keys)

    # Helpers

    def _key_of(self, instance):
        return lookups.exact_key(self.schema, instance.get_key_list())

    def _existence_params(self, version_test, expected_version):
        """ConditionExpression and its placeholders: the item exists [and its version is ...]."""
        schema = self.schema
        expression, names, placeholder = _existence_condition(
            schema.table.partition.attribute,
            None if schema.version is None else schema.version.attribute,
            version_test,
        )
        params = {"ConditionExpression": expression, "ExpressionAttributeNames": dict(names)}
        if placeholder is not None:
            params["ExpressionAttributeValues"] = {placeholder: serialize_value(expected_version)}
        return params

    def _expected_version(self, instance):
        if self.schema.version is None:
            return None
        return getattr(instance, self.schema.version.attname)

    def _stored_item(self, error, key):
        """The raw item a failed condition met: from the engine's answer, or a consistent read.

        AWS returns it with ReturnValuesOnConditionCheckFailure; some engines (dynalite) do not.
        """
        if error.item is not None:
            return error.item
        return client.call(
            "get_item", TableName=self.schema.table_name, Key=serialize(key), ConsistentRead=True
        ).get("Item")

    def _condition_error(self, instance, error, expected_version, key=None):
        """ItemNotFound or VersionConflict, from the item the engine returned (or a read)."""
        old = self._stored_item(error, key if key is not None else self._key_of(instance))
        described = items.describe_key(instance) if instance is not None else repr(key)
        if old is None:
            return ItemNotFound(f"{self.schema.label} with key {described} does not exist.")
        current = None
        if self.schema.version is not None:
            current = self.instance(old).__dict__.get(self.schema.version.attname)
        return VersionConflict(
            f"{self.schema.label} with key {described} is at version {current}, "
            f"not {expected_version}.",
            current_version=current,
        )
