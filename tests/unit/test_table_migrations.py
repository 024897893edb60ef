"""The pure logic of table migrations: specs, their comparison, requests, states, autodetection.

No engine: tests/unit/conftest.py points the client at a port where nothing
listens, so a request that slips out fails the test.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.migrations import CreateModel, DeleteModel, Migration, RenameModel
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.operations import AlterModelOptions
from django.db.migrations.optimizer import MigrationOptimizer
from django.db.migrations.questioner import MigrationQuestioner
from django.db.migrations.state import ModelState, ProjectState
from django.db.migrations.writer import MigrationWriter

from booking.models import Booking
from dynamodb.exceptions import InvalidMigration
from dynamodb.management.autodetector import DynamoAutodetector, refusing
from dynamodb.management.templates import cloudformation, terraform
from dynamodb.migrations import operations as ops
from dynamodb.migrations.operations.base import SPEC_OPTION, table_spec
from dynamodb.storage import rewrites, tablediff
from dynamodb.storage.schema import schema_for
from dynamodb.storage.tablespecs import (
    IndexSpec,
    TableSpec,
    add_index_request,
    billing_request,
    create_table_params,
    live_spec,
)
from tests.testapp.models import Device, EveryField, Note

ITEMS = TableSpec("Items", [("owner", "S"), ("made", "N")])
BY_COLOUR = IndexSpec("ByColour", [("colour", "S")])


def test_a_model_declares_its_table_as_dynamodb_holds_it():
    spec = schema_for(Booking).spec()
    assert spec.table_name == "BookingUserByDateAt"
    assert spec.key == (("user", "N"), ("date_at", "N"))
    assert spec.indexes == (
        IndexSpec("BookingUserByDateFor", [("user", "N"), ("date_for", "N")], local=True),
        IndexSpec("id-index", [("id", "N")], "KEYS_ONLY"),
    )
    assert (spec.ttl, spec.billing, spec.throughput) == (None, "PAY_PER_REQUEST", None)
    # A KEYS_ONLY declaration projects the primary key too: DynamoDB's INCLUDE.
    assert schema_for(EveryField).spec().index("EveryFieldByChar").projection == ("id",)
    assert schema_for(Device).spec().ttl == "expires"


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"key": []}, "one or two (attribute, type) pairs"),
        ({"key": [("a", "X")]}, "each type 'S', 'N' or 'B'"),
        ({"key": [("a", "S"), ("a", "N")]}, "names 'a' twice"),
        ({"table_name": "x"}, "Table name 'x'"),
        ({"billing": "PROVISIONED"}, "needs throughput=(read units, write units)"),
        ({"billing": "PROVISIONED", "throughput": (0, 1)}, "two positive integers"),
        ({"throughput": (1, 1)}, "takes no throughput"),
        ({"billing": "FREE"}, "must be one of"),
        ({"indexes": [BY_COLOUR, BY_COLOUR]}, "index name twice"),
        ({"indexes": [IndexSpec("Local", [("x", "S"), ("y", "N")], local=True)]}, "share"),
    ],
)
def test_a_malformed_table_in_a_migration_says_what_is_wrong(kwargs, expected):
    arguments = {"table_name": "Items", "key": [("owner", "S")], **kwargs}
    with pytest.raises(InvalidMigration, match=re.escape(expected)):
        TableSpec(**arguments)


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (("ByX", [("x", "S")], "SOME"), "projection"),
        (("ByX", [("x", "S")], []), "'ALL', 'KEYS_ONLY' or a list"),
        (("ByX", [("x", "S")], "ALL", True), "table's partition key and a sort key"),
        (("x", [("x", "S")]), "Index name 'x'"),
    ],
)
def test_a_malformed_index_says_what_is_wrong(arguments, expected):
    with pytest.raises(InvalidMigration, match=re.escape(expected)):
        IndexSpec(*arguments)


def test_compare_says_what_changes_in_the_order_it_can_be_applied():
    old = ITEMS.replace(indexes=(IndexSpec("Gone", [("g", "S")]), BY_COLOUR))
    new = ITEMS.replace(
        indexes=(
            IndexSpec("ByColour", [("colour", "N")]),
            IndexSpec("New", [("n", "S")]),
        ),
        ttl="expires",
        billing="PROVISIONED",
        throughput=(5, 5),
    )
    changes, refusals = tablediff.compare(old, new)
    assert refusals == []
    assert [change.kind for change in changes] == [
        tablediff.BILLING,
        tablediff.REMOVE_INDEX,
        tablediff.REPLACE_INDEX,
        tablediff.ADD_INDEX,
        tablediff.TTL,
    ]
    assert changes[0].new == ("PROVISIONED", (5, 5))
    assert tablediff.compare(new, new) == ([], [])
    assert tablediff.compare(None, new) == ([tablediff.Change(tablediff.CREATE, None, new)], [])
    assert tablediff.compare(old, None)[0][0].kind == tablediff.DELETE
    renamed = new.replace(table_name="Items2", key=[("made", "N")])
    assert tablediff.compare(old, renamed)[0] == [tablediff.Change(tablediff.COPY, old, renamed)]


@pytest.mark.parametrize(
    "key, indexes, expected",
    [
        (
            [("owner", "N"), ("made", "N")],
            (),
            "its partition key changes from owner (S) to owner (N)",
        ),
        ([("owner", "S")], (), "it loses its sort key made (N)"),
        ([("owner", "S"), ("name", "S")], (), "its sort key changes from made (N) to name (S)"),
        (
            [("owner", "S"), ("made", "N")],
            (IndexSpec("ByName", [("owner", "S"), ("name", "S")], local=True),),
            "local index 'ByName' is added",
        ),
    ],
)
def test_compare_refuses_what_dynamodb_cannot_change_in_place(key, indexes, expected):
    changes, refusals = tablediff.compare(ITEMS, ITEMS.replace(key=key, indexes=indexes))
    assert changes == [] and refusals == [expected]


def test_a_live_table_is_read_as_a_spec():
    key = [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "made", "KeyType": "RANGE"},
    ]
    table = {
        "KeySchema": key[::-1],  # in any order
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in [("owner", "S"), ("made", "N"), ("colour", "S"), ("name", "S")]
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "ByName",
                "KeySchema": [key[0], {"AttributeName": "name", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["b", "a"]},
            }
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "ByColour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "IndexStatus": "CREATING",
            },
            {
                "IndexName": "Going",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "IndexStatus": "DELETING",
            },
        ],
        "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 2},
    }
    ttl = {"TimeToLiveStatus": "ENABLING", "AttributeName": "expires"}
    assert live_spec(table, ttl, "Items") == ITEMS.replace(
        indexes=(
            IndexSpec("ByColour", [("colour", "S")], "KEYS_ONLY"),
            IndexSpec("ByName", [("owner", "S"), ("name", "S")], ("a", "b"), local=True),
        ),
        ttl="expires",
        billing="PROVISIONED",
        throughput=(4, 2),
    )
    on_demand = {**table, "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}
    assert live_spec(on_demand, {"TimeToLiveStatus": "DISABLED"}, "Items").billing == (
        "PAY_PER_REQUEST"
    )


def test_requests_are_built_as_dynamodb_takes_them():
    provisioned = ITEMS.replace(indexes=(BY_COLOUR,), billing="PROVISIONED", throughput=(3, 4))
    capacity = {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}
    params = create_table_params(provisioned, "p_Items")
    assert params["ProvisionedThroughput"] == capacity
    assert params["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] == capacity
    assert params["AttributeDefinitions"] == [
        {"AttributeName": "owner", "AttributeType": "S"},
        {"AttributeName": "made", "AttributeType": "N"},
        {"AttributeName": "colour", "AttributeType": "S"},
    ]
    on_demand = create_table_params(ITEMS.replace(indexes=(BY_COLOUR,)), "p_Items")
    assert "ProvisionedThroughput" not in on_demand["GlobalSecondaryIndexes"][0]

    added = add_index_request(ITEMS.with_index(BY_COLOUR), "p_Items", BY_COLOUR)
    assert added.operation == "update_table"
    assert {"AttributeName": "colour", "AttributeType": "S"} in added.params["AttributeDefinitions"]
    assert added.params["GlobalSecondaryIndexUpdates"] == [
        {
            "Create": {
                "IndexName": "ByColour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        }
    ]
    # Switching to provisioned capacity gives every global index its capacity too.
    switched = billing_request(provisioned, "p_Items").params
    assert switched["BillingMode"] == "PROVISIONED"
    assert switched["GlobalSecondaryIndexUpdates"] == [
        {"Update": {"IndexName": "ByColour", "ProvisionedThroughput": capacity}}
    ]
    assert billing_request(ITEMS, "p_Items").params == {
        "TableName": "p_Items",
        "BillingMode": "PAY_PER_REQUEST",
    }


def model_state(name="Item", spec=None, app_label="shop"):
    options = {"managed": False}
    if spec is not None:
        options[SPEC_OPTION] = spec
    return ModelState(app_label, name, [("id", models.AutoField(primary_key=True))], options)


def state_after(*operations, app_label="shop"):
    state = ProjectState()
    for operation in operations:
        operation.state_forwards(app_label, state)
    return state


CREATE_ITEM = CreateModel(
    "Item", [("id", models.AutoField(primary_key=True))], options={"managed": False}
)


def test_the_table_rides_in_the_migration_state_through_render_clone_and_rename():
    state = state_after(
        CREATE_ITEM,
        ops.CreateTable("Item", "Items", [("owner", "S"), ("made", "N")]),
        ops.AddGlobalIndex("Item", BY_COLOUR),
        AlterModelOptions("Item", {"verbose_name": "thing"}),
    )
    expected = ITEMS.with_index(BY_COLOUR)
    assert table_spec(state, "shop", "Item") == expected
    # Rendering drops Meta attributes starting with "_": the historical model is Django's own.
    rendered = state.apps.get_model("shop", "Item")
    assert rendered._meta.verbose_name == "thing" and not hasattr(rendered._meta, SPEC_OPTION)
    assert table_spec(state.clone(), "shop", "Item") == expected
    RenameModel("Item", "Thing").state_forwards("shop", state)
    assert table_spec(state, "shop", "Thing") == expected
    ops.DeleteTable("Thing").state_forwards("shop", state)
    assert table_spec(state, "shop", "Thing") is None


def test_squashing_keeps_the_table_operations_and_their_state():
    operations = [
        CREATE_ITEM,
        ops.CreateTable("Item", "Items", [("owner", "S"), ("made", "N")]),
        ops.AddGlobalIndex("Item", BY_COLOUR),
        ops.AlterTimeToLive("Item", "expires"),
        ops.DeleteTable("Item"),
        DeleteModel("Item"),
    ]
    optimized = MigrationOptimizer().optimize(operations[:4], "shop")
    assert optimized == operations[:4]
    assert table_spec(state_after(*optimized), "shop", "Item") == table_spec(
        state_after(*operations[:4]), "shop", "Item"
    )
    # A table created then deleted is still created then deleted: its items matter.
    assert len(MigrationOptimizer().optimize(operations, "shop")) == len(operations)


def test_migration_files_write_and_read_back_every_operation():
    index = IndexSpec("Pick", [("made", "N")], ("name", "colour"))
    migration = Migration("0002_x", "shop")
    migration.operations = [
        ops.CreateTable(
            "Item", "Items", [("owner", "S")], [index], "expires", "PROVISIONED", (1, 2)
        ),
        ops.CopyTable("Item", "Old", "Items", [("owner", "S")], segments=8),
        ops.AddGlobalIndex("Item", index=BY_COLOUR),
        ops.RemoveGlobalIndex("Item", index=BY_COLOUR),
        ops.ReplaceGlobalIndex("Item", old=BY_COLOUR, new=IndexSpec("ByColour", [("c", "B")])),
        ops.AlterTimeToLive("Item", attribute=None),
        ops.AlterBillingMode("Item", billing="PROVISIONED", throughput=(1, 1)),
        ops.DeleteTable(table_name="Old"),
    ]
    text = MigrationWriter(migration).as_string()
    assert "import dynamodb.migrations.operations" in text
    assert "dynamodb.migrations.operations.Index('Pick'" in text
    namespace = {}
    exec(compile(text, "0002_x.py", "exec"), namespace)
    read = namespace["Migration"]("0002_x", "shop")
    assert MigrationWriter(read).as_string() == text
    assert read.operations[0].spec == migration.operations[0].spec


@pytest.mark.parametrize(
    "make, expected",
    [
        (
            lambda: ops.AddGlobalIndex(
                "Item", IndexSpec("Local", [("a", "S"), ("b", "S")], local=True)
            ),
            "local",
        ),
        (lambda: ops.DeleteTable("Item", table_name="Items"), "one of them"),
        (lambda: ops.DeleteTable(), "one of them"),
        (
            lambda: ops.ReplaceGlobalIndex("Item", BY_COLOUR, IndexSpec("Other", [("o", "S")])),
            "same name",
        ),
        (lambda: ops.AlterBillingMode("Item", "PROVISIONED"), "needs throughput"),
        (lambda: ops.RunDynamoPython("not a function", model="Item"), "takes functions"),
        (lambda: ops.CopyTable("Item", "x", "Items", [("a", "S")]), "Table name 'x'"),
    ],
)
def test_a_malformed_operation_says_what_is_wrong(make, expected):
    with pytest.raises(InvalidMigration, match=re.escape(expected)):
        make()


def test_operations_that_do_not_fit_the_state_say_so():
    with pytest.raises(InvalidMigration, match="its CreateTable comes first"):
        state_after(CREATE_ITEM, ops.AddGlobalIndex("Item", BY_COLOUR))
    with pytest.raises(InvalidMigration, match="after the CreateModel"):
        state_after(ops.CreateTable("Item", "Items", [("a", "S")]))
    with pytest.raises(InvalidMigration, match="is the table of shop.Item"):
        state_after(
            CREATE_ITEM,
            ops.CreateTable("Item", "Items", [("a", "S")]),
            ops.DeleteTable(table_name="Items"),
        )


def detect(old_states, new_states, refuse=False):
    """The autodetector's changes from the old model states to the new."""
    before, after = ProjectState(), ProjectState()
    for state in old_states:
        before.add_model(state)
    for state in new_states:
        after.add_model(state)
    token = refusing.set(refuse)
    try:
        questioner = MigrationQuestioner(defaults={"ask_initial": True})
        return DynamoAutodetector(before, after, questioner).changes(graph=MigrationGraph())
    finally:
        refusing.reset(token)


