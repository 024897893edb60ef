"""makemigrations and migrate on DynamoDB tables, with real migration files, against the engine.

Each test has an app of its own on disk (tests/system/tempapps.py): it writes
the app's models, lets ``makemigrations`` write the migration files and
applies them with ``migrate``, on a table prefix of its own.
"""

import io
import itertools
import json

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError

from dynamodb.connector import Connector
from dynamodb.storage import segments, tableadmin
from dynamodb.wire import client
from tests.engine import selected_engine_class
from tests.faults import error_response, json_response
from tests.system import migration_functions
from tests.system.tempapps import TempApp

_apps = itertools.count()

ITEM = """
class Item(DynamoCompatibleModel):
    table_name = "{table}"
    partition_key = "owner"
    sort_key = "{sort}"
    secondary_indexes = [{indexes}]
    {extra}

    owner = models.CharField(max_length=20)
    made = models.IntegerField()
    name = models.CharField(max_length=50, blank=True, default="")
    colour = models.CharField(max_length=20, null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    {fields}
"""


def item_model(table="MigItems", sort="made", indexes="", extra="", fields=""):
    return ITEM.format(table=table, sort=sort, indexes=indexes, extra=extra, fields=fields)


BY_COLOUR = 'GlobalIndex("ItemsByColour", partition_key="colour")'


@pytest.fixture
def tables(dynamodb_engine, settings):
    """A table prefix of this test's own; its tables are deleted afterwards."""
    prefix = f"mig{next(_apps)}_"
    settings.DYNAMODB_ENDPOINT_URL = dynamodb_engine.url
    settings.DYNAMODB_TABLE_PREFIX = prefix
    settings.DYNAMODB_CREATE_TABLES_ON_MIGRATE = True
    settings.DYNAMODB_MIGRATE_TIMEOUT = 30
    yield prefix
    if dynamodb_engine.process is not None:
        for name in client.call("list_tables", Limit=100)["TableNames"]:
            if name.startswith(prefix):
                client.call("delete_table", TableName=name)


@pytest.fixture
def app(tmp_path, settings, tables):
    """An app of this test's own (label ``dynmigN``), removed afterwards."""
    made = TempApp(tmp_path, f"dynmig{next(_apps)}", settings)
    yield made
    made.cleanup()


def run(*args, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


def describe(name):
    return client.call("describe_table", TableName=name)["Table"]


def global_indexes(name):
    return {i["IndexName"]: i for i in describe(name).get("GlobalSecondaryIndexes", ())}


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.needs_gsi_updates
def test_a_global_index_is_added_queried_and_removed(app, tables):
    app.models(item_model())
    run("makemigrations", app.label)
    assert "CreateTable(" in app.migration_text("0001")
    run("migrate", app.label)
    table = f"{tables}MigItems"
    assert set(global_indexes(table)) == {"id-index"}

    Item = app.models(item_model(indexes=BY_COLOUR)).get_model("Item")
    output = run("makemigrations", app.label)
    assert "+ Add global index 'ItemsByColour' on colour (S)" in output
    text = app.migration_text("0002")
    assert "AddGlobalIndex(" in text and "CreateTable" not in text
    output = run("migrate", app.label)
    assert f"Index ItemsByColour of {table} is ACTIVE" in output
    assert global_indexes(table)["ItemsByColour"]["IndexStatus"] == "ACTIVE"
    Item.objects.create(owner="ada", made=1, colour="red")
    Item.objects.create(owner="bob", made=2, colour="red")
    Item.objects.create(owner="bob", made=3, colour="blue", name="Sky")
    assert sorted(i.made for i in Item.objects.filter(colour="red")) == [1, 2]

    run("migrate", app.label, "0001")
    assert set(global_indexes(table)) == {"id-index"}
    run("migrate", app.label)
    assert global_indexes(table)["ItemsByColour"]["IndexStatus"] == "ACTIVE"
    assert run("makemigrations", app.label, "--check", "--dry-run").startswith("No changes")

    # A projection changed: the index is replaced, in one operation that says so.
    keys_only = 'GlobalIndex("ItemsByColour", partition_key="colour", projection="KEYS_ONLY")'
    Item = app.models(item_model(indexes=keys_only)).get_model("Item")
    assert "~ Replace global index 'ItemsByColour'" in run("makemigrations", app.label)
    run("migrate", app.label)
    projection = global_indexes(table)["ItemsByColour"]["Projection"]
    assert projection == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["id"]}
    (found,) = Item.objects.filter(colour="blue")
    assert "name" in found.get_deferred_fields() and found.name == "Sky"  # loaded on access
    run("migrate", app.label, "0002")
    assert global_indexes(table)["ItemsByColour"]["Projection"] == {"ProjectionType": "ALL"}
    app.models(item_model(indexes=BY_COLOUR))
    (app.package / "migrations" / f"{app.migrations[-1]}.py").unlink()
    # Squashed, the migrations declare the same table.
    run("squashmigrations", app.label, "0002", interactive=False)
    assert "AddGlobalIndex(" in app.migration_text("0001_squashed")
    assert run("makemigrations", app.label, "--check", "--dry-run").startswith("No changes")


