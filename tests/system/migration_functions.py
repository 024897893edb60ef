"""Functions the data migrations of tests/system/test_table_migrations.py run over items.

``meanwhile`` holds, by item, what the application writes to it while the
backfill is between reading it and writing it: how a concurrent write is
simulated without threads racing.
"""

from django.utils.text import slugify

meanwhile = {}


def fill_slug(item):
    write = meanwhile.pop(item.made, None)
    if write is not None:
        write(item)
    if item.slug is None:
        item.slug = slugify(item.name)


def clear_slug(item):
    item.slug = None
