"""The one paging iterator: follows LastEvaluatedKey for a Query or a Scan.

A ``Pager`` does no I/O: ``next_request()`` says what to send next (None
when done) and ``feed(response)`` takes the engine's answer and returns that
page's raw items. ``pages`` are its steps (see ``steps``); ``raw_items``
drives them with the synchronous client, an asynchronous driver with
another. Every read that follows pages (the
Connector's ``select``, ``all``, ``count``, the relations' key reads, the
QuerySet's evaluation, ``count()`` and ``exists()``) goes through it, so a
read never stops at DynamoDB's 1 MB page silently.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..exceptions import ValidationError
from ..wire import client
from ..wire.requests import Request
from .steps import Rows, stream


@dataclass
class Page:
    """One page of results and the cursor of the next one (None on the last page).

    The cursor is DynamoDB's LastEvaluatedKey: pass it back as ``cursor=``.
    """

    items: list
    cursor: dict | None = None
    scanned: int = field(default=0)


def check_limit(name, value, minimum=0, required=False):
    """Raise unless ``value`` is an integer of at least ``minimum`` (or None, if not required)."""
    if (value is not None or required) and (
        not isinstance(value, int) or isinstance(value, bool) or value < minimum
    ):
        kind = "positive" if minimum else "non-negative"
        raise ValidationError(None, f"{name} must be a {kind} integer, got {value!r}.")


class Pager:
    """The pages of one Query or Scan, from ``start`` until ``limit`` items or the end.

    ``page_size`` is each request's ``Limit``. Without a filter, the last
    request asks only for what ``limit`` still wants; with one, DynamoDB
    applies ``Limit`` before filtering, so pages go on until enough items
    matched. ``count`` and ``scanned`` add up the responses' counts.
    """

    __slots__ = ("_operation", "_params", "_page_size", "_filtered", "remaining")
    __slots__ += ("last_key", "done", "count", "scanned")

    def __init__(self, request, *, limit=None, page_size=None, start=None):
        check_limit("limit", limit)
        check_limit("page_size", page_size, minimum=1)
        if start is not None and not isinstance(start, dict):
            raise ValidationError(None, "cursor must be a page's cursor (a dict).")
        params = dict(request.params)
        if page_size is not None:
            params["Limit"] = page_size
        if start is not None:
            params["ExclusiveStartKey"] = start
        self._operation = request.operation
        self._params = params
        self._page_size = page_size
        self._filtered = "FilterExpression" in params
        self.remaining = limit
        self.last_key = None
        self.done = limit == 0
        self.count = 0
        self.scanned = 0

    def next_request(self):
        """The next request to send, or None when the reading is over."""
        if self.done:
            return None
        if self.remaining is not None and not self._filtered:
            wanted = self.remaining
            self._params["Limit"] = (
                wanted if self._page_size is None else min(self._page_size, wanted)
            )
        return Request(self._operation, dict(self._params))

    def feed(self, response):
        """The raw items of one response (no more than ``limit`` still wants)."""
        items = response.get("Items", ())
        self.count += response.get("Count", 0)
        self.scanned += response.get("ScannedCount", 0)
        if self.remaining is not None:
            items = items[: self.remaining]
            self.remaining -= len(items)
            if not self.remaining:
                self.done = True
        self.last_key = response.get("LastEvaluatedKey")
        if self.last_key is None:
            self.done = True
        else:
            self._params["ExclusiveStartKey"] = self.last_key
        return items


def pages(pager):
    """Steps: every page of a pager, each handed out as ``Rows``."""
    while (request := pager.next_request()) is not None:
        yield Rows(pager.feed((yield request)))


def raw_items(pager):
    """Every raw item of a pager's pages, lazily, sent with the synchronous client."""
    return stream(pages(pager))


def count(pager):
    """Steps: the total ``Count`` of a ``Select=COUNT`` read, following every page."""
    while (request := pager.next_request()) is not None:
        pager.feed((yield request))
    return pager.count


def single_item(request):
    """Steps: the raw item a GetItem request finds, or None (a read of one page of one item)."""
    response = yield request
    return response.get("Item")


def one_page(pager):
    """Steps: one request's items and the next page's cursor, as a Page."""
    items = list(pager.feed((yield pager.next_request())))
    return Page(items, pager.last_key, pager.scanned)


async def aparallel_raw_items(pagers):
    """``parallel_raw_items`` in the event loop: each round's requests sent concurrently."""
    active = [pager for pager in pagers if not pager.done]
    while active:
        requests = [pager.next_request() for pager in active]
        responses = await asyncio.gather(*(client.asend(request) for request in requests))
        for pager, response in zip(active, responses, strict=True):
            for item in pager.feed(response):
                yield item
        active = [pager for pager in active if not pager.done]


def parallel_raw_items(pagers):
    """The raw items of several Scan segments read concurrently, one thread per segment.

    Each round sends the next request of every unfinished segment at once
    (each thread with its own client) and yields their items.
    """
    active = [pager for pager in pagers if not pager.done]
    with ThreadPoolExecutor(max_workers=max(1, len(active))) as executor:
        while active:
            requests = [pager.next_request() for pager in active]
            for pager, response in zip(active, executor.map(client.send, requests), strict=True):
                yield from pager.feed(response)
            active = [pager for pager in active if not pager.done]