def changes(old_states, new_states, refuse=False):
    found = detect(old_states, new_states, refuse)
    return [op for migration in found.get("shop", []) for op in migration.operations]


def test_the_autodetector_writes_table_operations_next_to_djangos():
    created = changes([], [model_state(spec=ITEMS)])
    assert [type(op).__name__ for op in created] == ["CreateModel", "CreateTable"]
    assert SPEC_OPTION not in created[0].options
    assert created[1].spec == ITEMS

    adopted = changes([model_state()], [model_state(spec=ITEMS)])
    assert [type(op).__name__ for op in adopted] == ["CreateTable"]

    new = ITEMS.replace(indexes=(BY_COLOUR,), ttl="expires")
    altered = changes([model_state(spec=ITEMS)], [model_state(spec=new)])
    assert [type(op).__name__ for op in altered] == ["AddGlobalIndex", "AlterTimeToLive"]
    assert altered[0].index == BY_COLOUR and altered[1].attribute == "expires"

    assert changes([model_state(spec=new)], [model_state(spec=new)]) == []

    copied = changes(
        [model_state(spec=ITEMS)], [model_state(spec=new.replace(table_name="Items2"))]
    )
    assert [type(op).__name__ for op in copied] == ["CopyTable"]
    assert copied[0].from_table == "Items"


