"""Profile warm engine runs with cProfile: where experta spends its time on our rules.

Run on demand::

    uv run python bench/profile_engine.py                 # the bundled knowledge base
    uv run python bench/profile_engine.py --times 10      # replicated ten times
    uv run python bench/profile_engine.py --sort cumtime --top 40

Runs every bundled example (replicated with the knowledge base) through one engine,
then profiles ``--runs`` more rounds and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--times", type=int, default=1, help="replicate the knowledge base")
    parser.add_argument("--runs", type=int, default=20, help="profiled rounds of examples")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--top", type=int, default=30, help="functions to print")
    args = parser.parse_args(argv)

    from expert.engine import Reasoner
    from knowledge import load_knowledge_base, parse_profile
    from knowledge.synthetic import replicate_knowledge_base, replicate_profile
    from knowledge.yaml_io import read_yaml

    directory = replicate_knowledge_base(None, Path(tempfile.mkdtemp()) / "kb", args.times)
    kb = load_knowledge_base(directory)
    reasoner = Reasoner.for_kb(kb)
    profiles = [
        parse_profile(replicate_profile(read_yaml(path).data, args.times), kb)
        for path in sorted((REPO / "examples").glob("*.yaml"))
    ]
    for profile in profiles:
        reasoner.run(profile)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.runs):
        for profile in profiles:
            reasoner.run(profile)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
