"""``DynamoModelAdmin``: Django's ModelAdmin for a DynamoCompatibleModel.

    @admin.register(Booking)
    class BookingAdmin(DynamoModelAdmin):
        list_display = ["id", "name", "user", "date_at"]
        list_filter = ["date_at"]          # a key condition of the partition read
        search_fields = ["pk", "user"]     # exact keys: the id index, a partition
        ordering = ["-date_at"]            # a sort key
        autocomplete_fields = ["user"]

What changes from Django's (everything else is Django's own):

- the changelist (``changelist.DynamoChangeList``) reads one page per
  request, pages by cursor, counts only when asked, filters and searches by
  key only, and lists a partition, or a Scan page for a user
  ``has_scan_permission`` allows;
- forms (``forms.DynamoFormMixin``) write with the version they loaded; a
  write DynamoDB refuses (a concurrent change, a key taken meanwhile, a
  value DynamoDB cannot hold) is shown again as a form error, never a 500
  nor an overwrite. Key fields change in one transaction where the engine
  has transactions, and are read-only where it has none;
- a ForeignKey not declared in ``autocomplete_fields`` or ``raw_id_fields``
  is a raw id input: a select would list every row of its model;
- deletion lists what on_delete does in DynamoDB, and "delete selected"
  deletes in batches, naming by key what it could not delete;
- an engine that is down or throttling is the admin's error page (503 with
  Retry-After), never a 500.
"""

import copy

from django.contrib import admin, messages
from django.contrib.admin import ShowFacets, widgets
from django.contrib.admin.utils import get_deleted_objects
from django.db import models
from django.forms import SplitDateTimeField
from django.http import HttpResponseRedirect, QueryDict
from django.utils.http import urlencode

from ..exceptions import ItemAlreadyExists, ItemNotFound, VersionConflict
from ..exceptions import ValidationError as DynamoValidationError
from ..storage import atomic
from ..storage.schema import schema_for
from . import deletion, forms, search
from .changelist import COUNT_VAR, CURSOR_VAR, DynamoChangeList, RestartListing
from .checks import DynamoModelAdminChecks, sort_fields
from .errors import EngineErrorsMixin

# Errors of a write that the form shows again instead of saving.
REFUSED_WRITES = (VersionConflict, ItemAlreadyExists, DynamoValidationError)


class DynamoRelationsAdminMixin(EngineErrorsMixin):
    """For the ModelAdmin of a model DynamoDB items refer to (the users of bookings).

    Its delete confirmation (and "delete selected") also lists what each
    relation's on_delete does in DynamoDB, with counts where a Query can
    count; and DynamoDB being down while deleting is the admin's error page.
    """

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        return deletion.with_dynamo_effects(
            get_deleted_objects(objs, request, self.admin_site), objs, request, self.admin_site
        )


