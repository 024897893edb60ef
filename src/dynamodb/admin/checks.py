"""System checks of a DynamoModelAdmin (ids ``dynamodb.admin.E001``...), run at startup.

Django's own ModelAdmin checks run first; these refuse, before any request,
what would otherwise fail or scan on every changelist: filters and searches
no index serves, an order DynamoDB cannot give, and the admin options that
need SQL (bulk editing, date drill-down, facet counts).
"""

from django.contrib.admin import ShowFacets
from django.contrib.admin.checks import ModelAdminChecks
from django.core import checks
from django.db import models

from ..storage.declarations import declaration_errors
from ..storage.schema import is_dynamo_model, schema_for


def filterable_fields(schema):
    """Names of the fields an index serves a filter on: partition and sort keys of every index.

    A partition key's value is a Query of its partition; a sort key's
    condition is that Query's key condition (in a Scan, a filter of a read
    that reads every item anyway).
    """
    return {
        converter.name
        for index in (schema.table, *schema.indexes.values())
        for converter in (index.partition, index.sort)
        if converter is not None
    }


def has_known_choices(field):
    """Whether Django's default list filter of ``field`` lists choices known without a read.

    Choices, booleans and dates are listed as such; a ForeignKey to an SQL
    model lists its rows. Any other field's filter (AllValuesFieldListFilter,
    or a ForeignKey to a DynamoDB model) would read every value of a table.
    """
    if field.choices or isinstance(field, models.BooleanField | models.DateField):
        return True
    return field.is_relation and not is_dynamo_model(field.related_model)


def searchable_fields(schema):
    """Names a search may look up by equality: the id and every partition key (or attname)."""
    keys = {schema.pk, *(index.partition for index in (schema.table, *schema.indexes.values()))}
    return {"pk"} | {name for name, converter in schema.by_name.items() if converter in keys}


def sort_fields(schema):
    """Names the changelist may order by: the sort keys of the table and its local indexes."""
    return {index.sort.name for index in (schema.table, *schema.local_indexes) if index.sort}


class DynamoModelAdminChecks(ModelAdminChecks):
    """Django's ModelAdmin checks, plus what a DynamoDB table can serve."""

    def check(self, admin_obj, **kwargs):
        errors = super().check(admin_obj, **kwargs)
        model = admin_obj.model
        if not is_dynamo_model(model):
            return [
                *errors,
                checks.Error(
                    f"DynamoModelAdmin serves DynamoCompatibleModel models; "
                    f"{model._meta.label} is not one.",
                    hint="Register it with django.contrib.admin.ModelAdmin.",
                    obj=admin_obj.__class__,
                    id="dynamodb.admin.E001",
                ),
            ]
        if declaration_errors(model):
            return errors  # the model's own checks (dynamodb.E0xx) say what to fix first
        schema = schema_for(model)
        return [
            *errors,
            *self._check_dynamo_list_filter(admin_obj, schema),
            *self._check_dynamo_search_fields(admin_obj, schema),
            *self._check_dynamo_ordering(admin_obj, schema),
            *self._check_refused(admin_obj),
        ]

    def _check_dynamo_list_filter(self, obj, schema):
        served = filterable_fields(schema)
        errors = []
        for position, item in enumerate(obj.list_filter):
            if callable(item):
                continue  # a SimpleListFilter: its own queryset() decides what it reads
            name = item[0] if isinstance(item, list | tuple) else item
            if not isinstance(name, str):
                continue
            if name not in served:
                errors.append(
                    checks.Error(
                        f"list_filter[{position}] is {name!r}, which no index of "
                        f"{schema.label} serves: every changelist page would read the whole "
                        "table to filter it.",
                        hint=f"Filter on a key of the table or of an index: {sorted(served)}; "
                        "or add an index on it (secondary_indexes), or use a SimpleListFilter.",
                        obj=obj.__class__,
                        id="dynamodb.admin.E002",
                    )
                )
            elif isinstance(item, str) and not has_known_choices(schema.by_name[name].field):
                errors.append(
                    checks.Error(
                        f"list_filter[{position}] is {name!r}, whose default filter lists the "
                        "distinct values of the whole table (a Scan on every changelist page).",
                        hint=f"Give {name} choices, or name its filter class: "
                        f"({name!r}, SomeFieldListFilter), or use a SimpleListFilter.",
                        obj=obj.__class__,
                        id="dynamodb.admin.E008",
                    )
                )
        return errors

    def _check_dynamo_search_fields(self, obj, schema):
        allowed = searchable_fields(schema)
        errors = []
        for position, item in enumerate(obj.search_fields):
            name = item.removeprefix("=") if isinstance(item, str) else item
            if name in allowed:
                continue
            errors.append(
                checks.Error(
                    f"search_fields[{position}] is {item!r}: a DynamoDB table is searched by "
                    "exact key only.",
                    hint=f"Use the id or a partition key: {sorted(allowed)} (no ^, @ or "
                    "lookups).",
                    obj=obj.__class__,
                    id="dynamodb.admin.E003",
                )
            )
        return errors

    def _check_dynamo_ordering(self, obj, schema):
        allowed = sort_fields(schema)
        ordering = obj.ordering or ()
        names = [item for item in ordering if isinstance(item, str)]
        if len(names) == len(ordering) <= 1 and all(n.removeprefix("-") in allowed for n in names):
            return []
        return [
            checks.Error(
                f"ordering is {list(ordering)!r}: DynamoDB returns a partition's items in the "
                "order of one sort key.",
                hint=f"Order by one of {sorted(allowed)}, optionally prefixed by '-'.",
                obj=obj.__class__,
                id="dynamodb.admin.E004",
            )
        ]

    def _check_refused(self, obj):
        refused = []
        if obj.list_editable:
            refused.append(
                (
                    "list_editable",
                    "a bulk edit would write items without the version each one was read at; "
                    "edit them one by one",
                    "dynamodb.admin.E005",
                )
            )
        if obj.date_hierarchy:
            refused.append(
                (
                    "date_hierarchy",
                    "its drill-down needs the distinct dates of the whole table; filter on the "
                    "sort key with list_filter instead",
                    "dynamodb.admin.E006",
                )
            )
        if obj.show_facets is ShowFacets.ALWAYS:
            refused.append(
                (
                    "show_facets",
                    "facet counts need a count of the whole table per choice, on every page",
                    "dynamodb.admin.E007",
                )
            )
        return [
            checks.Error(
                f"{option} is not supported on a DynamoDB model: {why}.",
                obj=obj.__class__,
                id=check_id,
            )
            for option, why, check_id in refused
        ]
