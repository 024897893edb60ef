"""``select_related`` / ``prefetch_related`` of ForeignKeys: one query per relation and chunk.

DynamoDB items point at rows of the SQL database (a booking's ``user``), or
at items of another DynamoDB model. Their targets are read for a whole chunk
of items at once, with the target manager's ``in_bulk`` (one SQL query, or
one BatchGetItem), and cached on each instance as Django's own
``select_related`` would, so ``booking.user`` sends no query.
"""

from django.apps import apps
from django.core.exceptions import FieldError
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor

from ..exceptions import UnsupportedOperation
from ..storage.schema import is_dynamo_model


class DynamoTargetDescriptorMixin:
    """``item.relation`` when the target is a DynamoDB model: read through its ``objects``.

    Django's descriptors read a target through its ``_base_manager``, which
    for a DynamoDB model is the SQL manager that sees nothing (kept so for
    Django's deletion collector): this one reads DynamoDB (a GetItem by id).
    """

    def get_queryset(self, **hints):
        return self.field.remote_field.model._default_manager.all()


def install_descriptors():
    """Give every ForeignKey (and OneToOneField) to a DynamoDB model the descriptor above."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not (field.is_relation and is_dynamo_model(field.related_model)):
                continue
            descriptor = model.__dict__.get(field.name)
            if isinstance(descriptor, ForwardManyToOneDescriptor) and not isinstance(
                descriptor, DynamoTargetDescriptorMixin
            ):
                cls = type(
                    f"Dynamo{type(descriptor).__name__}",
                    (DynamoTargetDescriptorMixin, type(descriptor)),
                    {},
                )
                setattr(model, field.name, cls(field))


def relation_names(schema, names):
    """The ForeignKey names ``select_related(*names)`` may load (all of them when none)."""
    relations = [c.name for c in schema.converters if c.field.is_relation]
    if not names:
        return tuple(relations)
    for name in names:
        if not isinstance(name, str):
            raise UnsupportedOperation(
                f"{schema.label}: prefetch_related takes ForeignKey names, not {name!r} "
                "(Prefetch objects need SQL joins)."
            )
        if name not in relations:
            raise FieldError(
                f"Invalid field name {name!r} given in select_related on {schema.label}: "
                "DynamoDB items can load their own ForeignKeys "
                f"({', '.join(relations) or 'none'}), not relations of those."
            )
    return tuple(dict.fromkeys(names))


def attach_known(instances, known):
    """Cache targets already in hand (``user.booking_set``'s user) on the instances."""
    for field, targets in known.items():
        for instance in instances:
            target = targets.get(getattr(instance, field.attname))
            if target is not None:
                field.set_cached_value(instance, target)


def load(schema, instances, names):
    """Cache the targets of ForeignKeys ``names`` on ``instances`` (one read per relation)."""
    for name in names:
        field = schema.by_name[name].field
        values = {getattr(instance, field.attname) for instance in instances} - {None}
        if not values:
            continue
        target = field.target_field
        manager = field.related_model._base_manager
        if getattr(field.related_model, "_is_dynamo_model", False):
            manager = field.related_model._default_manager
        found = manager.in_bulk(values, field_name=target.name if not target.primary_key else "pk")
        for instance in instances:
            value = getattr(instance, field.attname)
            if value is not None:
                field.set_cached_value(instance, found.get(value))
