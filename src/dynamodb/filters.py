"""List filters of a DynamoViewset, read from query parameters with Django lookup names.

    ?date_at__gte=2026-01-01T00:00:00Z&date_at__lt=2026-02-01T00:00:00Z&ordering=-date_at

Sort-key conditions (on the table's sort key or a local index's) become the
Query's key condition; filters on other fields, allowed only where the view
declares them in ``filter_fields``, become a FilterExpression. Wrong
parameters are a 400 naming the parameter, never silently ignored.
"""

from dataclasses import dataclass, field

from rest_framework.exceptions import ValidationError

from .exceptions import ValidationError as DynamoValidationError
from .lookups import FILTER_LOOKUPS, KEY_LOOKUPS, split_lookup

ORDERING_PARAM = "ordering"


@dataclass
class Listing:
    """What a list request asks for: one partition (or all), conditions, order."""

    partition: object = None  # the partition key's value; None lists the whole table
    conditions: list = field(default_factory=list)  # sort-key lookups
    index: str | None = None
    filters: list = field(default_factory=list)  # other fields' lookups
    descending: bool = False

    def fingerprint(self):
        """What a cursor must have been issued for (it is signed with it)."""
        return repr((self.partition, self.conditions, self.index, self.filters, self.descending))


class DynamoFilterBackend:
    """Reads a Listing from the request; documents its parameters in the OpenAPI schema."""

    def listing(self, request, view, partition):
        schema = view.get_connector().schema
        sort_keys = self.sort_keys(schema)
        listing = Listing(partition=partition)
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
                index = sort_keys[name]
                if listing.conditions and listing.index != index:
                    raise ValidationError(
                        {parameter: ["Conditions on two different sort keys cannot be combined."]}
                    )
                listing.index = index
                listing.conditions.append(
                    (parameter, self.value(converter, lookup, raw, parameter))
                )
            elif name in filter_fields:
                if lookup not in filter_fields[name]:
                    raise ValidationError(
                        {parameter: [f"Allowed lookups on {name}: {sorted(filter_fields[name])}."]}
                    )
                listing.filters.append((parameter, self.value(converter, lookup, raw, parameter)))
            elif name != schema.table.partition.name:
                raise ValidationError({parameter: [f"Filtering on {name} is not allowed."]})
        self.apply_ordering(request, listing, sort_keys)
        return listing

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
            return [
                DynamoFilterBackend.value(converter, "exact", part, parameter) for part in parts
            ]
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
            return raw
        try:
            converter.to_dynamo(raw)
            return converter.python_value(raw)
        except DynamoValidationError as error:
            raise ValidationError({parameter: error.messages}) from error

    @staticmethod
    def apply_ordering(request, listing, sort_keys):
        ordering = request.query_params.get(ORDERING_PARAM)
        if not ordering:
            return
        name = ordering.removeprefix("-")
        if name not in sort_keys:
            raise ValidationError(
                {
                    ORDERING_PARAM: [
                        f"Order by one of {sorted(sort_keys)}, optionally prefixed by -."
                    ]
                }
            )
        if listing.conditions and sort_keys[name] != listing.index:
            raise ValidationError({ORDERING_PARAM: ["Order by the sort key you filter on."]})
        listing.index = sort_keys[name]
        listing.descending = ordering.startswith("-")

    def get_schema_operation_parameters(self, view):
        """OpenAPI parameters of the list action (read by drf-spectacular)."""
        model = view.model_class
        if model is None:
            return []
        schema = view.get_connector().schema
        sort_keys = self.sort_keys(schema)
        parameters = []
        for name in sort_keys:
            for lookup in KEY_LOOKUPS:
                parameters.append(
                    self.parameter(f"{name}__{lookup}", f"Sort-key condition ({lookup}).")
                )
        for name, lookups in view.get_filter_fields().items():
            for lookup in lookups:
                parameters.append(
                    self.parameter(
                        f"{name}__{lookup}" if lookup != "exact" else name, f"Filter ({lookup})."
                    )
                )
        parameters.append(
            self.parameter(
                ORDERING_PARAM,
                "Order by a sort key: " + ", ".join(f"{k} or -{k}" for k in sort_keys) + ".",
            )
        )
        if view.owner_field and schema.table.partition.name == view.owner_field:
            parameters.append(
                self.parameter(view.owner_field, "Staff only: list this owner's partition.")
            )
        return parameters

    @staticmethod
    def parameter(name, description):
        return {
            "name": name,
            "required": False,
            "in": "query",
            "description": description,
            "schema": {"type": "string"},
        }


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
