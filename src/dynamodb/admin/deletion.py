"""Deletion in the admin: what ``on_delete`` will do in DynamoDB, and deletion in batches.

Django's delete confirmation lists what its collector will delete with an
object, read from SQL. DynamoDB items that refer to a deleted object are
handled by ``storage.relations`` instead, so their part of the confirmation
is built here: per relation, how many items (counted with a ``Select=COUNT``
Query when the reference is a partition key, "not counted" when only a Scan
could tell) are deleted with it (CASCADE) or changed (SET_NULL,
SET_DEFAULT, SET), and which items PROTECT or RESTRICT it.

``delete_selected`` is Django's action, deleting through the QuerySet's
batch path (BatchWriteItem, on_delete applied) and naming by key the items
DynamoDB left undeleted; only the deleted ones are logged.
"""

from collections import Counter

from django.contrib import messages
from django.contrib.admin import actions
from django.contrib.admin.decorators import action
from django.contrib.admin.utils import model_ngettext, quote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from ..exceptions import BatchWriteFailed
from ..storage import relations
from ..storage.schema import schema_for
from ..wire.marshalling import deserialize

# Items named per relation that protects an object from deletion.
NAMED_PROTECTED = 10
EFFECTS = {
    models.CASCADE: "deleted with it (CASCADE)",
    models.SET_NULL: "their {field} emptied (SET_NULL)",
    models.SET_DEFAULT: "their {field} set to its default (SET_DEFAULT)",
}


class Summary:
    """Django's ``get_deleted_objects`` answer, built up: lines, counts, permissions, protected."""

    def __init__(self, request, admin_site):
        self.request = request
        self.admin_site = admin_site
        self.lines = []
        self.counts = Counter()
        self.perms_needed = set()
        self.protected = []

    def result(self):
        return self.lines, dict(self.counts), self.perms_needed, self.protected

    def link(self, obj):
        """``Verbose name: <a href=change page>obj</a>``, as Django's confirmation names objects."""
        meta = obj._meta
        text = f"{capfirst(meta.verbose_name)}: {obj}"
        if not self.admin_site.is_registered(type(obj)):
            return text
        try:
            url = reverse(
                f"{self.admin_site.name}:{meta.app_label}_{meta.model_name}_change",
                args=(quote(obj.pk),),
            )
        except NoReverseMatch:
            return text
        return format_html('{}: <a href="{}">{}</a>', capfirst(meta.verbose_name), url, obj)

    def may_delete(self, model, obj=None):
        """Record a lacking delete permission on ``model``, as Django's confirmation does."""
        if self.admin_site.is_registered(model):
            model_admin = self.admin_site.get_model_admin(model)
            if not model_admin.has_delete_permission(self.request, obj):
                self.perms_needed.add(model._meta.verbose_name)

    def add_objects(self, objs):
        """DynamoDB items being deleted, each with what their deletion does in DynamoDB."""
        for obj in objs:
            self.may_delete(type(obj), obj)
            self.counts[type(obj)._meta.verbose_name_plural] += 1
            self.lines.append(self.link(obj))
            effects = self.effects(obj, protect=True)
            if effects:
                self.lines.append(effects)

    def effects(self, obj, protect):
        """Lines saying what each relation to ``obj`` does when it is deleted.

        ``protect``: also look for the items PROTECT or RESTRICT relations
        keep (Django's collector has done it already for an SQL row).
        """
        lines = []
        for model, field in relations.relations_to(type(obj)):
            value = getattr(obj, field.target_field.attname)
            if value is None:
                continue
            on_delete = field.remote_field.on_delete
            schema = schema_for(model)
            if on_delete in (models.PROTECT, models.RESTRICT):
                if protect:
                    self.protected += [
                        self.link(related(schema, raw))
                        for raw in relations.keys_where(
                            schema, field.name, value, limit=NAMED_PROTECTED, with_id=True
                        )
                    ]
                continue
            count = relations.count_where(schema, field.name, value)
            if count == 0:
                continue
            if on_delete is models.CASCADE:
                self.may_delete(model)
                if count is not None:
                    self.counts[model._meta.verbose_name_plural] += count
            effect = EFFECTS.get(on_delete, "their {field} set to a new value (SET)")
            effect = effect.format(field=field.verbose_name)
            meta = model._meta
            whose = f"in DynamoDB whose {field.verbose_name} is this {obj._meta.verbose_name}"
            if count is None:
                lines.append(
                    f"Any {meta.verbose_name_plural} {whose}: {effect} (not counted: only a "
                    "Scan of the table could tell how many)"
                )
            else:
                name = meta.verbose_name if count == 1 else meta.verbose_name_plural
                lines.append(f"{count} {name} {whose}: {effect}")
        return lines


