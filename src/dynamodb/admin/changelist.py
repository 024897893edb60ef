"""The changelist of a DynamoDB model: one page read, cursors, no count unless asked.

Django's ChangeList pages with offsets and counts every listing; on DynamoDB
either would read the whole partition (or table) on every page. This one:

- reads a partition (a Query of the table or of an index: chosen by a list
  filter or a search), or, without one, a page of ``.scan()`` for a user
  the ModelAdmin's ``has_scan_permission`` allows (otherwise the user's own
  partition, or nothing until they choose one);
- reads one page with one request (``query.pages.window``) and links the
  next and previous pages with encrypted, expiring cursors bound to the
  listing (``_cursor``); a Scan reads forward only, so it links the next
  page and the first;
- counts only when asked (``_count``), with ``Select=COUNT``;
- orders by a sort key of the table or of a local index only (column
  headers, ``ordering``); a Scan has no order.
"""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import build_q_object_from_lookup_parameters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import FieldError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import capfirst

from ..exceptions import EngineRejected, InvalidCursor, UnsupportedOperation
from ..query import pages
from ..query.lookups import Leaf
from . import search
from .checks import sort_fields

CURSOR_VAR = "_cursor"
COUNT_VAR = "_count"
CURSOR_MESSAGES = {
    "expired": "That page link has expired: here is the first page again.",
    "foreign": "That page link belongs to another listing: here is the first page.",
    "invalid": "That page link is not valid: here is the first page.",
}


class RestartListing(Exception):
    """The page link cannot be followed: show the listing's first page, saying why."""


