"""A table as DynamoDB sees it: one value to compare, to carry in migrations and to send.

A ``TableSpec`` is what DynamoDB knows of a model's table: its name (without
``DYNAMODB_TABLE_PREFIX``), its key attributes and their types, its secondary
indexes (keys and projections), its TTL attribute and its billing. It comes
from a model (``ModelSchema.spec()``), from a live table (``live_spec``) or
from the migration operations that carry it, and two specs are equal when
DynamoDB would hold the same table. Field names are not part of it: DynamoDB
knows attributes only. The functions at the end build the requests that create
a table or change one, as plain ``Request`` values (sent, or printed by
``sqlmigrate`` and ``migrate --plan``).
"""

import dataclasses
import re
from dataclasses import dataclass

from .. import constants
from ..exceptions import InvalidMigration
from ..wire.requests import Request
from .billing import ON_DEMAND, PROVISIONED

PROJECTIONS = ("ALL", "KEYS_ONLY")
BILLING_MODES = (ON_DEMAND, PROVISIONED)
# The import path migration files name an index by (re-exported there).
INDEX_PATH = "dynamodb.migrations.operations.Index"


def _key(value, owner):
    """A key as ((attribute, type), ...), the partition first; InvalidMigration naming ``owner``."""
    try:
        key = tuple((attribute, kind) for attribute, kind in value)
    except (TypeError, ValueError):
        key = ()
    if not 1 <= len(key) <= 2 or not all(
        isinstance(attribute, str) and attribute and kind in constants.KEY_TYPES
        for attribute, kind in key
    ):
        raise InvalidMigration(
            f"The key of {owner} must be a list of one or two (attribute, type) pairs, the "
            f"partition key first, each type 'S', 'N' or 'B'; got {value!r}."
        )
    if len(key) == 2 and key[0][0] == key[1][0]:
        raise InvalidMigration(f"The key of {owner} names {key[0][0]!r} twice.")
    return key


def _name(value, pattern, what):
    if not isinstance(value, str) or not re.match(pattern, value):
        raise InvalidMigration(
            f"{what} {value!r} is not 3 to 255 letters, digits, '_', '-' or '.'."
        )
    return value


def check_table_name(value):
    """``value`` if it is a valid table name (without prefix), else InvalidMigration."""
    return _name(value, constants.TABLE_NAME_PATTERN, "Table name")


def check_billing(billing, throughput, owner):
    """The throughput, as a (read, write) tuple or None, if it goes with ``billing``."""
    if billing not in BILLING_MODES:
        raise InvalidMigration(
            f"The billing of {owner} must be one of {BILLING_MODES}, not {billing!r}."
        )
    if billing == ON_DEMAND:
        if throughput is not None:
            raise InvalidMigration(f"{owner} is billed per request: it takes no throughput.")
        return None
    try:
        units = tuple(throughput)
    except TypeError:
        units = ()
    if len(units) != 2 or not all(
        isinstance(unit, int) and not isinstance(unit, bool) and unit > 0 for unit in units
    ):
        raise InvalidMigration(
            f"Provisioned {owner} needs throughput=(read units, write units), two positive "
            f"integers; got {throughput!r}."
        )
    return units


def describe_key(key):
    """``user (N), date_at (N)``: a key for messages."""
    return ", ".join(f"{attribute} ({kind})" for attribute, kind in key)


@dataclass(frozen=True)
class IndexSpec:
    """A secondary index: its name, key, projection, and whether it is local.

    ``projection`` is ``"ALL"``, ``"KEYS_ONLY"`` or the non-key attributes it
    includes (INCLUDE). Written in migrations as ``Index(...)``.
    """

    name: str
    key: tuple
    projection: str | tuple = "ALL"
    local: bool = False

    def __post_init__(self):
        _name(self.name, constants.INDEX_NAME_PATTERN, "Index name")
        owner = f"index {self.name!r}"
        object.__setattr__(self, "key", _key(self.key, owner))
        projection = self.projection
        if isinstance(projection, str):
            if projection not in PROJECTIONS:
                raise InvalidMigration(f"The projection of {owner} is {projection!r}.")
        else:
            try:
                projection = tuple(sorted(set(projection)))
            except TypeError:
                projection = ()
            if not projection or not all(isinstance(a, str) and a for a in projection):
                raise InvalidMigration(
                    f"The projection of {owner} must be 'ALL', 'KEYS_ONLY' or a list of "
                    f"attribute names; got {self.projection!r}."
                )
            object.__setattr__(self, "projection", projection)
        if not isinstance(self.local, bool):
            raise InvalidMigration(f"local of {owner} must be True or False.")
        if self.local and len(self.key) != 2:
            raise InvalidMigration(f"Local {owner} needs the table's partition key and a sort key.")

    def deconstruct(self):
        kwargs = {"key": [tuple(pair) for pair in self.key]}
        if self.projection != "ALL":
            kwargs["projection"] = (
                self.projection if isinstance(self.projection, str) else list(self.projection)
            )
        if self.local:
            kwargs["local"] = True
        return INDEX_PATH, (self.name,), kwargs

    def describe(self):
        kind = "local" if self.local else "global"
        projection = (
            self.projection
            if isinstance(self.projection, str)
            else "INCLUDE " + ", ".join(self.projection)
        )
        return f"{kind} index {self.name!r} on {describe_key(self.key)}, projecting {projection}"


