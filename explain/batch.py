"""Reports for many runners at once: one report per profile plus a summary table.

Input is a directory of profile files (``*.yaml``, ``*.yml``, ``*.json``) or a JSON-lines
file (one profile object per line). Profiles are reasoned about in a pool of worker
processes, each of which loads the knowledge base and builds its engine once. A profile
that cannot be read or is invalid is recorded with its problems and skipped; it never
stops the batch.

>>> from pathlib import Path
>>> from explain.batch import batch_inputs, run_batch, write_summary
>>> results = run_batch(batch_inputs(Path("athletes")), Path("reports"))  # doctest: +SKIP
>>> write_summary(results, Path("reports/summary.csv"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import gc
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge import KnowledgeBase

__all__ = [
    "PROFILE_SUFFIXES",
    "SUMMARY_FIELDS",
    "BatchInput",
    "BatchResult",
    "batch_inputs",
    "run_batch",
    "write_summary",
]

#: File endings taken as profiles when the input is a directory.
PROFILE_SUFFIXES = (".yaml", ".yml", ".json")
#: Columns of the summary table, in order.
SUMMARY_FIELDS = ("runner", "name", "status", "triage", "top_cause", "advice", "report", "error")


@dataclass(frozen=True)
class BatchInput:
    """One runner to report on: where the profile comes from and the report's file stem.

    ``text`` holds the profile itself for a JSON-lines input, found on line ``line`` of
    ``path``; otherwise the profile is read from ``path``.
    """

    label: str
    stem: str
    path: Path
    text: str | None = None
    line: int = 1


@dataclass(frozen=True)
class BatchResult:
    """What became of one runner: ``ok``, ``invalid`` (a bad profile) or ``error``."""

    label: str
    status: str
    name: str | None = None
    triage: str | None = None
    top_cause: str | None = None
    advice: int | None = None
    report: Path | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether a report was written."""
        return self.status == "ok"

    def row(self, base: Path | None = None) -> dict[str, str]:
        """The summary-table row (report path relative to ``base`` when given)."""
        report = ""
        if self.report is not None:
            report = str(self.report.relative_to(base) if base else self.report)
        return {
            "runner": self.label,
            "name": self.name or "",
            "status": self.status,
            "triage": self.triage or "",
            "top_cause": self.top_cause or "",
            "advice": "" if self.advice is None else str(self.advice),
            "report": report,
            "error": self.error or "",
        }


def batch_inputs(source: Path) -> list[BatchInput]:
    """The runners in a directory of profiles or a JSON-lines file, in a stable order.

    Raises ``FileNotFoundError``, ``NotADirectoryError``-style ``OSError`` or
    ``UnicodeDecodeError`` when the input itself cannot be read.
    """
    if source.is_dir():
        files = sorted(
            p for p in source.iterdir() if p.is_file() and p.suffix.lower() in PROFILE_SUFFIXES
        )
        stems = [p.stem for p in files]
        # Two files differing only in their ending (a.yaml, a.json) keep their ending.
        return [
            BatchInput(p.name, p.stem if stems.count(p.stem) == 1 else p.name, p) for p in files
        ]
    inputs = []
    for number, line in enumerate(source.read_text(encoding="utf-8-sig").splitlines(), 1):
        if line.strip():
            inputs.append(
                BatchInput(
                    f"{source.name}:{number}",
                    f"{source.stem}-{number:05d}",
                    source,
                    line,
                    number,
                )
            )
    return inputs