@pytest.mark.needs_gsi_updates
def test_an_index_that_never_becomes_active_fails_migrate_after_the_timeout(
    app, tables, faults, settings
):
    app.models(item_model())
    run("makemigrations", app.label)
    run("migrate", app.label)
    app.models(item_model(indexes=BY_COLOUR))
    run("makemigrations", app.label)

    def backfilling(request):  # DynamoDB backfilling the new index, for ever
        def after(answer):
            answer["Table"]["ItemCount"] = 3
            for index in answer["Table"].get("GlobalSecondaryIndexes", ()):
                if index["IndexName"] == "ItemsByColour":
                    index.update(IndexStatus="CREATING", Backfilling=True, ItemCount=1)

        return after

    faults.rewrite("DescribeTable", backfilling)
    settings.DYNAMODB_MIGRATE_TIMEOUT = 0.5
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("migrate", app.label, stdout=out)
    message = str(failed.value)
    assert f"{tables}MigItems is still index ItemsByColour CREATING" in message
    assert "after 0.5 s (DYNAMODB_MIGRATE_TIMEOUT)" in message
    assert "run migrate again to wait on" in message
    assert "backfilling: 1 of 3 items (33%)" in out.getvalue()

    faults.rewrite("DescribeTable", lambda request: None)
    output = run("migrate", app.label)  # waits on: the index exists already
    assert f"Index ItemsByColour of {tables}MigItems exists: kept" in output


@pytest.mark.needs_ttl
def test_time_to_live_is_turned_on_and_back_off(app, tables):
    app.models(item_model())
    run("makemigrations", app.label)
    run("migrate", app.label)
    app.models(item_model(extra='ttl_field = "expires"'))
    run("makemigrations", app.label)
    assert "AlterTimeToLive(" in app.migration_text("0002")
    run("migrate", app.label)
    ttl = client.call("describe_time_to_live", TableName=f"{tables}MigItems")
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires",
    }
    run("migrate", app.label, "0001")
    ttl = client.call("describe_time_to_live", TableName=f"{tables}MigItems")
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"


def test_a_deleted_model_deletes_its_table_and_unapplying_creates_it_again(app, tables):
    Item = app.models(item_model()).get_model("Item")
    run("makemigrations", app.label)
    run("migrate", app.label)
    Item.objects.create(owner="ada", made=1)
    app.models("")
    output = run("makemigrations", app.label)
    assert "- Delete the DynamoDB table of Item and its items" in output
    assert output.index("Delete the DynamoDB table") < output.index("Delete model Item")
    run("migrate", app.label)
    assert f"{tables}MigItems" not in client.call("list_tables")["TableNames"]
    run("migrate", app.label, "0001")
    assert describe(f"{tables}MigItems")["TableStatus"] == "ACTIVE"  # again, empty
    assert tableadmin.is_empty(f"{tables}MigItems")