class DynamoChangeList(ChangeList):
    """A ChangeList reading one page of DynamoDB per request."""

    cursors = pages.Cursors("dynamodb.admin.changelist")

    def __init__(self, request, *args, **kwargs):
        self.cursor = request.GET.get(CURSOR_VAR)
        self.counting = COUNT_VAR in request.GET
        self.scanning = False
        self.order = None  # (field name, descending) of the listing, once chosen
        super().__init__(request, *args, **kwargs)

    # Query string: the paging parameters never reach filters, nor links that change the listing.

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for name in (CURSOR_VAR, COUNT_VAR):
            lookup_params.pop(name, None)
        return lookup_params

    def get_query_string(self, new_params=None, remove=None):
        """Django's, without the cursor and the count unless ``new_params`` sets them."""
        return super().get_query_string({CURSOR_VAR: None, COUNT_VAR: None, **(new_params or {})})

    # The QuerySet of the listing

    def get_queryset(self, request, exclude_parameters=None):
        """The listing's QuerySet: filters, then search, partition and order (once a request).

        Django asks again for an action's items; the ModelAdmin reads those by id.
        """
        if exclude_parameters is None and getattr(self, "queryset", None) is not None:
            return self.queryset
        for name in (CURSOR_VAR, COUNT_VAR):  # not hidden inputs of the search form
            self.params.pop(name, None)
            self.filter_params.pop(name, None)
        (
            self.filter_specs,
            self.has_filters,
            remaining,
            _duplicates,
            self.has_active_filters,
        ) = self.get_filters(request)
        queryset = self.root_queryset
        try:
            for spec in self.filter_specs:
                if exclude_parameters is None or spec.expected_parameters() != exclude_parameters:
                    filtered = spec.queryset(request, queryset)
                    if filtered is not None:
                        queryset = filtered
            queryset = queryset.filter(build_q_object_from_lookup_parameters(remaining))
        except (DjangoValidationError, FieldError, TypeError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error
        except UnsupportedOperation as error:
            messages.error(request, str(error))
            raise IncorrectLookupParameters(error) from error
        self.clear_all_filters_qs = self.get_query_string(
            new_params=remaining, remove=self.get_filters_params()
        )
        queryset = self.apply_select_related(queryset)
        if self.query:
            queryset = self.searched(request, queryset)
        queryset = self.partitioned(request, queryset)
        queryset = self.ordered(request, queryset)
        try:
            queryset.query.plan  # noqa: B018 (a query DynamoDB cannot run: say so now)
        except UnsupportedOperation as error:
            messages.error(request, str(error))
            raise IncorrectLookupParameters(error) from error
        return queryset

    def searched(self, request, queryset):
        """The listing of the search term: the first of its key lookups that finds something.

        Following a page link, the lookup the link was issued for (no read).
        """
        found = search.lookups(queryset, self.search_fields, self.query)
        if not found:
            messages.warning(
                request,
                f"{self.query!r} is not a value of "
                f"{' or '.join(search.names(self.search_fields))}: nothing can match it.",
            )
            return queryset.none()
        chosen = None
        if self.cursor is not None and len(found) > 1:
            chosen = next((f for f in found if self.issued_for(request, f)), None)
        if chosen is None:
            chosen = found[0] if len(found) == 1 else search.first_found(found) or found[0]
        return chosen

    def issued_for(self, request, queryset):
        """Whether the page link was issued for this listing."""
        listing = self.ordered(request, self.partitioned(request, queryset))
        try:
            self.cursors.decode(self.cursor, pages.fingerprint(listing))
        except InvalidCursor:
            return False
        return True

    def partitioned(self, request, queryset):
        """The QuerySet with a partition: its own, a Scan, the user's own, or none at all."""
        self.scanning = False
        if named_partition(queryset) is not None:
            return queryset
        model_admin = self.model_admin
        plural = self.opts.verbose_name_plural
        if model_admin.has_scan_permission(request):
            self.scanning = True
            return queryset.scan()
        own = model_admin.own_partition(request)
        if own is not None:
            return queryset.filter(**own)
        messages.info(
            request,
            f"Search by key or choose a filter to list {plural}: reading every one "
            "(a Scan of the table) is not allowed for you.",
        )
        return queryset.none()

    def ordered(self, request, queryset):
        """The listing in the order asked for (a column header) or the ModelAdmin's.

        A Scan has no order, nor a Query of a global index by the table's sort keys.
        """
        self.order = None
        self.orderable = not self.scanning
        wanted = None if self.scanning else self.requested_order(request)
        if wanted is None:
            return queryset
        name, descending = wanted
        try:
            ordered = queryset.order_by(f"-{name}" if descending else name)
        except UnsupportedOperation:
            self.orderable = False
            return queryset
        self.order = wanted
        return ordered

    def requested_order(self, request):
        """(sort-key field name, descending) from the ``o`` parameter, else the default."""
        keys = sort_fields(self.model_admin.schema)
        for part in self.params.get(ORDER_VAR, "").split("."):
            _none, sign, position = part.rpartition("-")
            try:
                name = self.get_ordering_field(self.list_display[int(position)])
            except (IndexError, ValueError):
                continue
            if name in keys:
                return name, sign == "-"
        for item in self.model_admin.get_ordering(request) or self.opts.ordering or ():
            if isinstance(item, str) and item.removeprefix("-") in keys:
                return item.removeprefix("-"), item.startswith("-")
        return None

    def get_ordering_field_columns(self):
        """The sorted column: the listing's sort key, wherever list_display shows it."""
        if self.order is None:
            return {}
        name, descending = self.order
        for position, attribute in enumerate(self.list_display):
            if self.get_ordering_field(attribute) == name:
                return {position: "desc" if descending else "asc"}
        return {}

    # One page

    def get_results(self, request):
        listing = pages.fingerprint(self.queryset)
        start = direction = None
        if self.cursor is not None:
            try:
                start, direction = self.cursors.decode(self.cursor, listing)
            except InvalidCursor as error:
                raise RestartListing(CURSOR_MESSAGES[error.reason]) from error
        try:
            window = pages.window(self.queryset, self.list_per_page, start, direction)
        except EngineRejected as error:
            if start is None:
                raise
            # The engine rejects a start key that is not in this partition or index.
            raise RestartListing(CURSOR_MESSAGES["invalid"]) from error
        self.result_list = window.items
        # What Django's templates show: this page, no total, no "select all N".
        self.result_count = len(window.items)
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = False
        self.multi_page = window.has_next or window.has_previous
        self.paginator = None
        self.sortable_by = self.sortable_by if self.orderable else []
        self.next_url = self.page_url(window.has_next, window.next_position, pages.FORWARD, listing)
        self.previous_url = self.page_url(
            window.has_previous, window.previous_position, pages.BACKWARD, listing
        )
        self.first_url = self.get_query_string() if start is not None else None
        self.count_url = self.get_query_string({CURSOR_VAR: self.cursor, COUNT_VAR: "1"})
        self.total = self.queryset.count() if self.counting else None

    def page_url(self, exists, position, direction, listing):
        if not exists:
            return None
        if position is None and direction == pages.FORWARD:
            return self.get_query_string()  # forward from the very beginning: the first page
        token = self.cursors.encode(position, direction, listing)
        return self.get_query_string({CURSOR_VAR: token})

    @property
    def count_description(self):
        """``12 bookings`` once counted."""
        if self.total is None:
            return ""
        name = self.opts.verbose_name if self.total == 1 else self.opts.verbose_name_plural
        return f"{self.total} {name}"

    @property
    def key_search_help(self):
        """The search box's help: which exact keys it looks up, and how to name one."""
        if self.search_help_text:
            return self.search_help_text
        schema = self.model_admin.schema
        names = search.names(self.search_fields)
        fields = [
            str((schema.pk if name == "pk" else schema.by_name[name]).field.verbose_name)
            for name in names
        ]
        return (
            f"An exact {' or '.join(fields)} (tried in that order); "
            f"{names[0]}=<value> looks up one of them only."
        )

    @property
    def reading(self):
        """What this listing reads, for the page (``Bookings whose user is 3``)."""
        if self.scanning:
            return f"Every {self.opts.verbose_name}, in no order (a Scan)"
        return capfirst(named_partition(self.queryset))


def named_partition(queryset):
    """What a QuerySet reads without a Scan (``Bookings whose user is 3``), or None if it can't.

    An exact partition key of the table or of an index, or ids; an empty
    QuerySet reads nothing.
    """
    query = queryset.query
    meta = queryset.model._meta
    if query.empty:
        return f"No {meta.verbose_name_plural}"
    schema = query.schema
    partitions = {index.partition for index in schema.query_indexes}
    where = query.where
    if query.scan or where.negated or where.connector != "AND":
        return None
    for leaf in where.children:
        if not isinstance(leaf, Leaf):
            continue
        named = (leaf.converter is schema.pk and leaf.lookup in ("exact", "in")) or (
            leaf.converter in partitions and leaf.lookup == "exact"
        )
        if named:
            field = leaf.converter.field.verbose_name
            value = ", ".join(map(str, leaf.value)) if leaf.lookup == "in" else leaf.value
            return f"{meta.verbose_name_plural} whose {field} is {value}"
    return None
