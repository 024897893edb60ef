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
"""

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


def stream(steps):
    """Drive ``steps`` with the synchronous client, yielding the items of its ``Rows``.

    Returns (as ``StopIteration.value``) the generator's own value.
    """
    try:
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


def run(steps):
    """Drive ``steps`` with the synchronous client; return the generator's value."""
    rows = stream(steps)
    try:
        while True:
            next(rows)
    except StopIteration as done:
        return done.value


__all__ = ["Request", "Rows", "Sleep", "collect", "run", "stream"]
