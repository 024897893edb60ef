"""ForeignKey ``on_delete`` for relations from DynamoDB items to SQL rows.

Django's deletion collector cannot see DynamoDB, so the dynamodb app applies
each relation's ``on_delete`` itself when a target row is deleted:
PROTECT and RESTRICT refuse the deletion (``pre_delete``, before anything is
deleted); CASCADE, SET_NULL, SET_DEFAULT and SET(...) act after the row is
deleted (``post_delete``, inside the same transaction, so a DynamoDB failure
rolls the SQL deletion back). DO_NOTHING does nothing.
"""

from collections import defaultdict

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, pre_delete

from .connector import Connector
from .schema import is_dynamo_model

_relations = defaultdict(list)


def connect():
    """Index every DynamoDB model's relations by target model and listen for deletions."""
    _relations.clear()
    for model in apps.get_models():
        if not is_dynamo_model(model):
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.remote_field.on_delete is not models.DO_NOTHING:
                _relations[field.related_model._meta.concrete_model].append((model, field))
    pre_delete.connect(refuse_protected, dispatch_uid="dynamodb.relations.refuse_protected")
    post_delete.connect(apply_on_delete, dispatch_uid="dynamodb.relations.apply_on_delete")


def _related(sender, instance):
    for model, field in _relations.get(sender._meta.concrete_model, ()):
        yield model, field, getattr(instance, field.target_field.attname)


def refuse_protected(sender, instance, **kwargs):
    for model, field, value in _related(sender, instance):
        on_delete = field.remote_field.on_delete
        if on_delete not in (models.PROTECT, models.RESTRICT) or value is None:
            continue
        if Connector(model).exists_where(field.name, value):
            error = models.ProtectedError if on_delete is models.PROTECT else models.RestrictedError
            raise error(
                f"Cannot delete {sender._meta.object_name} {instance.pk}: "
                f"{model._meta.label} items in DynamoDB refer to it through {field.name}.",
                set(),
            )


def apply_on_delete(sender, instance, **kwargs):
    for model, field, value in _related(sender, instance):
        on_delete = field.remote_field.on_delete
        if value is None or on_delete in (models.PROTECT, models.RESTRICT):
            continue
        connector = Connector(model)
        if on_delete is models.CASCADE:
            connector.delete_where(field.name, value)
        elif on_delete is models.SET_NULL:
            connector.set_where(field.name, value, None)
        elif on_delete is models.SET_DEFAULT:
            connector.set_where(field.name, value, field.get_default())
        else:
            # models.SET(value): its deconstruction holds the value or a callable.
            new_value = on_delete.deconstruct()[1][0]
            if callable(new_value):
                new_value = new_value()
            connector.set_where(field.name, value, new_value)