def test_a_deleted_model_loses_its_table_unless_another_model_keeps_it():
    deleted = changes([model_state(spec=ITEMS)], [])
    assert [type(op).__name__ for op in deleted] == ["DeleteTable", "DeleteModel"]
    # Renamed (Django sees a deletion and a creation): the table is kept and adopted.
    moved = changes([model_state(spec=ITEMS)], [model_state("Thing", spec=ITEMS)])
    assert sorted(type(op).__name__ for op in moved) == [
        "CreateModel",
        "CreateTable",
        "DeleteModel",
    ]


def test_a_key_change_is_refused_by_makemigrations_and_noticed_by_migrate():
    def old():
        return [model_state(spec=ITEMS)]

    def new():
        return [model_state(spec=ITEMS.replace(key=[("owner", "S")]))]

    with pytest.raises(CommandError) as refused:
        changes(old(), new(), refuse=True)
    message = str(refused.value)
    assert "shop.Item: it loses its sort key made (N)" in message
    assert "new table_name" in message and "CopyTable" in message
    assert "DeleteTable(table_name='Items')" in message
    # migrate's notice: no operation, yet a change of the app.
    assert detect(old(), new(), refuse=False) == {"shop": []}


def test_infrastructure_templates_declare_every_table():
    spec = ITEMS.replace(
        indexes=(
            BY_COLOUR,
            IndexSpec("ByName", [("owner", "S"), ("name", "S")], "KEYS_ONLY", True),
        ),
        ttl="expires",
        billing="PROVISIONED",
        throughput=(2, 3),
    )
    template = cloudformation([spec], "prod_")
    assert template["Parameters"]["TablePrefix"]["Default"] == "prod_"
    (resource,) = template["Resources"].values()
    assert resource["DeletionPolicy"] == "Retain"
    properties = resource["Properties"]
    assert properties["TableName"] == {"Fn::Sub": "${TablePrefix}Items"}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert properties["GlobalSecondaryIndexes"][0]["IndexName"] == "ByColour"
    assert properties["LocalSecondaryIndexes"][0]["IndexName"] == "ByName"

    (table,) = terraform([spec], "prod_")["resource"]["aws_dynamodb_table"].values()
    assert table["name"] == "${var.table_prefix}Items"
    assert (table["hash_key"], table["range_key"]) == ("owner", "made")
    assert (table["read_capacity"], table["write_capacity"]) == (2, 3)
    assert table["global_secondary_index"] == [
        {
            "name": "ByColour",
            "hash_key": "colour",
            "projection_type": "ALL",
            "read_capacity": 2,
            "write_capacity": 3,
        }
    ]
    assert table["local_secondary_index"] == [
        {"name": "ByName", "range_key": "name", "projection_type": "KEYS_ONLY"}
    ]
    assert table["ttl"] == {"attribute_name": "expires", "enabled": True}