def related(schema, raw_key):
    """An instance holding only the key and id of a raw key (enough to name and link it)."""
    values = deserialize(raw_key)
    fields = {
        converter.attname: converter.from_dynamo(values[converter.attribute])
        for converter in schema.converters
        if converter.attribute in values
    }
    return schema.model(**fields)


def dynamo_deleted_objects(objs, request, admin_site):
    """``get_deleted_objects`` of DynamoDB items: them, and on_delete of what refers to them."""
    summary = Summary(request, admin_site)
    summary.add_objects(objs)
    return summary.result()


def with_dynamo_effects(deleted, objs, request, admin_site):
    """Django's ``get_deleted_objects`` answer for SQL rows, with their DynamoDB part added."""
    to_delete, model_count, perms_needed, protected = deleted
    summary = Summary(request, admin_site)
    summary.lines, summary.perms_needed = list(to_delete), set(perms_needed)
    summary.counts.update(model_count)
    summary.protected = list(protected)
    for obj in objs:
        effects = summary.effects(obj, protect=False)
        if effects:
            summary.lines += [f"In DynamoDB, for {obj._meta.verbose_name} {obj}:", effects]
    return summary.result()


@action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
def delete_selected(modeladmin, request, queryset):
    """Django's ``delete_selected``; the deletion in batches, failures named by key.

    The confirmation page (and its refusal when items are protected or a
    permission lacks) is Django's own.
    """
    if not request.POST.get("post"):
        return actions.delete_selected(modeladmin, request, queryset)
    selected = list(queryset)
    _lines, _counts, perms_needed, protected = modeladmin.get_deleted_objects(selected, request)
    if protected:
        return actions.delete_selected(modeladmin, request, queryset)
    if perms_needed:
        raise PermissionDenied
    if not selected:
        return None
    schema = schema_for(queryset.model)
    try:
        modeladmin.delete_queryset(request, queryset)
    except BatchWriteFailed as failed:
        left = {tuple(value for _name, value in key) for key in failed.failed_keys}
        kept = [obj for obj in selected if _key(schema, obj) in left]
        deleted = [obj for obj in selected if _key(schema, obj) not in left]
        report_failure(modeladmin, request, deleted, kept, failed)
    else:
        deleted = selected
        modeladmin.message_user(
            request,
            f"Deleted {len(deleted)} {model_ngettext(modeladmin.opts, len(deleted))}.",
            messages.SUCCESS,
        )
    if deleted:
        modeladmin.log_deletions(request, deleted)
    return None


def report_failure(modeladmin, request, deleted, kept, failed):
    """An error message naming each item DynamoDB did not delete, by id and key."""
    schema = schema_for(modeladmin.model)
    named = "; ".join(
        f"{obj.pk} ({', '.join(f'{name}={value}' for name, value in schema.key_list(obj))})"
        for obj in kept
    )
    cause = failed.__cause__
    why = (
        f"the database did not answer: {type(cause).__name__}"
        if cause is not None
        else "DynamoDB left them unprocessed after every retry"
    )
    modeladmin.message_user(
        request,
        f"{len(kept)} of {len(deleted) + len(kept)} "
        f"{model_ngettext(modeladmin.opts, len(deleted) + len(kept))} were not deleted ({why}): "
        f"{named}. The other {len(deleted)} were deleted. Select the rest and try again.",
        messages.ERROR,
    )


def _key(schema, obj):
    return tuple(value for _name, value in schema.key_list(obj))