@dataclass(frozen=True)
class TableSpec:
    """A table: name (unprefixed), key, indexes (sorted by name), TTL attribute, billing."""

    table_name: str
    key: tuple
    indexes: tuple = ()
    ttl: str | None = None
    billing: str = ON_DEMAND
    throughput: tuple | None = None  # (read, write) capacity units when PROVISIONED

    def __post_init__(self):
        check_table_name(self.table_name)
        owner = f"table {self.table_name!r}"
        object.__setattr__(self, "key", _key(self.key, owner))
        indexes = tuple(self.indexes)
        if not all(isinstance(index, IndexSpec) for index in indexes):
            raise InvalidMigration(f"The indexes of {owner} must be Index(...) values.")
        names = [index.name for index in indexes]
        if len(set(names)) != len(names):
            raise InvalidMigration(f"{owner} declares an index name twice: {sorted(names)}.")
        for index in indexes:
            if index.local and index.key[0] != self.key[0]:
                raise InvalidMigration(
                    f"Local index {index.name!r} of {owner} must share its partition key "
                    f"{describe_key(self.key[:1])}."
                )
        object.__setattr__(self, "indexes", tuple(sorted(indexes, key=lambda i: i.name)))
        if self.ttl is not None and not (isinstance(self.ttl, str) and self.ttl):
            raise InvalidMigration(f"The TTL attribute of {owner} must be a name or None.")
        object.__setattr__(self, "throughput", check_billing(self.billing, self.throughput, owner))

    @classmethod
    def described(cls, **fields):
        """A table as the engine describes it, taken as it is: never refused."""
        return _described(cls, **fields)

    @property
    def global_indexes(self):
        return [index for index in self.indexes if not index.local]

    @property
    def local_indexes(self):
        return [index for index in self.indexes if index.local]

    def index(self, name):
        return next((index for index in self.indexes if index.name == name), None)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def with_index(self, index):
        """This table with ``index`` added, or replacing the one of its name."""
        others = tuple(i for i in self.indexes if i.name != index.name)
        return self.replace(indexes=(*others, index))

    def without_index(self, name):
        return self.replace(indexes=tuple(i for i in self.indexes if i.name != name))

    def as_kwargs(self):
        """The keyword arguments of an operation carrying this table (defaults left out)."""
        kwargs = {"table_name": self.table_name, "key": [tuple(pair) for pair in self.key]}
        if self.indexes:
            kwargs["indexes"] = list(self.indexes)
        if self.ttl is not None:
            kwargs["ttl"] = self.ttl
        if self.billing != ON_DEMAND:
            kwargs["billing"] = self.billing
            kwargs["throughput"] = tuple(self.throughput)
        return kwargs

    def attribute_types(self):
        """Every key attribute of the table and its indexes, with its type, table keys first."""
        types = dict(self.key)
        for index in self.indexes:
            types.update(index.key)
        return types


# From a live table


def _described(cls, **fields):
    """A spec as an engine describes it, taken as it is: never refused."""
    spec = cls.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(spec, name, value)
    return spec


def _live_key(schema, types):
    ordered = sorted(schema, key=lambda part: part["KeyType"] != "HASH")
    return tuple((part["AttributeName"], types.get(part["AttributeName"])) for part in ordered)


def _live_index(described, types, local):
    projection = described["Projection"].get("ProjectionType", "ALL")
    if projection == "INCLUDE":
        projection = tuple(sorted(described["Projection"].get("NonKeyAttributes", ())))
    return _described(
        IndexSpec,
        name=described["IndexName"],
        key=_live_key(described["KeySchema"], types),
        projection=projection or "KEYS_ONLY",
        local=local,
    )


