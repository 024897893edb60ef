"""Wall-clock durations: reported at the end of the run, bounded only against a hang.

A loaded 2-core machine (CI, a laptop building something) takes many times
longer than an idle one, so no test fails on how fast something was. A test
that times something calls ``took(seconds, what)``: every duration is listed
in the run's summary ("wall-clock durations"), and the only bound is a
hang's. ``HANG`` is half of gunicorn's timeout (60 s): a request slower than
that is one the service would not answer. A test whose work is longer gives
a bound of its own, far above what it takes.
"""

import os

HANG = 30.0  # seconds
DURATIONS = []  # (test, what, seconds, bound)


def took(seconds, what, bound=HANG):
    """Report that ``what`` took ``seconds``; fail only past ``bound`` (it hung)."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rpartition(" ")[0]
    DURATIONS.append((test, what, seconds, bound))
    assert seconds < bound, f"{what} took {seconds:.1f} s, over {bound:.0f} s: it hung"
    return seconds


def summary():
    """The lines of the summary: each duration with its test, slowest first."""
    return [
        f"{seconds:7.2f} s  (< {bound:.0f})  {what}  {test}"
        for test, what, seconds, bound in sorted(DURATIONS, key=lambda d: -d[2])
    ]
