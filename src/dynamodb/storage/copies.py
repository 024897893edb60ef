"""CopyTable's work: every item of a table, read by the model, into the model's new table.

The way out of what DynamoDB cannot change in place (a key, a local index, a
table's name): a new table, and every item of the old one copied into it. The
old table is read in parallel Scan segments that resume from their checkpoints
(``segments``); each item is read by the model (its ``__from_dynamo__``), a
field it lacks gets the field's default, and it is written as the model writes
it (``__to_dynamo__``), so that a new key attribute is computed by the model's
own code. Nobody writes the new table yet, so BatchWriteItem's puts are safe,
and a page copied again after an interruption puts the same items at the same
keys: nothing is duplicated. Two items of the old table that become one item
of the new one are an error. The old table is left as it is.
"""

from django.core.exceptions import ValidationError as DjangoValidationError

from .. import constants
from ..exceptions import TableMigrationError
from ..wire.marshalling import deserialize_value, serialize
from . import batch, ids, items, tableadmin
from .segments import Checkpoint, Checkpoints, scan_segments
from .steps import run


def _job(source, target, segments):
    """The checkpoints' job: these two tables (as created), in this many segments."""
    return (
        f"copy {source['TableName']}@{source['CreationDateTime']} "
        f"to {target['TableName']}@{target['CreationDateTime']} in {segments} segments"
    )


def _tables(schema, source_name):
    source = tableadmin.describe(source_name)
    if source is None:
        raise TableMigrationError(
            f"Table {source_name}, to copy into {schema.table_name}, does not exist."
        )
    target = tableadmin.describe(schema.table_name)
    if target is None:
        raise TableMigrationError(f"Table {schema.table_name}, to copy into, does not exist.")
    return source, target


def copy_table(schema, source_name, *, segments, page_size, report):
    """Copy every item of table ``source_name`` into the schema's table; the items copied.

    Resumes an interrupted copy of the same tables; refuses to start one into
    a table that already holds items (copying would overwrite them).
    """
    source, target = _tables(schema, source_name)
    checkpoints = Checkpoints(_job(source, target, segments))
    checkpoints.ensure_table()
    if not checkpoints.load():
        if not tableadmin.is_empty(schema.table_name):
            raise TableMigrationError(
                f"Table {schema.table_name} already holds items, and no copy into it was "
                f"started: copying {source_name} would overwrite them. Delete it if they are "
                f"disposable (`manage.py createdynamotables --delete {schema.label}`), then run "
                "migrate again."
            )
        for segment in range(segments):
            checkpoints.save(segment, Checkpoint())
    source_key = [part["AttributeName"] for part in source["KeySchema"]]
    read, _written = scan_segments(
        source_name,
        checkpoints,
        _copier(schema, source_name, source_key),
        segments=segments,
        page_size=page_size,
        report=report,
        verb=f"Copying into {schema.table_name} from",
        outcome="copied",
    )
    held = tableadmin.count_items(schema.table_name)
    if held < read:
        raise TableMigrationError(
            f"{read} items of {source_name} were copied, but {schema.table_name} holds {held}: "
            f"{read - held} of them got the key of another one. {schema.label}'s new key is not "
            f"unique for the old items: compute it in __from_dynamo__ so that it is, delete "
            f"{schema.table_name} and run migrate again."
        )
    return read


def forget(source_name, target_name, segments):
    """Forget the checkpoints of a copy (its next run starts afresh)."""
    source, target = tableadmin.describe(source_name), tableadmin.describe(target_name)
    if source is not None and target is not None:
        Checkpoints(_job(source, target, segments)).clear()


def convert(schema, raw):
    """A raw item of the old table as an instance of the model; new fields get their default."""
    instance = schema.instance(raw)
    for converter in schema.converters:
        field = converter.field
        if (
            converter.attribute not in raw
            and getattr(instance, converter.attname) is None
            and field.has_default()
        ):
            setattr(instance, converter.attname, field.get_default())
    return instance


def _copier(schema, source_name, source_key):
    """``handle`` for the segments: write one page of old items into the new table."""
    auto_ids = schema.pk.field.get_internal_type() in constants.AUTO_FIELDS
    target_key = schema.table.key_attributes()

    def described(raw):
        return ", ".join(f"{name}={deserialize_value(raw[name])!r}" for name in source_key)

    def handle(raw_items):
        instances = [convert(schema, raw) for raw in raw_items]
        if auto_ids:
            missing = [i for i in instances if getattr(i, schema.pk.attname) is None]
            if missing:
                for instance, new_id in zip(
                    missing, run(ids.allocate(schema.table_name, len(missing))), strict=True
                ):
                    setattr(instance, schema.pk.attname, new_id)
            given = [getattr(i, schema.pk.attname) for i in instances]
            if given:
                run(ids.reserve_through(schema.table_name, int(max(given))))
        written, seen = [], {}
        for raw, instance in zip(raw_items, instances, strict=True):
            try:
                item = items.validated_item(schema, instance)
            except DjangoValidationError as error:
                raise TableMigrationError(
                    f"Item {described(raw)} of {source_name} cannot be copied into "
                    f"{schema.table_name}: {'; '.join(error.messages)}"
                ) from error
            key = tuple(item[name] for name in target_key)
            if key in seen:
                raise TableMigrationError(
                    f"Items {described(seen[key])} and {described(raw)} of {source_name} both "
                    f"become the item {items.describe_key(schema, instance)} of "
                    f"{schema.table_name}: {schema.label}'s new key is not unique for them."
                )
            seen[key] = raw
            written.append(serialize(item))
        run(batch.put_raw(schema, written))
        return len(written)

    return handle