def test_a_key_change_is_refused_naming_copy_table(app):
    app.models(item_model())
    run("makemigrations", app.label)
    run("migrate", app.label)
    app.models(item_model(sort="name"))
    with pytest.raises(CommandError) as refused:
        run("makemigrations", app.label)
    message = str(refused.value)
    assert f"{app.label}.Item: its sort key changes from made (N) to name (S)" in message
    assert "CopyTable" in message and "new table_name" in message
    assert app.migrations == ["0001_initial"]
    # migrate only notices the change, as any change not in a migration yet.
    assert "have changes that are not yet reflected" in run("migrate", app.label)


@pytest.mark.needs_gsi_updates
def test_plan_and_sqlmigrate_print_the_requests_and_send_nothing(app, tables, faults):
    app.models(item_model())
    run("makemigrations", app.label)
    run("migrate", app.label)
    app.models(item_model(indexes=BY_COLOUR))
    run("makemigrations", app.label)
    faults.sent.clear()

    sql = run("sqlmigrate", app.label, "0002")
    plan = run("migrate", app.label, plan=True, skip_checks=False)
    backwards = run("sqlmigrate", app.label, "0002", backwards=True)

    assert faults.sent == []  # not one request reached the engine
    request = json.loads(sql.split("-- DynamoDB UpdateTable\n")[1].split("\n-- ")[0])
    assert request["TableName"] == f"{tables}MigItems"
    (update,) = request["GlobalSecondaryIndexUpdates"]
    assert update["Create"]["IndexName"] == "ItemsByColour"
    assert {"AttributeName": "colour", "AttributeType": "S"} in request["AttributeDefinitions"]
    assert "-- DynamoDB UpdateTable" in plan and '"IndexName": "ItemsByColour"' in plan
    assert '"Delete": {' in backwards


def test_the_drift_check_fires_and_clears(app, tables):
    app.models(item_model())
    run("makemigrations", app.label)
    run("migrate", app.label)
    Item = app.models(item_model(extra="billing = Provisioned(read=2, write=3)")).get_model("Item")

    def drift():
        found = checks.run_checks(tags=[checks.Tags.database], databases=["default"])
        return [message for message in found if message.obj is Item]

    (warning,) = drift()
    assert warning.id == "dynamodb.W008"
    assert f"makemigrations {app.label}" in warning.hint
    with pytest.raises(CommandError):
        run("createdynamotables", f"{app.label}.Item", "--check")
    run("makemigrations", app.label)
    (warning,) = drift()
    assert f"migrate {app.label}" in warning.hint and "makemigrations" not in warning.hint
    run("migrate", app.label)
    assert drift() == []
    assert "match" in run("createdynamotables", f"{app.label}.Item", "--check")
    assert checks.run_checks(tags=[checks.Tags.database]) == []  # no database: not run


def drift_of(model):
    """(id, message) of each database-tagged warning about ``model``."""
    found = checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    return sorted((message.id, message.msg) for message in found if message.obj is model)