def run_batch(
    inputs: Sequence[BatchInput],
    out_dir: Path,
    *,
    fmt: str = "html",
    kb_dir: Path | str | None = None,
    jobs: int | None = None,
    force: bool = False,
    on_result: Callable[[BatchResult], None] | None = None,
) -> list[BatchResult]:
    """Write a ``fmt`` report per input into ``out_dir``; return the results in input order.

    ``jobs`` worker processes (default: one per core; 1 runs in this process) each load
    the knowledge base from ``kb_dir`` (default: the bundled one) once. ``on_result`` is
    called as each runner finishes, in completion order (for a progress bar).
    """
    from .report import check_format

    check_format(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = max(1, jobs or os.cpu_count() or 1)
    tasks = [(item, out_dir / f"{item.stem}.{fmt}") for item in inputs]
    results: list[BatchResult | None] = [None] * len(tasks)

    def done(index: int, result: BatchResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    if jobs == 1 or len(tasks) <= 1:
        _start_worker(kb_dir, fmt, force)
        for index, (item, target) in enumerate(tasks):
            done(index, _report_one(item, target))
    else:
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(tasks)),
            initializer=_start_worker,
            initargs=(kb_dir, fmt, force, True),
        )
        try:
            futures = {
                pool.submit(_report_one, item, target): index
                for index, (item, target) in enumerate(tasks)
            }
            for future in as_completed(futures):
                done(futures[future], future.result())
        except BaseException:
            # Interrupted (or a worker died): drop what has not started, don't wait for it.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return [r for r in results if r is not None]


def write_summary(results: Iterable[BatchResult], path: Path) -> None:
    """Write the summary table as CSV, one row per runner (report paths relative to it)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.row(path.parent))


# --- the worker side: one knowledge base and engine per process ------------------------

_WORKER: dict[str, Any] = {}
_LOADED: dict[str | None, KnowledgeBase] = {}


def _start_worker(
    kb_dir: Path | str | None, fmt: str, force: bool, own_process: bool = False
) -> None:
    """Load the knowledge base and build its engine, once per process and directory.

    In a worker process of its own (``own_process``) the knowledge base and engine live
    as long as the process, so they are frozen out of garbage collection.
    """
    from expert.engine import Reasoner
    from knowledge import load_knowledge_base

    key = None if kb_dir is None else str(kb_dir)
    kb = _LOADED.get(key)
    if kb is None:
        kb = _LOADED[key] = load_knowledge_base(kb_dir)
    Reasoner.for_kb(kb)
    if own_process:
        gc.freeze()
    _WORKER.update(kb=kb, fmt=fmt, force=force)


def _report_one(item: BatchInput, target: Path) -> BatchResult:
    """Reason about one profile and write its report; problems become the result."""
    from knowledge import ProblemsError, load_profile_text
    from knowledge._yaml import TooLargeError, read_limited
    from knowledge.profile import MAX_PROFILE_BYTES

    kb: KnowledgeBase = _WORKER["kb"]
    try:
        raw: str | bytes = (
            item.text if item.text is not None else read_limited(item.path, MAX_PROFILE_BYTES)
        )
        profile = load_profile_text(raw, kb, str(item.path))
    except ProblemsError as exc:
        # A JSON line is parsed on its own: move its problems to its line in the file.
        problems = [replace(p, line=p.line + item.line - 1) for p in exc.problems]
        return BatchResult(item.label, "invalid", error="; ".join(str(p) for p in problems))
    except TooLargeError as exc:
        return BatchResult(item.label, "invalid", error=f"{item.path}: {exc.describe('a profile')}")
    except OSError as exc:
        return BatchResult(
            item.label, "invalid", error=f"{item.path}: cannot read: {exc.strerror or exc}"
        )
    try:
        return _report(kb, item, profile, target)
    except FileExistsError:
        error = f"{target}: already exists; use --force to overwrite it"
    except OSError as exc:
        error = f"{target}: cannot write: {exc.strerror or exc}"
    except Exception as exc:  # one runner's failure must not stop the batch
        error = f"{item.label}: {type(exc).__name__}: {exc}"
    return BatchResult(item.label, "error", name=profile.name, error=error)


def _report(kb: KnowledgeBase, item: BatchInput, profile: Any, target: Path) -> BatchResult:
    from expert import diagnose

    from .report import write_report

    diagnosis = diagnose(kb, profile)
    write_report(kb, profile, target, _WORKER["fmt"], force=_WORKER["force"])
    top = next((c.id for c in diagnosis.causes if c.status != "contradicted"), None)
    return BatchResult(
        item.label,
        "ok",
        name=profile.name,
        triage=diagnosis.triage.tier,
        top_cause=top,
        advice=len(diagnosis.advice),
        report=target,
    )
