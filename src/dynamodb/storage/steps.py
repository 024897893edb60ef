"""Steps: the storage layer's logic as generators, run by a sender.

A read, a write, an id allocation or a batch is written once, as a generator
that yields what it needs done and gets the outcome back:

- a ``Request``: the driver sends it and resumes the generator with the
  engine's response, or throws the engine's error in where it yielded;
- ``Sleep(seconds)``: the driver waits (a backoff) and resumes it;
- ``Rows(items)``: raw items for the caller, handed out as they arrive.

``run`` and ``stream`` drive such a generator with the synchronous client;
an asynchronous driver sends the same steps with another sender. Nothing here
knows which, so sync and async share every line of logic.

Inside ``dynamodb.transaction.atomic()`` a collector is set for the context:
an item write (a ``Request`` with a ``write``) is then handed to it with the
steps waiting for its outcome, instead of being sent; the transaction
resumes those steps (``resume``) once TransactWriteItems has answered.
"""

import contextvars
import time
from typing import NamedTuple

from ..exceptions import DynamoError
from ..wire import client
from ..wire.requests import Request


class Sleep(NamedTuple):
    """Wait ``seconds`` before the next step (a backoff)."""

    seconds: float


class Rows(NamedTuple):
    """Raw items of a read, for the caller."""

    items: list


# The transaction collecting this context's item writes (storage.transactions), if any.
collector = contextvars.ContextVar("dynamodb_transaction", default=None)
_FIRST = object()


def stream(steps, step=_FIRST):
    """Drive ``steps`` with the synchronous client, yielding the items of its ``Rows``.

    Returns (as ``StopIteration.value``) the generator's own value; None when
    a transaction collected its write (the steps then wait for the commit).
    ``step``: the step ``steps`` already yielded, when they were started elsewhere.
    """
    try:
        if step is _FIRST:
            step = next(steps)
        while True:
            kind = type(step)
            if kind is Rows:
                yield from step.items
                step = steps.send(None)
            elif kind is Sleep:
                time.sleep(step.seconds)
                step = steps.send(None)
            else:
                if step.write is not None and (transaction := collector.get()) is not None:
                    if transaction.collect(step, steps):
                        return None  # the steps wait for the commit
                    step = steps.send({})
                    continue
                try:
                    response = client.send(step)
                except DynamoError as error:
                    step = steps.throw(error)
                else:
                    step = steps.send(response)
    except StopIteration as done:
        return done.value


def collect(steps):
    """Steps: the items of every ``Rows`` of ``steps``, as one list (passing the rest on)."""
    items = []
    try:
        step = next(steps)
        while True:
            if type(step) is Rows:
                items.extend(step.items)
                step = steps.send(None)
                continue
            try:
                outcome = yield step
            except Exception as error:
                step = steps.throw(error)
            else:
                step = steps.send(outcome)
    except StopIteration:
        return items


def run(steps, step=_FIRST):
    """Drive ``steps`` with the synchronous client; return the generator's value."""
    rows = stream(steps, step)
    try:
        while True:
            next(rows)
    except StopIteration as done:
        return done.value


def resume(steps, response=None, error=None):
    """Resume steps waiting on a write with its outcome; drive the rest; their value.

    ``error`` is thrown in where they yielded (they may raise it, or another).
    """
    try:
        step = steps.throw(error) if error is not None else steps.send(response)
    except StopIteration as done:
        return done.value
    return run(steps, step)


__all__ = ["Request", "Rows", "Sleep", "collect", "collector", "resume", "run", "stream"]
