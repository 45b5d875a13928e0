"""Compare this tree with an earlier revision, command by command, runs interleaved.

On a machine whose speed drifts (a virtual machine whose host is busy), two benchmark
runs minutes apart differ by more than most changes do. This script runs the same
commands from both trees in turn (old, new, old, new...), so a slow spell slows both,
and reports the median CPU time of each; with ``--instructions`` it also counts the
instructions each command runs under valgrind's callgrind, which do not depend on the
machine's speed at all (for a batch: the instructions of one report, from batches of
10 and 110 runners run in one process, ``--jobs 1``, the first's subtracted).

    uv run python bench/compare.py c2f2cfa                 # cold commands and batch
    uv run python bench/compare.py HEAD~3 --rounds 9 --only cold
    uv run python bench/compare.py c2f2cfa --instructions  # and instruction counts

The earlier revision is checked out in a temporary git worktree and run with this
environment's Python and packages (its own code first on ``PYTHONPATH``); each tree
keeps its compiled image in a cache of its own. The ten-times knowledge base and the
runners are made by this tree, and given to both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from run import generated_profiles  # noqa: E402  (the benchmark's own runners)

PACKAGES = ("cramp", "expert", "explain", "knowledge")
LAUNCH = "import sys; sys.argv[0] = 'cramp'; from cramp.launch import main; main()"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the earlier revision (anything git rev-parse takes)")
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command per tree")
    parser.add_argument("--only", default="cold,batch", help="cold, batch or both")
    parser.add_argument("--runners", type=int, default=1000, help="runners in each batch")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions too (callgrind)"
    )
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (Debian: apt-get install valgrind)")
    work = Path(tempfile.mkdtemp(prefix="cramp-compare-"))
    old = work / "old"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(old), args.rev],
        check=True,
    )
    try:
        trees = {"old": old, "new": REPO}
        _precompile(trees.values())
        commands = _commands(work, args)
        rows = [_compare(name, cmd, trees, work, args) for name, cmd in commands]
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)])
        shutil.rmtree(work, ignore_errors=True)
    revision = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"\n{args.rev} (old) against {revision} (new), {args.rounds} interleaved rounds")
    for row in rows:
        print(row)
    return 0


def _precompile(trees: Any) -> None:
    """Bytecode for both trees, as an installation would have it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    targets = [str(tree / p) for tree in trees for p in PACKAGES]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *targets],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )


def _commands(work: Path, args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    from knowledge import load_knowledge_base
    from knowledge.synthetic import replicate_knowledge_base, replicate_profile
    from knowledge.yaml_io import read_yaml

    example = REPO / "examples" / "night-cramps-after-hard-week.yaml"
    data = read_yaml(example).data
    as_json = work / "runner.json"
    as_json.write_text(json.dumps(data), encoding="utf-8")
    commands: list[tuple[str, list[str]]] = []
    if "cold" in args.only:
        kb10 = replicate_knowledge_base(None, work / "kb-x10", 10)
        profile10 = work / "profile-x10.json"
        profile10.write_text(json.dumps(replicate_profile(data, 10)), encoding="utf-8")
        commands += [
            ("cold diagnose, YAML profile", ["diagnose", str(example)]),
            ("cold diagnose, JSON profile", ["diagnose", str(as_json)]),
            ("cold diagnose --format json", ["diagnose", str(example), "--format", "json"]),
            ("cold ×10 diagnose", ["--kb", str(kb10), "diagnose", str(profile10)]),
        ]
    if "batch" in args.only:
        source = work / "athletes.jsonl"
        kb = load_knowledge_base()
        with source.open("w", encoding="utf-8") as out:
            for i, profile in enumerate(generated_profiles(kb, args.runners, seed=2)):
                out.write(json.dumps({"name": f"runner {i + 1}", **profile.to_data()}) + "\n")
        for fmt in ("html", "json"):
            target = str(work / "reports")
            commands.append(
                (
                    f"batch, {args.runners} {fmt} reports",
                    ["batch", str(source), "-o", target, "--format", fmt, "--force", "-q"],
                )
            )
    return commands


def _run(cmd: list[str], tree: Path, work: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd`` from ``tree`` (its children included)."""
    import time

    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *cmd],
        env=_environment(tree, work),
        cwd=work,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed in {tree}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def _environment(tree: Path, work: Path) -> dict[str, str]:
    """``tree``'s code first, and an image cache of its own."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "CRAMP_CACHE_DIR": str(work / f"cache-{tree.name}"),
    }
    env.pop("CRAMP_NO_CACHE", None)
    return env


def _instructions(cmd: list[str], tree: Path, work: Path) -> float:
    """Millions of instructions one run of ``cmd`` executes (callgrind)."""
    callgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    done = subprocess.run(
        [*callgrind, sys.executable, "-c", LAUNCH, *cmd],
        env=_environment(tree, work),
        cwd=work,
        capture_output=True,
        text=True,
    )
    for line in done.stderr.splitlines():
        if "Collected" in line:
            return int(line.split()[-1]) / 1e6
    raise SystemExit(f"callgrind gave no count for {' '.join(cmd)}")


def _report_instructions(cmd: list[str], tree: Path, work: Path) -> float:
    """Millions of instructions of one report of a batch, in one process (``--jobs 1``).

    The difference between batches of 110 and 10 runners, over 100: what starting,
    loading and the first report cost is left out, as it is from a long batch.
    """
    source = Path(cmd[1])
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    counts = []
    for size in (10, 110):
        part = work / f"runners-{size}.jsonl"
        part.write_text("".join(lines[:size]), encoding="utf-8")
        counts.append(_instructions(["batch", str(part), *cmd[2:], "--jobs", "1"], tree, work))
    return (counts[1] - counts[0]) / 100


def _compare(
    name: str, cmd: list[str], trees: dict[str, Path], work: Path, args: argparse.Namespace
) -> str:
    for tree in trees.values():
        _run(cmd, tree, work)  # each tree's image, and a warm file cache
    walls: dict[str, list[float]] = {k: [] for k in trees}
    cpus: dict[str, list[float]] = {k: [] for k in trees}
    for _ in range(args.rounds):
        for key, tree in trees.items():
            wall, cpu = _run(cmd, tree, work)
            walls[key].append(wall)
            cpus[key].append(cpu)
    old_cpu, new_cpu = (statistics.median(cpus[k]) * 1e3 for k in ("old", "new"))
    old_wall, new_wall = (statistics.median(walls[k]) * 1e3 for k in ("old", "new"))
    row = (
        f"{name:32s} cpu {old_cpu:8.1f} → {new_cpu:8.1f} ms ({new_cpu / old_cpu - 1:+.1%}); "
        f"wall {old_wall:8.1f} → {new_wall:8.1f} ms"
    )
    if name.startswith("batch"):
        runners = args.runners
        row += f"; {runners / old_wall * 1e3:.1f} → {runners / new_wall * 1e3:.1f} reports/s"
    if args.instructions and not name.startswith("batch"):
        old_ir, new_ir = (_instructions(cmd, trees[k], work) for k in ("old", "new"))
        row += f"; instructions {old_ir:,.1f} → {new_ir:,.1f} M ({new_ir / old_ir - 1:+.1%})"
    elif args.instructions:
        old_ir, new_ir = (_report_instructions(cmd, trees[k], work) for k in ("old", "new"))
        row += f"; a report {old_ir:,.1f} → {new_ir:,.1f} M ({new_ir / old_ir - 1:+.1%})"
    print(row, flush=True)
    return row


if __name__ == "__main__":
    raise SystemExit(main())
