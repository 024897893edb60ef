"""Logic written once for sync and async code: flows of method calls.

``get_or_create`` and ``update_or_create`` read, then create or save, and go
round again when a concurrent writer wins the race; a REST handler reads,
validates, writes and answers. Each is a generator yielding ``Call``s (a
method of a QuerySet, an instance, a Connector or a view, and its
arguments) and getting their results back (or their errors thrown in):
``drive`` makes the calls with the sync methods, ``adrive`` awaits their
async twins (``aget``, ``acreate``, ``asave``, ``aperform_create``...). A flow
may also ``Run`` storage steps. The logic exists once.
"""

from typing import NamedTuple

from ..storage.steps import arun, run


class Call(NamedTuple):
    """Call ``target.name(**kwargs)`` (or, from async code, ``await target.aname(...)``)."""

    target: object
    name: str
    kwargs: dict


class Run(NamedTuple):
    """Run storage steps (``storage.steps``): ``run(steps)``, or ``await arun(steps)``."""

    steps: object


def drive(flow):
    """Run a flow with the sync methods; return its value."""
    try:
        call = next(flow)
        while True:
            try:
                if type(call) is Run:
                    result = run(call.steps)
                else:
                    result = getattr(call.target, call.name)(**call.kwargs)
            except Exception as error:
                call = flow.throw(error)
            else:
                call = flow.send(result)
    except StopIteration as done:
        return done.value


async def adrive(flow):
    """Run a flow with the async methods; return its value.

    A cancellation is not thrown into the flow: it ends the flow where it
    waits (the flow is closed, so its ``finally`` clauses run).
    """
    try:
        call = next(flow)
        while True:
            try:
                if type(call) is Run:
                    result = await arun(call.steps)
                else:
                    result = await getattr(call.target, f"a{call.name}")(**call.kwargs)
            except Exception as error:
                call = flow.throw(error)
            else:
                call = flow.send(result)
    except StopIteration as done:
        return done.value
    finally:
        flow.close()