def test_each_difference_of_a_live_table_is_its_own_warning(app, tables):
    app.models(item_model(indexes=BY_COLOUR))
    run("makemigrations", app.label)
    run("migrate", app.label)
    name = f"{tables}MigItems"

    Item = app.models(item_model()).get_model("Item")
    ((code, message),) = drift_of(Item)
    assert code == "dynamodb.W005" and "ItemsByColour" in message and name in message

    by_name = 'GlobalIndex("ItemsByName", partition_key="name")'
    Item = app.models(item_model(indexes=f"{BY_COLOUR}, {by_name}")).get_model("Item")
    ((code, message),) = drift_of(Item)
    assert code == "dynamodb.W004" and "ItemsByName" in message

    keys_only = 'GlobalIndex("ItemsByColour", partition_key="colour", projection="KEYS_ONLY")'
    Item = app.models(item_model(indexes=keys_only)).get_model("Item")
    ((code, message),) = drift_of(Item)
    assert code == "dynamodb.W006" and "ItemsByColour" in message

    local = 'LocalIndex("ItemsByName", sort_key="name")'
    Item = app.models(item_model(indexes=f"{BY_COLOUR}, {local}")).get_model("Item")
    assert [code for code, _ in drift_of(Item)] == ["dynamodb.W003"]

    Item = app.models(item_model(indexes=BY_COLOUR)).get_model("Item")
    assert drift_of(Item) == []
    client.call("delete_table", TableName=name)
    client.get_client().get_waiter("table_not_exists").wait(
        TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50}
    )
    ((code, message),) = drift_of(Item)
    assert code == "dynamodb.W001" and name in message
    with pytest.raises(CommandError):
        run("createdynamotables", f"{app.label}.Item", "--check")


@pytest.mark.needs_ttl
def test_time_to_live_turned_on_outside_migrations_is_a_warning(app, tables):
    Item = app.models(item_model()).get_model("Item")
    run("makemigrations", app.label)
    run("migrate", app.label)
    client.call(
        "update_time_to_live",
        TableName=f"{tables}MigItems",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )
    ((code, message),) = drift_of(Item)
    assert code == "dynamodb.W007" and "'expires'" in message and "no ttl_field" in message


def test_an_engine_ignoring_a_new_index_is_an_error_not_a_wait(app, tables, faults):
    # Provisioned: dynalite refuses a new index without capacity, where AWS refuses one with.
    provisioned = "billing = Provisioned(read=1, write=1)"
    app.models(item_model(extra=provisioned))
    run("makemigrations", app.label)
    run("migrate", app.label)
    app.models(item_model(indexes=BY_COLOUR, extra=provisioned))
    run("makemigrations", app.label)
    if "gsi_updates" in selected_engine_class().capabilities:
        # Answer as dynalite does: the table as it was, without the new index.
        table = {"TableName": f"{tables}MigItems", "TableStatus": "ACTIVE"}
        faults.answer("UpdateTable", json_response(200, {"TableDescription": table}))
    with pytest.raises(CommandError) as failed:
        run("migrate", app.label)
    assert "did not create index 'ItemsByColour'" in str(failed.value)
    assert "#138" in str(failed.value)


def test_an_index_removal_refused_or_ignored_by_the_engine_fails_migrate_saying_so(
    app, tables, faults
):
    app.models(item_model(indexes=BY_COLOUR))
    run("makemigrations", app.label)
    run("migrate", app.label)
    app.models(item_model())
    run("makemigrations", app.label)
    refusal = error_response("ValidationException", message="Index is being backfilled")
    faults.answer("UpdateTable", refusal)
    with pytest.raises(CommandError) as refused:
        run("migrate", app.label)
    assert "refused to delete index 'ItemsByColour'" in str(refused.value)
    assert "being backfilled" in str(refused.value)
    # Answered, but the index is still there and ACTIVE: as dynalite answers.
    table = {"TableName": f"{tables}MigItems", "TableStatus": "ACTIVE"}
    faults.answer("UpdateTable", json_response(200, {"TableDescription": table}))
    with pytest.raises(CommandError) as ignored:
        run("migrate", app.label)
    assert "did not delete index 'ItemsByColour'" in str(ignored.value)
    live = client.call("describe_table", TableName=f"{tables}MigItems")["Table"]
    assert "ItemsByColour" in [index["IndexName"] for index in live["GlobalSecondaryIndexes"]]


COPY_FROM_DYNAMO = """
    def __from_dynamo__(self, data, projected=None):
        super().__from_dynamo__(data, projected)
        if not self.code:
            self.code = f"{self.made:06d}"
        return self
"""


