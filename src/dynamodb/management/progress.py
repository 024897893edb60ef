"""Progress of long management commands: a running count, and table operations' reports.

Redirected or captured output (a log, a pipe, a test) never gets a stream of
carriage returns: a count shows only on a terminal, a table operation's
progress is a line now and then.
"""

import time

from dynamodb.storage.reports import Report


class Progress:
    """Rewrites one stderr line ("Loaded 12000 items") when stderr is a TTY."""

    def __init__(self, stderr, verb):
        self.stderr = stderr
        self.verb = verb
        self.shown = stderr.isatty()

    def update(self, count):
        if self.shown:
            # Plain text: the command's stderr would colour it as an error.
            self.stderr.write(f"\r{self.verb} {count} items", style_func=str, ending="")
            self.stderr.flush()

    def finish(self):
        if self.shown:
            self.stderr.write("")


class CommandReport(Report):
    """What table operations say (``storage.reports``), on a command's stdout.

    Lines are indented under migrate's "Applying ..."; progress rewrites one
    line on a terminal, and elsewhere (a log, CI) is printed at most every
    ``interval`` seconds.
    """

    def __init__(self, stdout, verbosity=1, interval=10.0):
        self.stdout = stdout
        self.verbosity = verbosity
        self.interval = interval
        self.tty = stdout.isatty()
        self.mid_line = False  # a line is open: migrate's "Applying ...", or a progress
        self.last_progress = None

    def begin_line(self):
        """Something was written without ending its line (migrate's "Applying ...")."""
        self.mid_line = True

    def _end_line(self):
        if self.mid_line:
            self.stdout.write("")
            self.mid_line = False

    def say(self, text):
        if self.verbosity >= 1:
            self._end_line()
            self.stdout.write(f"    {text}")

    def progress(self, text):
        if self.verbosity < 1:
            return
        if self.tty:
            self.stdout.write(f"\r    {text}", style_func=str, ending="")
            self.stdout.flush()
            self.mid_line = True
            return
        now = time.monotonic()
        if self.last_progress is None or now - self.last_progress >= self.interval:
            self.last_progress = now
            self.say(text)

    def done(self):
        if self.tty:
            self._end_line()
