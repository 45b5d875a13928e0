"""The ``cramp`` console script: the garbage collector is set before anything is imported.

Importing the command line (click and what it imports) made a cold command run some
twenty young-generation collections of the garbage collector, which found nothing to
free; set first, the collector's policy for a command covers its imports too.
"""

from __future__ import annotations

import atexit
import gc

#: How many allocations the young generation may gather before it is collected, in a
#: command (Python's default: 700).
YOUNG_THRESHOLD = 50_000

_collecting_rarely = False


def collect_rarely() -> None:
    """Run the garbage collector seldom in a command, and not over what it keeps at exit.

    A command keeps almost everything it makes until it exits (the knowledge base, its
    engine, the run, the report): the young generation's collections, every 700
    allocations by default, found nothing to free and cost 8 to 18 ms of a cold
    diagnosis, and the full collection at exit 2 to 7 ms more. Every 50,000 allocations
    still collects a long batch's or consultation's cycles; frozen at exit, what the
    command made is not scanned once more just before the process ends.
    """
    global _collecting_rarely
    if _collecting_rarely:
        return
    _collecting_rarely = True
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    atexit.register(gc.freeze)
    from expert.collector import keep_runs

    keep_runs()


def main() -> None:
    """Console-script entry point: the collector's policy, then the command line."""
    collect_rarely()
    from cramp.cli import main as command_line

    command_line()
