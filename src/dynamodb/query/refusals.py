"""QuerySet methods DynamoDB cannot honour: each an UnsupportedOperation saying what to do.

Never an AttributeError from deep inside Django: the method exists, and its
error names the model and the way out.
"""

from ..exceptions import UnsupportedOperation

INSTEAD = {
    "annotate": "compute the value in Python over the items, or store it in a field",
    "alias": "compute the value in Python over the items, or store it in a field",
    "aggregate": "read the items (values_list(..., flat=True)) and aggregate in Python, "
    "or keep a running total in an item updated with update(field=F(field) + n)",
    "distinct": "items of a DynamoDB table are distinct by key; deduplicate values in Python",
    "extra": "DynamoDB runs no SQL",
    "raw": "DynamoDB runs no SQL; use the QuerySet's lookups or the Connector",
    "select_for_update": "use the model's version_field (optimistic locking) or "
    "dynamodb.transaction.atomic()",
    "union": "iterate the QuerySets one after the other (itertools.chain)",
    "intersection": "filter one QuerySet with the conditions of both",
    "difference": "filter one QuerySet with the conditions of both (exclude())",
    "dates": "read the field with values_list(..., flat=True) and truncate in Python",
    "datetimes": "read the field with values_list(..., flat=True) and truncate in Python",
    "contains": "filter(pk=obj.pk).exists()",
    "bulk_update": "save() each instance (a conditional write each) or use update()",
    "resolve_expression": "a DynamoDB QuerySet cannot be an SQL subquery: pass "
    "list(queryset.values_list(..., flat=True)) instead",
    "aiterator": "iterate it in sync_to_async, or use the other async methods (acount, aget...)",
}


def _refused(name, instead):
    def method(self, *args, **kwargs):
        raise UnsupportedOperation(
            f"{self.model._meta.label} is stored in DynamoDB, which cannot {name}(): {instead}."
        )

    method.__name__ = name
    method.__doc__ = f"Not available on DynamoDB: {instead}."
    return method


class RefusedMethods:
    """The Django QuerySet methods a DynamoDB QuerySet refuses, with the way out."""

    def __and__(self, other):
        _refused("combine QuerySets with &", "chain filter() calls instead")(self)

    def __or__(self, other):
        _refused("combine QuerySets with |", "use one filter(Q(...) | Q(...))")(self)

    def __xor__(self, other):
        _refused("combine QuerySets with ^", "use one filter(Q(...) ^ Q(...))")(self)


for _name, _instead in INSTEAD.items():
    setattr(RefusedMethods, _name, _refused(_name, _instead))
