"""List filters of a DynamoViewset, read from query parameters with Django lookup names.

    ?date_at__gte=2026-01-01T00:00:00Z&date_at__lt=2026-02-01T00:00:00Z&ordering=-date_at

A DRF filter backend over the viewset's DynamoQuerySet. Sort-key conditions
(on the table's sort key or a local index's) become the Query's key
condition; filters on other fields, allowed only where the view declares
them in ``filter_fields``, become a FilterExpression; ``ordering`` orders by
a sort key. A listing without a partition (permitted users, shared models) is an
explicit ``.scan()``. Wrong parameters are a 400 naming the parameter, never
silently ignored.

It stays a hand-written backend rather than a django-filter FilterSet: the
parameters it accepts follow the table's keys (which sort keys, which bounds
combine into one key condition, which lookups a string key takes) and the
OpenAPI schema documents exactly those. django-filter's DjangoFilterBackend
works on a DynamoViewset too, for filters on other fields.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import ValidationError

from .. import constants
from ..exceptions import ValidationError as DynamoValidationError
from ..query.bounds import key_step
from ..storage.codecs import CODECS
from ..storage.expressions import FILTER_LOOKUPS, KEY_LOOKUPS, split_lookup

ORDERING_PARAM = "ordering"
LOWER_BOUNDS = ("gt", "gte")
UPPER_BOUNDS = ("lt", "lte")
NOTHING_BEYOND = "No value of this field lies beyond this bound."
BOUNDS_MESSAGE = (
    "A sort key takes one condition, or one lower bound (gt, gte) and one upper bound (lt, lte)."
)


class DynamoFilterBackend:
    """Filters the viewset's QuerySet from the request; documents its parameters (OpenAPI)."""

    def filter_queryset(self, request, queryset, view):
        schema = queryset.query.schema
        partition = view.get_partition()
        conditions, index, filters = self.conditions(request, view, schema)
        ordering = self.ordering(request, partition, conditions, index, schema)
        if partition is None:
            # No partition to query (permitted users, shared models): the whole table, on purpose.
            queryset = queryset.scan()
        else:
            if not view.is_confined():
                queryset = queryset.filter(**{schema.table.partition.name: partition})
            if ordering is None and index is not None:
                ordering = schema.index(index).sort.name
            if ordering is not None:
                queryset = queryset.order_by(ordering)
        return queryset.filter(**dict(conditions + filters))

    def conditions(self, request, view, schema):
        """(sort-key lookups, the index they are on, other fields' lookups) of the request."""
        sort_keys = self.sort_keys(schema)
        conditions, index, filters = [], None, []
        filter_fields = view.get_filter_fields()
        for parameter, raw in request.query_params.items():
            name, lookup = split_lookup(parameter)
            converter = schema.by_name.get(name)
            if converter is None or parameter == ORDERING_PARAM:
                continue
            if name in sort_keys:
                if lookup not in KEY_LOOKUPS:
                    raise ValidationError(
                        {parameter: [f"Unknown lookup; use {sorted(KEY_LOOKUPS)}."]}
                    )
                if conditions and index != sort_keys[name]:
                    raise ValidationError(
                        {parameter: ["Conditions on two different sort keys cannot be combined."]}
                    )
                index = sort_keys[name]
                conditions.append((parameter, self.value(converter, lookup, raw, parameter)))
            elif name in filter_fields:
                if lookup not in filter_fields[name]:
                    raise ValidationError(
                        {parameter: [f"Allowed lookups on {name}: {sorted(filter_fields[name])}."]}
                    )
                filters.append((parameter, self.value(converter, lookup, raw, parameter)))
            elif name != schema.table.partition.name:
                raise ValidationError({parameter: [f"Filtering on {name} is not allowed."]})
        if len(conditions) > 1:
            name = split_lookup(conditions[0][0])[0]
            conditions = self.combine_bounds(conditions, schema.by_name[name])
        return conditions, index, filters

    @staticmethod
    def combine_bounds(conditions, converter):
        """A lower and an upper bound as one range: DynamoDB takes one condition per key.

        An exclusive bound becomes inclusive by the field's smallest step (a
        microsecond, a day, 1, the decimal places); fields without one take gte/lte.
        """
        bounds = {}
        for parameter, value in conditions:
            lookup = split_lookup(parameter)[1]
            side = LOWER_BOUNDS if lookup in LOWER_BOUNDS else UPPER_BOUNDS
            if len(conditions) > 2 or lookup not in side or side in bounds:
                raise ValidationError({parameter: [BOUNDS_MESSAGE]})
            bounds[side] = [parameter, lookup, value]
        for side, exclusive, sign in ((LOWER_BOUNDS, "gt", 1), (UPPER_BOUNDS, "lt", -1)):
            parameter, lookup, value = bounds[side]
            if lookup == exclusive:
                step = key_step(converter.field, value)
                if step is None:
                    raise ValidationError(
                        {parameter: [f"Combine {converter.name}__gte with {converter.name}__lte."]}
                    )
                try:
                    bounds[side][2] = value + sign * step
                except OverflowError:
                    # gt the largest datetime (or lt the smallest): nothing lies beyond it.
                    raise ValidationError({parameter: [NOTHING_BEYOND]}) from None
        low, high = bounds[LOWER_BOUNDS][2], bounds[UPPER_BOUNDS][2]
        if converter.to_dynamo(low) > converter.to_dynamo(high):
            raise ValidationError(
                {bounds[UPPER_BOUNDS][0]: ["The upper bound is below the lower bound."]}
            )
        return [(f"{converter.name}__range", [low, high])]

    @staticmethod
    def sort_keys(schema):
        """Sort-key field names usable in a partition query, mapped to their index (None: table)."""
        keys = {}
        if schema.table.sort is not None:
            keys[schema.table.sort.name] = None
        for index in schema.local_indexes:
            keys[index.sort.name] = index.name
        return keys

    @staticmethod
    def value(converter, lookup, raw, parameter):
        if lookup == "range":
            parts = raw.split(",")
            if len(parts) != 2:
                raise ValidationError({parameter: ["A range takes two values: low,high."]})
            low, high = (
                DynamoFilterBackend.value(converter, "exact", part, parameter) for part in parts
            )
            if converter.to_dynamo(low) > converter.to_dynamo(high):
                raise ValidationError({parameter: ["The upper bound is below the lower bound."]})
            return [low, high]
        if lookup == "in":
            return [
                DynamoFilterBackend.value(converter, "exact", part, parameter)
                for part in raw.split(",")
            ]
        if lookup == "isnull":
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValidationError({parameter: ["Use true or false."]})
            return raw.lower() in ("true", "1")
        if lookup in ("startswith", "contains"):
            if converter.dynamo_type != constants.STRING:
                raise ValidationError({parameter: [f"{lookup} needs a field stored as a string."]})
            return raw
        try:
            converter.to_dynamo(raw)
            return converter.python_value(raw)
        except DynamoValidationError as error:
            raise ValidationError({parameter: error.messages}) from error

    def ordering(self, request, partition, conditions, index, schema):
        """The ``ordering`` parameter, checked: a sort key of the listed partition, or None."""
        ordering = request.query_params.get(ORDERING_PARAM)
        if not ordering:
            return None
        sort_keys = self.sort_keys(schema)
        if partition is None:
            raise ValidationError(
                {ORDERING_PARAM: ["Only one partition can be ordered: name its partition key."]}
            )
        name = ordering.removeprefix("-")
        if name not in sort_keys:
            raise ValidationError(
                {
                    ORDERING_PARAM: [
                        f"Order by one of {sorted(sort_keys)}, optionally prefixed by -."
                    ]
                }
            )
        if conditions and sort_keys[name] != index:
            raise ValidationError({ORDERING_PARAM: ["Order by the sort key you filter on."]})
        return ordering

    def get_schema_operation_parameters(self, view):
        """OpenAPI parameters of the list action (read by drf-spectacular)."""
        try:
            schema = view.get_connector().schema
        except ImproperlyConfigured:
            return []
        sort_keys = self.sort_keys(schema)
        parameters = []
        for name in sort_keys:
            field = schema.by_name[name].field
            for lookup in KEY_LOOKUPS:
                if lookup == "startswith" and schema.by_name[name].dynamo_type != constants.STRING:
                    continue
                parameters.append(
                    self.parameter(
                        f"{name}__{lookup}",
                        f"Sort-key condition ({lookup}).",
                        parameter_schema(field, lookup),
                    )
                )
        for name, lookups in view.get_filter_fields().items():
            field = schema.by_name[name].field
            for lookup in lookups:
                parameters.append(
                    self.parameter(
                        f"{name}__{lookup}" if lookup != "exact" else name,
                        f"Filter ({lookup}).",
                        parameter_schema(field, lookup),
                    )
                )
        parameters.append(
            self.parameter(
                ORDERING_PARAM,
                "Order by a sort key: " + ", ".join(f"{k} or -{k}" for k in sort_keys) + ".",
                {"type": "string", "enum": [f"{sign}{k}" for k in sort_keys for sign in ("", "-")]},
            )
        )
        partition = schema.table.partition
        if view.get_owner_field() is not None:
            description = "Staff only: list this owner's partition (default: the whole table)."
        else:
            description = "List only this partition (default: the whole table)."
        parameters.append(
            self.parameter(partition.name, description, parameter_schema(partition.field, "exact"))
        )
        return parameters

    @staticmethod
    def parameter(name, description, schema):
        parameter = {
            "name": name,
            "required": False,
            "in": "query",
            "description": description,
            "schema": schema,
        }
        if schema.get("type") == "array":
            # Comma-separated: ?date_at__range=2026-01-01T00:00:00Z,2026-02-01T00:00:00Z
            parameter.update(style="form", explode=False)
        return parameter


def parameter_schema(model_field, lookup):
    """The OpenAPI schema of a lookup's query parameter on a model field."""
    if lookup == "isnull":
        return {"type": "boolean"}
    if lookup in ("startswith", "contains"):
        return {"type": "string"}
    while model_field.is_relation:
        model_field = model_field.target_field
    codec = CODECS.get(model_field.get_internal_type())
    value = dict(codec.openapi if codec is not None else {"type": "string"})
    if lookup == "range":
        return {"type": "array", "items": value, "minItems": 2, "maxItems": 2}
    if lookup == "in":
        return {"type": "array", "items": value, "minItems": 1}
    return value


def normalise_filter_fields(declared):
    """``["name"]`` or ``{"name": ["exact", "startswith"]}`` -> {name: set of lookups}."""
    if isinstance(declared, dict):
        result = {name: set(lookups) for name, lookups in declared.items()}
    else:
        result = {name: {"exact"} for name in declared}
    for name, lookups in result.items():
        unknown = lookups - set(FILTER_LOOKUPS)
        if unknown:
            raise ValueError(f"filter_fields[{name!r}] has unknown lookups {sorted(unknown)}.")
    return result