def test_copy_table_interrupted_then_resumed_copies_every_item_once(app, tables, faults):
    Old = app.models(item_model()).get_model("Item")
    run("makemigrations", app.label)
    run("migrate", app.label)
    inserted = [Old(owner=f"o{n % 7}", made=n, name=f"item {n}") for n in range(5000)]
    Connector(Old).bulk_insert(inserted)
    old = {(i.owner, i.made): i for i in inserted}

    New = app.models(
        item_model(
            table="MigItemsByCode",
            sort="code",
            extra=COPY_FROM_DYNAMO,
            fields="code = models.CharField(max_length=10)",
        )
    ).get_model("Item")
    run("makemigrations", app.label)
    text = app.migration_text("0002")
    assert "CopyTable(" in text and "from_table=" in text
    # Two segments of 500-item pages (20 requests of 25 items each): fewer, larger pages.
    app.write_migration(
        app.migrations[1], text.replace("CopyTable(", "CopyTable(segments=2, page_size=500,")
    )

    writes = itertools.count()

    def interrupt(request):
        if next(writes) >= 100:  # half the copy: 200 requests of 25 items
            return error_response("InternalServerError", status=500)
        return None

    faults.rewrite("BatchWriteItem", interrupt)
    with pytest.raises(CommandError) as failed:
        run("migrate", app.label)
    assert "running migrate again carries on" in str(failed.value).lower()
    checkpoints = client.call("scan", TableName=segments.table_name())["Items"]
    done = sum(int(c["handled"]["N"]) for c in checkpoints)
    assert 0 < done < 5000
    faults.rewrite("BatchWriteItem", lambda request: None)
    faults.sent.clear()
    output = run("migrate", app.label)

    assert f"Copying into {tables}MigItemsByCode" in output
    # Exactly the items the checkpoints had not seen were copied again.
    requests = faults.requests("BatchWriteItem")
    assert sum(len(r["RequestItems"][f"{tables}MigItemsByCode"]) for r in requests) == 5000 - done
    copied = list(New.objects.scan().iterator(chunk_size=500))
    assert len(copied) == 5000
    for item in copied:
        before = old[item.owner, item.made]
        assert (item.pk, item.name, item.code) == (before.pk, before.name, f"{item.made:06d}")
    assert tableadmin.count_items(f"{tables}MigItems") == 5000  # the old table is left as it was


BACKFILL = """\
import dynamodb.migrations.operations
from django.db import migrations

from tests.system import migration_functions


class Migration(migrations.Migration):
    dependencies = [("{label}", "{previous}")]
    operations = [
        dynamodb.migrations.operations.RunDynamoPython(
            migration_functions.fill_slug, {reverse}, model="Item"
        )
    ]
"""
NOOP = "dynamodb.migrations.operations.RunDynamoPython.noop"


def write_backfill(app, name, previous, reverse="migration_functions.clear_slug"):
    app.write_migration(name, BACKFILL.format(label=app.label, previous=previous, reverse=reverse))


