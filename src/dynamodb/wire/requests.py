"""A DynamoDB request as a plain value: the operation and its parameters.

Built once by the storage layer (compiler, writes, batches, ids) and sent by
either sender: ``client.send`` now, an async sender alike. Nothing in a
Request depends on how it is sent.
"""

from typing import NamedTuple


class Request(NamedTuple):
    """One DynamoDB API call: ``operation`` is the boto3 method name (``"get_item"``)."""

    operation: str
    params: dict
