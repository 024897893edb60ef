"""The public import path of AsyncDynamoViewset (``rest/async_viewsets.py``)."""

from .rest.async_viewsets import AsyncDynamoViewset

__all__ = ["AsyncDynamoViewset"]
