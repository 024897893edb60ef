"""The changelist's search: a term looked up as an exact key, never a Scan for text.

``search_fields`` name the id and partition keys (the system check refuses
anything else). A term is tried as the value of each of them, in order: the
id through the id index (one item), a partition key as that partition (a
Query of the table or of a global index). ``name=value`` (``user=3``,
``id=42``) looks up that field only. A term a field cannot hold (``abc`` for
an integer id) is not tried on it.
"""

# The names a user may type before "=" for the id.
ID_NAMES = ("pk", "id")


def names(search_fields):
    """The field names of ``search_fields`` (without Django's ``=`` prefix)."""
    return [name.removeprefix("=") for name in search_fields]


def lookups(queryset, search_fields, term):
    """``queryset`` filtered on ``term`` by each search field that can hold it, in their order."""
    schema = queryset.query.schema

    def canonical(name):
        return "pk" if name in (*ID_NAMES, schema.pk.name) else name

    fields = [canonical(name) for name in names(search_fields)]
    term = term.strip()
    named, sign, value = term.partition("=")
    if sign and canonical(named.strip()) in fields:
        fields, term = [canonical(named.strip())], value.strip()
    found = []
    for name in fields:
        try:
            found.append(queryset.filter(**{name: term}))
        except ValueError:
            continue  # a value this field cannot hold (InvalidLookupValue): not a key of it
    return found


def first_found(candidates):
    """The first of ``candidates`` (QuerySets) that finds an item, or None (one read each)."""
    return next((candidate for candidate in candidates if candidate.exists()), None)