@pytest.mark.django_db
def test_the_committed_migrations_are_up_to_date():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses an atomic block
def test_sqlmigrate_and_plan_print_requests_without_an_engine(settings):
    settings.DYNAMODB_TABLE_PREFIX = "p_"
    out = io.StringIO()
    call_command("sqlmigrate", "booking", "0002", stdout=out)
    assert "-- DynamoDB CreateTable" in out.getvalue()
    assert '"TableName": "p_BookingUserByDateAt"' in out.getvalue()
    out = io.StringIO()
    call_command("migrate", "booking", "0001", plan=True, stdout=out)
    plan = out.getvalue()
    assert "Undo Create DynamoDB table BookingUserByDateAt of Booking" in plan
    assert "deleted only when empty" in plan and "-- DynamoDB DeleteTable" in plan


def resolved(expression, params):
    """An expression with its name and value placeholders replaced, for reading."""
    for placeholder, name in params.get("ExpressionAttributeNames", {}).items():
        expression = re.sub(f"{placeholder}\\b", name, expression)
    for placeholder, value in params.get("ExpressionAttributeValues", {}).items():
        expression = re.sub(f"{placeholder}\\b", repr(next(iter(value.values()))), expression)
    return expression


def test_a_backfill_writes_only_what_it_changed_on_condition_of_what_it_read():
    raw = {"board": {"S": "b"}, "title": {"S": "t"}, "id": {"N": "7"}, "body": {"S": "old"}}
    after = {"board": "b", "title": "t", "id": 7, "body": "new", "stars": 3}
    request = rewrites._update(schema_for(Note), raw, after, ["body", "stars"])
    params = request.params
    assert params["Key"] == {"board": {"S": "b"}, "title": {"S": "t"}}
    assert resolved(params["UpdateExpression"], params) == "SET body = 'new', stars = '3'"
    # Unversioned: each changed attribute must still hold what the function read.
    assert resolved(params["ConditionExpression"], params) == (
        "((attribute_exists(board) AND body = 'old') AND attribute_not_exists(stars))"
    )

    raw = {"user": {"N": "1"}, "date_at": {"N": "5"}, "version": {"N": "4"}}
    after = {"user": 1, "date_at": 5, "version": 4, "name": "x"}
    params = rewrites._update(schema_for(Booking), raw, after, ["name"]).params
    # Versioned: the version read, moved on by the write.
    assert resolved(params["UpdateExpression"], params) == "SET name = 'x', version = '5'"
    assert resolved(params["ConditionExpression"], params) == (
        "(attribute_exists(user) AND version = '4')"
    )
