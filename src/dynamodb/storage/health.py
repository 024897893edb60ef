"""Is DynamoDB ready for this project? (used by the /ready/ endpoint)."""

from ..exceptions import DynamoError
from ..wire import client
from .schema import schema_for
from .tables import dynamo_models


def ping_tables(timeout=1.0):
    """None when every model's table answers within ``timeout``; else what is wrong."""
    for model in dynamo_models():
        name = schema_for(model).table_name
        try:
            client.probe("describe_table", timeout=timeout, TableName=name)
        except DynamoError as error:
            return f"{name}: {error}"
    return None
