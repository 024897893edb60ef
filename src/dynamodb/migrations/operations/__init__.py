"""Migration operations on DynamoDB tables: written by makemigrations, applied by migrate.

``makemigrations`` writes the table operations next to Django's own, from
what changed in the models' DynamoDB declarations; data migrations
(``RunDynamoPython``) and the deletion of a table a ``CopyTable`` left behind
are written by hand. A package, not a module: Django's migration loader reads
every module of ``dynamodb/migrations/`` as a migration, and skips packages.
"""

from ...storage.tablespecs import IndexSpec as Index
from .alterations import AlterBillingMode, AlterTimeToLive
from .base import TableOperation
from .data import RunDynamoPython
from .indexes import AddGlobalIndex, RemoveGlobalIndex, ReplaceGlobalIndex
from .tables import CopyTable, CreateTable, DeleteTable

__all__ = [
    "AddGlobalIndex",
    "AlterBillingMode",
    "AlterTimeToLive",
    "CopyTable",
    "CreateTable",
    "DeleteTable",
    "Index",
    "RemoveGlobalIndex",
    "ReplaceGlobalIndex",
    "RunDynamoPython",
    "TableOperation",
]

# Migration files name an operation by its class's module: by this package, the
# modules behind it may move without breaking a migration ever written.
for _operation in (
    AddGlobalIndex,
    AlterBillingMode,
    AlterTimeToLive,
    CopyTable,
    CreateTable,
    DeleteTable,
    RemoveGlobalIndex,
    ReplaceGlobalIndex,
    RunDynamoPython,
):
    _operation.__module__ = __name__
