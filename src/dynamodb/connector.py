"""Public import path of the Connector (``from dynamodb.connector import Connector``).

It lives in ``dynamodb.storage.connector``; see docs/architecture.md.
"""

from .storage.connector import Connector, Page

__all__ = ["Connector", "Page"]
