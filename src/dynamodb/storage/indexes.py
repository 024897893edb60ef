"""Declarations of secondary indexes on a DynamoCompatibleModel (``secondary_indexes``)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class GlobalIndex:
    """A global secondary index: its own partition key (and optional sort key).

    ``projection`` is ``"ALL"``, ``"KEYS_ONLY"`` or a list of field names.
    Items read through a partial projection have their other fields deferred:
    Django loads them from the table on first access.
    """

    name: str
    partition_key: str
    sort_key: str | None = None
    projection: str | tuple = "ALL"


@dataclass(frozen=True)
class LocalIndex:
    """A local secondary index: the table's partition key with another sort key."""

    name: str
    sort_key: str
    projection: str | tuple = "ALL"