def test_a_backfill_writes_what_it_changed_and_never_overwrites_a_concurrent_write(app):
    versioned = 'version_field = "version"'
    Old = app.models(
        item_model(extra=versioned, fields="version = models.IntegerField(null=True)")
    ).get_model("Item")
    run("makemigrations", app.label)
    run("migrate", app.label)
    Connector(Old).bulk_insert([Old(owner="ada", made=n, name=f"Item {n}") for n in range(30)])
    Item = app.models(
        item_model(
            extra=versioned,
            fields="version = models.IntegerField(null=True)\n"
            "    slug = models.CharField(max_length=60, null=True)",
        )
    ).get_model("Item")
    assert "No changes detected" in run("makemigrations", app.label)  # not a table change
    write_backfill(app, "0002_backfill", "0001_initial")

    dry = run("migrate", app.label, dry_run=True)
    assert "Run fill_slug over every item of Item" in dry
    assert "would change 30 of 30 items" in dry
    assert all(item.slug is None for item in Item.objects.filter(owner="ada"))

    def rename(item):  # the application renames item 1 between the read and the write
        Item.objects.filter(owner="ada", made=1).update(name="Renamed")

    def set_slug(item):  # ... and gives item 2 a slug of its own
        Item.objects.filter(owner="ada", made=2).update(slug="mine")

    migration_functions.meanwhile.update({1: rename, 2: set_slug})
    output = run("migrate", app.label)
    assert "Running fill_slug over" in output
    items = {item.made: item for item in Item.objects.filter(owner="ada")}
    assert len(items) == 30
    assert (items[1].name, items[1].slug) == ("Renamed", "renamed")  # read again, done again
    assert items[2].slug == "mine"  # not overwritten
    assert all(items[n].slug == f"item-{n}" for n in range(3, 30))
    assert all(items[n].version == 2 for n in range(3, 30))  # the backfill moved the version on

    run("migrate", app.label, "0001")
    assert all(item.slug is None for item in Item.objects.filter(owner="ada"))


def slugged_items(app, made):
    """The app's Item with a slug, migrated, holding items ``made`` without one."""
    slug = "slug = models.CharField(max_length=60, null=True)"
    Item = app.models(item_model(fields=slug)).get_model("Item")
    run("makemigrations", app.label)
    run("migrate", app.label)
    add_items(Item, made)
    return Item


def add_items(Item, made):
    Connector(Item).bulk_insert([Item(owner="ada", made=n, name=f"Item {n}") for n in made])


def slugs(Item):
    return {item.made: item.slug for item in Item.objects.filter(owner="ada")}


def test_a_backfill_unapplied_by_noop_then_applied_again_fills_the_items_added_meanwhile(app):
    Item = slugged_items(app, range(10))
    write_backfill(app, "0002_backfill", "0001_initial", reverse=NOOP)
    run("migrate", app.label)
    run("migrate", app.label, "0001")
    assert slugs(Item) == {n: f"item-{n}" for n in range(10)}  # the noop left them
    add_items(Item, range(10, 20))

    run("migrate", app.label)

    assert slugs(Item) == {n: f"item-{n}" for n in range(20)}


def test_the_same_function_in_a_later_migration_runs_over_the_table_again(app):
    Item = slugged_items(app, range(10))
    write_backfill(app, "0002_backfill", "0001_initial", reverse=NOOP)
    run("migrate", app.label)
    add_items(Item, range(10, 20))
    write_backfill(app, "0003_backfill_again", "0002_backfill", reverse=NOOP)

    run("migrate", app.label)

    assert slugs(Item) == {n: f"item-{n}" for n in range(20)}


SLUG = "slug = models.SlugField(max_length=255, null=True, blank=True)"
BY_SLUG = 'GlobalIndex("ItemsBySlug", partition_key="slug")'


