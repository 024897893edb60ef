"""Steps: the storage layer's logic as generators, run by a sender.

A read, a write, an id allocation or a batch is written once, as a generator
that yields what it needs done and gets the outcome back:

- a ``Request``: the driver sends it and resumes the generator with the
  engine's response, or throws the engine's error in where it yielded;
- ``Sleep(seconds)``: the driver waits (a backoff) and resumes it;
- ``Rows(items)``: raw items for the caller, handed out as they arrive;
- ``Send(signal, kwargs)``: the driver sends a Django signal and resumes the
  generator with its receivers' responses (``signal.send``, or
  ``signal.asend`` from async code, as Django sends signals there: sync
  receivers in a thread).

``run`` and ``stream`` drive such a generator with the synchronous client,
``arun`` and ``astream`` with the asynchronous one (``client.asend``: real
I/O in the event loop, no thread). The steps never know which, so sync and
async share every line of logic; only these drivers differ.

Inside ``dynamodb.transaction.atomic()`` a collector is set for the context:
an item write (a ``Request`` with a ``write``) is then handed to it with the
steps waiting for its outcome, instead of being sent; the transaction's own
steps carry those on (``continued``) once TransactWriteItems has answered.
"""

import asyncio
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


class Send(NamedTuple):
    """Send a Django signal (``pre_delete``...); the receivers' responses come back."""

    signal: object
    kwargs: dict


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
            elif kind is Send:
                step = steps.send(step.signal.send(**step.kwargs))
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


async def astream(steps, step=_FIRST, done=None):
    """Drive ``steps`` with the asynchronous client, yielding the items of its ``Rows``.

    As ``stream``; an async generator returns no value, so the generator's own
    value is appended to ``done`` (a list) when one is given. Steps left
    suspended (the caller stopped iterating, or the task was cancelled while a
    request was out) are closed, so that their cleanup runs at once.
    """
    waiting = False
    try:
        if step is _FIRST:
            step = next(steps)
        while True:
            kind = type(step)
            if kind is Rows:
                for item in step.items:
                    yield item
                step = steps.send(None)
            elif kind is Sleep:
                await asyncio.sleep(step.seconds)
                step = steps.send(None)
            elif kind is Send:
                step = steps.send(await step.signal.asend(**step.kwargs))
            else:
                if step.write is not None and (transaction := collector.get()) is not None:
                    if transaction.collect(step, steps):
                        waiting = True
                        return  # the steps wait for the commit
                    step = steps.send({})
                    continue
                try:
                    response = await client.asend(step)
                except DynamoError as error:
                    step = steps.throw(error)
                else:
                    step = steps.send(response)
    except StopIteration as stopped:
        if done is not None:
            done.append(stopped.value)
    finally:
        if not waiting:
            steps.close()


async def arun(steps, step=_FIRST):
    """Drive ``steps`` with the asynchronous client; return the generator's value."""
    done = []
    async for _item in astream(steps, step, done):
        pass
    return done[0] if done else None


def continued(steps, response=None, error=None):
    """Steps: steps waiting on a write, resumed with its outcome and carried on; their value.

    ``error`` is thrown in where they yielded (they may raise it, or another).
    """
    try:
        step = steps.throw(error) if error is not None else steps.send(response)
    except StopIteration as done:
        return done.value
    return (yield from carried(steps, step))


def carried(steps, step):
    """Steps: the rest of ``steps``, which already yielded ``step``; their value."""
    while True:
        try:
            outcome = yield step
        except Exception as error:
            try:
                step = steps.throw(error)
            except StopIteration as done:
                return done.value
        else:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value


__all__ = [
    "Request",
    "Rows",
    "Send",
    "Sleep",
    "arun",
    "astream",
    "carried",
    "collect",
    "collector",
    "continued",
    "run",
    "stream",
]
