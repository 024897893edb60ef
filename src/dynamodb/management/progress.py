"""A running count for long management commands, shown only on a terminal.

Redirected or captured output (a log, a pipe, a test) gets only the final
line each command prints, never a stream of carriage returns.
"""


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
