"""Where long table operations say what they do: a logger, or the running command's output.

Table changes, copies and data migrations run for minutes or hours; they say
what they do (``say``) and how far they are (``progress``, often, and
``done`` when a progress ends) to the ``Report`` of the context: the
``dynamodb.migrations`` logger, unless a command (``migrate``,
``createdynamotables``) set its own. Threads get the report passed explicitly:
context variables do not follow them.
"""

import contextlib
import contextvars
import logging

logger = logging.getLogger("dynamodb.migrations")


class Report:
    """Lines to the ``dynamodb.migrations`` logger; progress at DEBUG level."""

    def say(self, text):
        logger.info(text)

    def progress(self, text):
        logger.debug(text)

    def done(self):
        """A progress is over: the next line starts afresh."""


class Silent(Report):
    """Says nothing (what a dry run counts is printed by its command)."""

    def say(self, text):
        pass

    def progress(self, text):
        pass


_LOG = Report()
_current = contextvars.ContextVar("dynamodb_report", default=None)


def current():
    """The report of this context."""
    return _current.get() or _LOG


@contextlib.contextmanager
def reporting_to(report):
    """Make ``report`` the report of this context within the block."""
    token = _current.set(report)
    try:
        yield report
    finally:
        _current.reset(token)