class DynamoModelAdmin(EngineErrorsMixin, admin.ModelAdmin):
    """A ModelAdmin of a DynamoCompatibleModel (see the module's docstring)."""

    checks_class = DynamoModelAdminChecks
    change_list_template = "dynamodb/admin/change_list.html"
    change_form_template = "dynamodb/admin/change_form.html"
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    actions = [deletion.delete_selected]
    formfield_overrides = {
        models.DateTimeField: {
            "form_class": SplitDateTimeField,
            "widget": forms.PreciseAdminSplitDateTime,
        },
        models.TimeField: {"widget": forms.PreciseAdminTimeWidget},
    }

    @property
    def schema(self):
        return schema_for(self.model)

    # Reading

    def get_changelist(self, request, **kwargs):
        return DynamoChangeList

    def get_queryset(self, request):
        """Every item, unordered: an order needs a partition, which the changelist chooses."""
        return self.model._default_manager.get_queryset()

    def get_sortable_by(self, request):
        """Only sort keys of the table or of a local index can order a partition."""
        keys = sort_fields(self.schema)
        return [name for name in self.get_list_display(request) if name in keys]

    def has_scan_permission(self, request):
        """Whether this user may list every item: a Scan page when no partition is chosen.

        By default whoever may view the changelist (as the REST API lets users
        with the view permission list everyone's items). Override it where a
        Scan is costly: others then see their own partition (a model
        partitioned by a ForeignKey to the user model) or choose one.
        """
        return self.has_view_or_change_permission(request)

    def own_partition(self, request):
        """{partition key: the user} when the model is partitioned by its user, else None."""
        name = self.schema.user_partition
        return None if name is None else {name: request.user.pk}

    def get_search_results(self, request, queryset, search_term):
        """The first key lookup of the term that finds something (autocomplete uses it).

        Without a term, nothing: listing every item would be a Scan.
        """
        candidates = search.lookups(queryset, self.get_search_fields(request), search_term)
        if not search_term.strip() or not candidates:
            return queryset.none(), False
        return search.first_found(candidates) or candidates[0], False

    def get_preserved_filters(self, request):
        """Django's, without the count: going back to the list does not count again."""
        preserved = super().get_preserved_filters(request)
        if not preserved:
            return preserved
        filters = QueryDict(QueryDict(preserved).get("_changelist_filters", ""), mutable=True)
        filters.pop(COUNT_VAR, None)
        return urlencode({"_changelist_filters": filters.urlencode()}) if filters else ""

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except RestartListing as restart:
            self.message_user(request, str(restart), messages.WARNING)
            query = request.GET.copy()
            query.pop(CURSOR_VAR, None)
            return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")

    def response_action(self, request, queryset):
        """An action on the selected items, read by id: never on a whole listing.

        "Select all N" across pages is refused: a listing is read page by page.
        """
        if request.POST.get("select_across") not in (None, "", "0", "False"):
            self.message_user(
                request,
                "Actions apply to the items selected on this page: a DynamoDB listing is read "
                "page by page, so it cannot select across pages.",
                messages.WARNING,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, self.get_queryset(request))

    # Forms

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A raw id input unless declared otherwise: a select would list the whole model."""
        if "widget" not in kwargs and not (
            db_field.name in self.get_autocomplete_fields(request)
            or db_field.name in self.raw_id_fields
            or db_field.name in self.radio_fields
        ):
            kwargs["widget"] = widgets.ForeignKeyRawIdWidget(
                db_field.remote_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The form Django builds, with DynamoFormMixin (and the refused write, if re-shown)."""
        if "form" not in kwargs:
            base = self.form
            # As Django does: declared form fields that are read-only are left out.
            attributes = dict.fromkeys(
                name
                for name in self.get_readonly_fields(request, obj)
                if name in base.declared_fields
            )
            attributes["write_error"] = getattr(request, "dynamo_refused_write", None)
            kwargs["form"] = type(base.__name__, (forms.DynamoFormMixin, base), attributes)
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        """Key fields cannot change on an engine without transactions (nor the version)."""
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not atomic.supported():
            readonly += [name for name, _ in self.schema.key_list(obj) if name not in readonly]
        return readonly

    def get_changeform_initial_data(self, request):
        """Django's (the query string), and the user as the owner of a new item."""
        initial = super().get_changeform_initial_data(request)
        own = self.own_partition(request)
        if own is not None:
            for name, value in own.items():
                initial.setdefault(name, value)
        return initial

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Django's; a write DynamoDB refused shows the form again with the reason.

        Nothing was saved or logged (the refusal rolled Django's transaction
        back). The form is shown as for invalid data, over the item as it is
        now.
        """
        view = super().changeform_view
        try:
            return self.guarded(view, request, object_id, form_url, extra_context)
        except REFUSED_WRITES as refused:
            request.dynamo_refused_write = refused
            return self.guarded(view, request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Insert or update; a changed key moves the item (one transaction)."""
        stored = getattr(form, "stored", None)
        schema = self.schema
        if change and stored is not None and schema.key_list(stored) != schema.key_list(obj):
            old = copy.copy(stored)
            if schema.version is not None:
                attname = schema.version.attname
                setattr(old, attname, getattr(obj, attname))  # the version the form loaded
            atomic.move(schema, old, obj)
        else:
            obj.save()

    # Deleting

    def delete_view(self, request, object_id, extra_context=None):
        """Django's; an item changed or deleted while it was being deleted stays, and is shown."""
        try:
            return super().delete_view(request, object_id, extra_context)
        except (VersionConflict, ItemNotFound):
            self.message_user(
                request,
                f"This {self.opts.verbose_name} changed while it was being deleted: nothing was "
                "deleted. Review it and delete it again.",
                messages.WARNING,
            )
            return HttpResponseRedirect(request.get_full_path())

    def get_deleted_objects(self, objs, request):
        """The items, and what on_delete of the relations to them does in DynamoDB."""
        return deletion.dynamo_deleted_objects(list(objs), request, self.admin_site)
