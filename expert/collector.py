"""The garbage collector paused while the engine makes objects it keeps.

An engine run makes tens of thousands of objects (facts, tokens, activations, trace
records) that live until the next run's reset, and almost none is part of a reference
cycle: the collector, run every 700 allocations by default, scans them again and again
and frees nothing. In a process that holds much else (a property test, a benchmark), a
third of a run at ten times the bundled knowledge base went to those collections. The
same holds while an engine is read from an image. The collector is paused for such a
step only, and restored as it was; what a step leaves for it is collected afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Whether what an engine run leaves is frozen out of collection when it ends.
_keeping_runs = False


def keep_runs(keep: bool = True) -> None:
    """From now on, freeze what each engine run leaves (or not, as before), for a
    process that keeps what it makes (a command: see :mod:`cramp.launch`).

    Otherwise the collector's next allocation after a run starts a collection over
    everything the run made, all of it alive (a tenth of a second at ×100). Frozen, a
    run's facts and tokens are still freed, by their counts, at the next reset; a run
    leaves no cycles (a test holds it to that), so nothing is kept that would not be.
    """
    global _keeping_runs
    _keeping_runs = keep


def keeping_runs() -> bool:
    """Whether what each engine run leaves is frozen (see :func:`keep_runs`)."""
    return _keeping_runs


@contextmanager
def paused(*, keep: bool = False) -> Iterator[None]:
    """Run the block with the garbage collector off; it is then as it was before.

    With ``keep``, everything the process holds is frozen out of collection before the
    collector is back on (for what lives until the process exits): on again first, its
    next allocation would start a collection over everything the block made.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if collecting:
            gc.enable()


__all__ = ["keep_runs", "keeping_runs", "paused"]
