"""The tables as infrastructure code: a CloudFormation template or Terraform (JSON syntax).

For teams that manage tables outside Django: with
``DYNAMODB_CREATE_TABLES_ON_MIGRATE=false``, migrate changes no table, these
templates declare them, and the drift check says when the two part. The
table prefix is a parameter (``TablePrefix``, ``var.table_prefix``) whose
default is the current ``DYNAMODB_TABLE_PREFIX``. Tables are kept when the
stack or the resource goes (``DeletionPolicy: Retain``, ``prevent_destroy``):
they hold the data.
"""

import re

from dynamodb.storage.billing import PROVISIONED
from dynamodb.storage.tablespecs import create_table_params

DESCRIPTION = "DynamoDB tables of the Django models (manage.py createdynamotables --format {})"


def _unique(names, make):
    seen = {}
    for name in names:
        base = make(name)
        candidate, n = base, 1
        while candidate in seen.values():
            n += 1
            candidate = f"{base}{n}"
        seen[name] = candidate
    return seen


def cloudformation(specs, prefix):
    """An AWS CloudFormation template (a dict) of the tables of ``specs``."""
    ids = _unique(
        [spec.table_name for spec in specs],
        lambda name: re.sub(r"[^A-Za-z0-9]", "", name.title()) + "Table",
    )
    resources = {}
    for spec in specs:
        properties = create_table_params(spec, None)
        properties["TableName"] = {"Fn::Sub": f"${{TablePrefix}}{spec.table_name}"}
        if spec.ttl is not None:
            properties["TimeToLiveSpecification"] = {"AttributeName": spec.ttl, "Enabled": True}
        resources[ids[spec.table_name]] = {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": properties,
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": DESCRIPTION.format("cloudformation"),
        "Parameters": {
            "TablePrefix": {
                "Type": "String",
                "Default": prefix,
                "Description": "DYNAMODB_TABLE_PREFIX: prepended to every table name",
            }
        },
        "Resources": resources,
    }


def _projection(index):
    if isinstance(index.projection, str):
        return {"projection_type": index.projection}
    return {"projection_type": "INCLUDE", "non_key_attributes": list(index.projection)}


def _capacity(spec):
    if spec.billing != PROVISIONED:
        return {}
    read, write = spec.throughput
    return {"read_capacity": read, "write_capacity": write}


def _table_resource(spec):
    (hash_key, _), *sort = spec.key
    resource = {
        "name": f"${{var.table_prefix}}{spec.table_name}",
        "billing_mode": spec.billing,
        "hash_key": hash_key,
        **({"range_key": sort[0][0]} if sort else {}),
        **_capacity(spec),
        "attribute": [{"name": n, "type": t} for n, t in spec.attribute_types().items()],
        "lifecycle": {"prevent_destroy": True},
    }
    globals_ = [
        {
            "name": index.name,
            "hash_key": index.key[0][0],
            **({"range_key": index.key[1][0]} if len(index.key) > 1 else {}),
            **_projection(index),
            **_capacity(spec),
        }
        for index in spec.global_indexes
    ]
    locals_ = [
        {"name": index.name, "range_key": index.key[1][0], **_projection(index)}
        for index in spec.local_indexes
    ]
    if globals_:
        resource["global_secondary_index"] = globals_
    if locals_:
        resource["local_secondary_index"] = locals_
    if spec.ttl is not None:
        resource["ttl"] = {"attribute_name": spec.ttl, "enabled": True}
    return resource


def terraform(specs, prefix):
    """Terraform's JSON configuration syntax (a ``.tf.json`` file) of the tables of ``specs``."""
    names = _unique(
        [spec.table_name for spec in specs],
        lambda name: "t_" + re.sub(r"[^a-z0-9_]", "_", name.lower()),
    )
    return {
        "//": DESCRIPTION.format("terraform"),
        "variable": {
            "table_prefix": {
                "type": "string",
                "default": prefix,
                "description": "DYNAMODB_TABLE_PREFIX: prepended to every table name",
            }
        },
        "resource": {
            "aws_dynamodb_table": {names[s.table_name]: _table_resource(s) for s in specs}
        },
    }


FORMATS = {"cloudformation": cloudformation, "terraform": terraform}