@pytest.mark.needs_gsi_updates
def test_the_readme_recipe_backfills_indexes_and_queries_a_new_attribute(app, tables, faults):
    """README's "a new attribute, backfilled, indexed, queried", step by step: each claim holds."""
    table = f"{tables}MigItems"
    Old = app.models(item_model()).get_model("Item")
    run("makemigrations", app.label)
    run("migrate", app.label)
    names = ["Dinner", "Lunch", "Dinner", "Lunch", "Dinner", "Lunch"]
    Connector(Old).bulk_insert(
        [Old(owner=("ada", "bob")[n // 3], made=n, name=name) for n, name in enumerate(names)]
    )

    # 1. The field is not a table change; new items get it when saved.
    Item = app.models(item_model(fields=SLUG)).get_model("Item")
    assert "No changes detected" in run("makemigrations", app.label)
    Item.objects.create(owner="cy", made=6, name="Dinner", slug="dinner")

    # 2. The backfill, in an empty migration: counted by --dry-run, then written.
    run("makemigrations", app.label, "--empty", "-n", "fill_slug")
    assert app.migrations == ["0001_initial", "0002_fill_slug"]
    write_backfill(app, "0002_fill_slug", "0001_initial", reverse=NOOP)
    assert "-- would change 6 of 7 items" in run("migrate", app.label, dry_run=True)
    assert sorted(i.made for i in Item.objects.scan() if i.slug is None) == [0, 1, 2, 3, 4, 5]
    run("migrate", app.label)
    filled = {n: name.lower() for n, name in enumerate([*names, "Dinner"])}
    assert {i.made: i.slug for i in Item.objects.scan()} == filled

    # 3. The index: makemigrations writes an AddGlobalIndex, migrate waits until it is ACTIVE.
    Item = app.models(item_model(indexes=BY_SLUG, fields=SLUG)).get_model("Item")
    run("makemigrations", app.label)
    assert app.migrations[-1] == "0003_item_itemsbyslug"
    assert "AddGlobalIndex(" in app.migration_text("0003")
    assert f"Index ItemsBySlug of {table} is ACTIVE" in run("migrate", app.label)

    # 4. The query: one Query of the index, across owners; the same for count().
    faults.sent.clear()
    assert sorted(i.made for i in Item.objects.filter(slug="dinner")) == [0, 2, 4, 6]
    assert Item.objects.filter(slug="dinner").count() == 4
    sent = [(s.operation, s.json().get("IndexName")) for s in faults.sent]
    assert sent == [("Query", "ItemsBySlug")] * 2

    # Back to the backfill's migration: the index is gone, the slugs stay; then the noop.
    run("migrate", app.label, "0002")
    assert set(global_indexes(table)) == {"id-index"}
    run("migrate", app.label, "0001")
    assert {i.made: i.slug for i in Item.objects.scan()} == filled


def test_a_table_changed_outside_migrations_is_synced_back(app, tables):
    Item = app.models(item_model()).get_model("Item")
    run("makemigrations", app.label)
    run("migrate", app.label)
    client.call(  # someone switches the table to provisioned capacity by hand
        "update_table",
        TableName=f"{tables}MigItems",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexUpdates=[
            {
                "Update": {
                    "IndexName": "id-index",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                }
            }
        ],
    )
    tableadmin.wait_until_settled(f"{tables}MigItems")
    label = f"{app.label}.Item"
    (warning,) = [
        w
        for w in checks.run_checks(tags=[checks.Tags.database], databases=["default"])
        if w.obj is Item
    ]
    assert warning.id == "dynamodb.W008"
    assert f"changed outside migrations: `manage.py createdynamotables --sync {label}`" in (
        warning.hint
    )
    with pytest.raises(CommandError):
        run("createdynamotables", label, "--check")
    assert f"Billing of {tables}MigItems: PAY_PER_REQUEST" in run(
        "createdynamotables", label, "--sync"
    )
    assert "match" in run("createdynamotables", label, "--check")


def test_createdynamotables_prints_the_tables_as_infrastructure_code(tables):
    template = json.loads(run("createdynamotables", "booking", "--format", "cloudformation"))
    assert template["Parameters"]["TablePrefix"]["Default"] == tables
    names = [r["Properties"]["TableName"]["Fn::Sub"] for r in template["Resources"].values()]
    assert names == [
        "${TablePrefix}BookingUserByDateAt",
        "${TablePrefix}DynamoIdCounters",
        "${TablePrefix}DynamoMigrationCheckpoints",
    ]
    terraform = json.loads(run("createdynamotables", "booking", "--format", "terraform"))
    assert len(terraform["resource"]["aws_dynamodb_table"]) == 3
    created = [n for n in client.call("list_tables")["TableNames"] if n.startswith(tables)]
    assert created == []
