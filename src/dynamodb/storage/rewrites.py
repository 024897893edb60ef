"""RunDynamoPython's work: a function over every item of a live table, writing what it changed.

The table is read in parallel Scan segments that resume from their
checkpoints. Each item is read by the model, the function changes the
instance, and only the attributes whose value changed are written: one
UpdateItem that SETs or REMOVEs them. The application may write the same items
meanwhile, so the update never overwrites blindly: it is conditioned on the
item still holding what the function read (its version, for a model with a
``version_field``, which the update moves on; otherwise the old value of each
changed attribute). BatchWriteItem takes no condition, which is why the writes
are single UpdateItems, sent by the segments' threads in parallel. When the
condition fails, the item is read again and the function applied again (an
item deleted meanwhile needs nothing); an item still conflicting after
``ATTEMPTS`` reads stops the run, before its page's checkpoint: the next run
starts that page again. A page is read again at most, so the function must be
idempotent (a backfill is: it sets what a value should be).
"""

from boto3.dynamodb.conditions import Attr
from django.core.exceptions import ValidationError as DjangoValidationError

from .. import constants
from ..exceptions import ConditionFailed, TableMigrationError, ValidationError
from ..wire import client
from ..wire.marshalling import deserialize_value, serialize_value
from ..wire.requests import Request
from . import items, tableadmin
from .expressions import expression_params
from .segments import Checkpoints, MemoryCheckpoints, scan_segments
from .values import check_item_size, check_key_value
from .writes import update_expression

ATTEMPTS = 5


def _job(migration, function, table, segments):
    """The checkpoints' job: a migration's function over a table (as created), in segments.

    Keyed on the migration, so that the same function in a later one runs
    again; on nothing a re-run changes, so that a re-run resumes.
    """
    name = f"{function.__module__}.{function.__qualname__}"
    created = f"{table['TableName']}@{table['CreationDateTime']}"
    return f"{migration}: run {name} over {created} in {segments}"


def _table(schema):
    table = tableadmin.describe(schema.table_name)
    if table is None:
        raise TableMigrationError(f"Table {schema.table_name} does not exist: nothing to rewrite.")
    return table


def rewrite_table(schema, function, *, migration, segments, page_size, report, dry_run=False):
    """Apply ``function`` to every item of the schema's table: (items read, items changed).

    ``migration`` names the operation running it, whose checkpoints these are.
    With ``dry_run``, nothing is written and no checkpoint is kept: the counts
    say what a run would change.
    """
    if dry_run:
        checkpoints = MemoryCheckpoints()
    else:
        checkpoints = Checkpoints(_job(migration, function, _table(schema), segments))
        checkpoints.ensure_table()
    return scan_segments(
        schema.table_name,
        checkpoints,
        _rewriter(schema, function, dry_run),
        segments=segments,
        page_size=page_size,
        report=report,
        verb=f"{'Counting' if dry_run else 'Running'} {function.__name__} over",
    )


def forget(table_name, function, segments, migration):
    """Forget ``migration``'s checkpoints of ``function`` (its next run starts afresh)."""
    table = tableadmin.describe(table_name)
    if table is not None:
        checkpoints = Checkpoints(_job(migration, function, table, segments))
        checkpoints.ensure_table()
        checkpoints.clear()


def _rewriter(schema, function, dry_run):
    """``handle`` for the segments: apply the function to each item of a page."""

    def handle(raw_items):
        return sum(_rewrite(schema, function, raw, dry_run) for raw in raw_items)

    return handle


def _rewrite(schema, function, raw, dry_run):
    """Apply the function to one item and write what it changed; whether it changed it."""
    for _attempt in range(ATTEMPTS):
        instance = schema.instance(raw)
        before = instance.__to_dynamo__()
        function(instance)
        after = instance.__to_dynamo__()
        changed = sorted(a for a in before.keys() | after.keys() if before.get(a) != after.get(a))
        if not changed:
            return False
        try:
            _check(schema, after, changed)
        except DjangoValidationError as error:
            raise TableMigrationError(
                f"{function.__name__} gave {schema.label} {_described(schema, raw)} a value "
                f"DynamoDB cannot hold: {'; '.join(error.messages)}"
            ) from error
        fixed = set(schema.table.key_attributes()) | {schema.pk.attribute}
        if schema.version is not None:
            fixed.add(schema.version.attribute)
        if fixed.intersection(changed):
            raise TableMigrationError(
                f"{function.__name__} changed {sorted(fixed.intersection(changed))} of "
                f"{schema.label} {_described(schema, raw)}: a data migration may not change "
                "keys, ids or versions (copy the table into one with the new keys: CopyTable)."
            )
        if dry_run:
            return True
        try:
            client.send(_update(schema, raw, after, changed))
            return True
        except ConditionFailed:
            raw = _reread(schema, raw)
            if raw is None:
                return False  # deleted meanwhile: nothing left to change
    raise TableMigrationError(
        f"{schema.label} {_described(schema, raw)} changed under {function.__name__} "
        f"{ATTEMPTS} times in a row: nothing of it was overwritten. Run migrate again: the "
        "run resumes at that item's page."
    )


def _check(schema, after, changed):
    """Refuse changed values the model or DynamoDB cannot hold, as a write of the model would."""
    for attribute in changed:
        converter = schema.by_attribute.get(attribute)
        if converter is None:
            continue
        if after.get(attribute) is None and not converter.field.null:
            raise ValidationError(converter.name, "This field cannot be null.")
        if attribute in schema.index_key_attributes and attribute in after:
            check_key_value(converter.name, after[attribute], constants.MAX_SORT_KEY_BYTES)
    check_item_size(after)


def _update(schema, raw, after, changed):
    """UpdateItem of the changed attributes, conditioned on what the function read."""
    partition = schema.table.partition.attribute
    condition = Attr(partition).exists()
    sets, removes, names, values = [], [], {}, {}
    for position, attribute in enumerate(changed):
        names[f"#c{position}"] = attribute
        if after.get(attribute) is None:
            removes.append(f"#c{position}")
        else:
            values[f":c{position}"] = serialize_value(after[attribute])
            sets.append(f"#c{position} = :c{position}")
    if schema.version is not None:
        version = schema.version.attribute
        old = raw.get(version)
        condition &= (
            Attr(version).not_exists() if old is None else Attr(version).eq(deserialize_value(old))
        )
        names["#cv"] = version
        values[":cv"] = serialize_value((0 if old is None else deserialize_value(old)) + 1)
        sets.append("#cv = :cv")
    else:
        for attribute in changed:
            old = raw.get(attribute)
            condition &= (
                Attr(attribute).not_exists()
                if old is None
                else Attr(attribute).eq(deserialize_value(old))
            )
    params = expression_params(ConditionExpression=condition)
    params["ExpressionAttributeNames"].update(names)
    if values:
        params.setdefault("ExpressionAttributeValues", {}).update(values)
    return Request(
        "update_item",
        {
            "TableName": schema.table_name,
            "Key": {name: raw[name] for name in schema.table.key_attributes()},
            "UpdateExpression": update_expression(sets, removes),
            **params,
        },
    )


def _reread(schema, raw):
    key = {name: raw[name] for name in schema.table.key_attributes()}
    response = client.call("get_item", TableName=schema.table_name, Key=key, ConsistentRead=True)
    return response.get("Item")


def _described(schema, raw):
    return ", ".join(f"{name}={value!r}" for name, value in items.key_list_of(schema, raw))
