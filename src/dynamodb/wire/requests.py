"""A DynamoDB request as a plain value: the operation and its parameters.

Built once by the storage layer (compiler, writes, batches, ids) and sent by
either sender: ``client.send`` now, an async sender alike. Nothing in a
Request depends on how it is sent.
"""

from typing import NamedTuple


class Write(NamedTuple):
    """What an item write is about: the model's label and the item's raw key.

    Marks the requests a transaction may collect instead of sending (the
    writes of one item: put, update, delete), and names them in its errors.
    ``waits``: the steps that made it need its outcome (a model's write);
    False when they go on at once and the transaction's fate is theirs
    (``QuerySet.update()``'s writes).
    """

    label: str
    key: dict
    waits: bool = True


class Request(NamedTuple):
    """One DynamoDB API call: ``operation`` is the boto3 method name (``"get_item"``)."""

    operation: str
    params: dict
    write: Write | None = None