def _types(table):
    return {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", ())}


def live_index(table, name):
    """The global index ``name`` of a DescribeTable answer, as an IndexSpec; None if absent."""
    for described in table.get("GlobalSecondaryIndexes", ()):
        if described["IndexName"] == name:
            return _live_index(described, _types(table), local=False)
    return None


def live_spec(table, ttl_description, table_name):
    """The TableSpec of a DescribeTable answer (and DescribeTimeToLive's), named ``table_name``.

    Indexes being deleted are left out; the billing is the table's (its global
    indexes' own capacities are not compared).
    """
    types = _types(table)
    indexes = [
        _live_index(described, types, local=True)
        for described in table.get("LocalSecondaryIndexes", ())
    ] + [
        _live_index(described, types, local=False)
        for described in table.get("GlobalSecondaryIndexes", ())
        if described.get("IndexStatus") != "DELETING"
    ]
    billing = table.get("BillingModeSummary", {}).get("BillingMode", PROVISIONED)
    throughput = None
    if billing == PROVISIONED:
        capacity = table.get("ProvisionedThroughput", {})
        throughput = (capacity.get("ReadCapacityUnits", 0), capacity.get("WriteCapacityUnits", 0))
    ttl = None
    if (ttl_description or {}).get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        ttl = ttl_description.get("AttributeName")
    return _described(
        TableSpec,
        table_name=table_name,
        key=_live_key(table["KeySchema"], types),
        indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        ttl=ttl,
        billing=billing,
        throughput=throughput,
    )


# Requests


def _key_schema(key):
    return [
        {"AttributeName": attribute, "KeyType": kind}
        for (attribute, _), kind in zip(key, ("HASH", "RANGE"), strict=False)
    ]


def _projection(index):
    if isinstance(index.projection, str):
        return {"ProjectionType": index.projection}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projection)}


def _throughput(spec):
    read, write = spec.throughput
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def _index_params(spec, index):
    params = {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.key),
        "Projection": _projection(index),
    }
    if spec.billing == PROVISIONED and not index.local:
        params["ProvisionedThroughput"] = _throughput(spec)
    return params


def _attribute_definitions(types):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def create_table_params(spec, name):
    """CreateTable parameters of a spec, for the table called ``name`` (prefix included)."""
    params = {"TableName": name, "KeySchema": _key_schema(spec.key), "BillingMode": spec.billing}
    if spec.billing == PROVISIONED:
        params["ProvisionedThroughput"] = _throughput(spec)
    if spec.local_indexes:
        params["LocalSecondaryIndexes"] = [_index_params(spec, i) for i in spec.local_indexes]
    if spec.global_indexes:
        params["GlobalSecondaryIndexes"] = [_index_params(spec, i) for i in spec.global_indexes]
    params["AttributeDefinitions"] = _attribute_definitions(spec.attribute_types())
    return params


def create_table_request(spec, name):
    return Request("create_table", create_table_params(spec, name))


def delete_table_request(name):
    return Request("delete_table", {"TableName": name})


def ttl_request(name, attribute, enabled):
    """UpdateTimeToLive turning TTL on ``attribute`` on or off."""
    return Request(
        "update_time_to_live",
        {
            "TableName": name,
            "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute},
        },
    )


def add_index_request(spec, name, index):
    """UpdateTable creating global ``index`` on a table that becomes ``spec``."""
    return Request(
        "update_table",
        {
            "TableName": name,
            # Every key attribute of the table as it becomes: engines (moto) replace the list.
            "AttributeDefinitions": _attribute_definitions(spec.attribute_types()),
            "GlobalSecondaryIndexUpdates": [{"Create": _index_params(spec, index)}],
        },
    )


def remove_index_request(name, index_name):
    return Request(
        "update_table",
        {"TableName": name, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": index_name}}]},
    )


def billing_request(spec, name):
    """UpdateTable giving the table (and its global indexes) the billing of ``spec``."""
    params = {"TableName": name, "BillingMode": spec.billing}
    if spec.billing == PROVISIONED:
        params["ProvisionedThroughput"] = _throughput(spec)
        if spec.global_indexes:
            params["GlobalSecondaryIndexUpdates"] = [
                {
                    "Update": {
                        "IndexName": index.name,
                        "ProvisionedThroughput": _throughput(spec),
                    }
                }
                for index in spec.global_indexes
            ]
    return Request("update_table", params)


def api_name(operation):
    """DynamoDB's name of a boto3 operation: ``update_time_to_live`` -> ``UpdateTimeToLive``."""
    return "".join(part.capitalize() for part in operation.split("_"))
