"""Benchmark ``cramp kb diff``: two identical knowledge bases, 1,000 generated runners.

The goal: under 30 s on 2 cores. Run on demand (not a test)::

    uv run python bench/kb_diff.py                    # 1000 runners, every core
    uv run python bench/kb_diff.py --runners 1000 --jobs 2
    uv run python bench/kb_diff.py --edited           # a real edit instead (slower: both
                                                      # sides run for every runner)

Prints the wall-clock time, the CPU time of this process and its workers, and the
runners compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cramp.authoring.kb_diff import default_jobs, diff_knowledge_bases, load_side

REPO = Path(__file__).resolve().parent.parent
KB = REPO / "knowledge" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--edited", action="store_true", help="diff a real one-line edit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "kb"
        shutil.copytree(KB, copy)
        if args.edited:
            source = copy / "sources" / "cramp-after-running.yaml"
            text = source.read_text(encoding="utf-8")
            before = "    when: {cramp_timing: after_run, shoe_change: [lower_drop, other_change]}"
            after = before.replace("after_run,", "after_run, muscles: calf,")
            source.write_text(text.replace(before, after), encoding="utf-8")
        started, cpu = time.perf_counter(), os.times()
        old, new = load_side(KB, "old"), load_side(copy, "new")
        report = diff_knowledge_bases(old, new, runners=args.runners, jobs=args.jobs)
        wall = time.perf_counter() - started
        done = os.times()
    used = (done.user - cpu.user) + (done.system - cpu.system)
    used += (done.children_user - cpu.children_user) + (done.children_system - cpu.children_system)
    print(
        f"kb diff ({'a one-line edit' if args.edited else 'identical knowledge bases'}): "
        f"{report.runners['total']:,} runners ({args.runners:,} generated), {args.jobs} jobs: "
        f"{wall:.1f} s wall, {used:.1f} s CPU; {len(report.kinds)} kinds of change"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
