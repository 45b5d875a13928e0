"""Reports for many runners at once: one report per profile plus a summary table.

Input is a directory of profile files (``*.yaml``, ``*.yml``, ``*.json``) or a JSON-lines
file (one profile object per line). Profiles are reasoned about in a pool of worker
processes, each of which has the knowledge base and its engine once. A profile that
cannot be read or is invalid is recorded with its problems and skipped; it never stops
the batch.

What the batch promises:

* **Inputs are never outputs.** The output directory may not hold an input, and two
  inputs never share a report name (see :func:`report_stems`); either is refused
  before anything is written, ``--force`` or not.
* **Bounded.** A JSON-lines source is read line by line, split on ``\\n`` only, each
  line at most 1 MB (:data:`~knowledge.profile.MAX_PROFILE_BYTES`, in bytes) and the
  source at most :data:`MAX_SOURCE_BYTES`; at most :data:`MAX_RUNNERS` runners; only a
  few profiles are in flight at a time, so memory does not grow with the input.
* **Stopped at once.** Ctrl-C or SIGTERM (see :func:`~cramp.workers.stop_on_signals`)
  stops the workers straight away; what finished is kept, and the summary says it is
  partial. Workers die with the process that started them, even one killed outright
  (see :mod:`cramp.workers`).

>>> from pathlib import Path
>>> from cramp.batch import batch_inputs, run_batch, write_summary
>>> run = run_batch(batch_inputs(Path("athletes")), Path("reports"))  # doctest: +SKIP
>>> write_summary(run.results, Path("reports/summary.csv"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import gc
import io
import os
import signal
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cramp.workers import Stop
    from knowledge import KnowledgeBase

__all__ = [
    "MAX_RUNNERS",
    "MAX_SOURCE_BYTES",
    "PROFILE_SUFFIXES",
    "SUMMARY_FIELDS",
    "BatchError",
    "BatchInput",
    "BatchResult",
    "BatchRun",
    "batch_inputs",
    "check_outputs",
    "count_runners",
    "csv_cell",
    "iter_inputs",
    "report_stems",
    "run_batch",
    "summary_csv",
    "write_summary",
]

#: File endings taken as profiles when the input is a directory.
PROFILE_SUFFIXES = (".yaml", ".yml", ".json")
#: Columns of the summary table, in order.
SUMMARY_FIELDS = ("runner", "name", "status", "triage", "top_cause", "advice", "report", "error")
#: The largest JSON-lines source read; a regular file beyond it is refused unread.
MAX_SOURCE_BYTES = 100_000_000
#: The most runners one batch takes (the summary of each is kept until the end).
MAX_RUNNERS = 10_000
#: How much of one runner's problems, and of its name, the summary keeps (the report has all).
MAX_ERROR_CHARS = 1_000
MAX_NAME_CHARS = 200
#: Status of the closing row of a summary cut short (Ctrl-C, SIGTERM, a source too large).
PARTIAL = "partial"


class BatchError(ValueError):
    """The batch as a whole is refused before anything is written; one line for the user."""


@dataclass(frozen=True)
class BatchInput:
    """One runner to report on: where the profile comes from and the report's file stem.

    ``text`` holds the profile itself for a JSON-lines input, found on line ``line`` of
    ``path``; otherwise the profile is read from ``path``. ``problem`` is set for an
    input refused unread (a line over the limit, a FIFO named like a profile).
    """

    label: str
    stem: str
    path: Path
    text: bytes | str | None = None
    line: int = 1
    problem: str | None = None


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
        """The summary-table row (report path relative to ``base`` when given), made safe."""
        report = ""
        if self.report is not None:
            report = str(self.report.relative_to(base) if base else self.report)
        row = {
            "runner": self.label,
            "name": self.name or "",
            "status": self.status,
            "triage": self.triage or "",
            "top_cause": self.top_cause or "",
            "advice": "" if self.advice is None else str(self.advice),
            "report": report,
            "error": self.error or "",
        }
        return {key: csv_cell(value) for key, value in row.items()}


@dataclass
class BatchRun:
    """The results in input order, and why the batch stopped early, if it did."""

    results: list[BatchResult] = field(default_factory=list)
    #: The signal that stopped the batch (SIGINT, SIGTERM), or None.
    signal: int | None = None
    #: Why reading the source stopped early (too large, too many runners), or None.
    source_error: str | None = None

    @property
    def partial(self) -> str | None:
        """Why the results are incomplete, as the summary's closing row says it; or None."""
        if self.signal is not None:
            name = signal.Signals(self.signal).name
            return (
                f"stopped by {name} after {len(self.results)} runners; the runners after "
                "these were not reported"
            )
        if self.source_error is not None:
            return f"{self.source_error}; the runners after these were not reported"
        return None


# --- inputs ----------------------------------------------------------------------------


def batch_inputs(source: Path) -> list[BatchInput]:
    """Every runner in a directory of profiles or a JSON-lines file (read in full)."""
    return list(iter_inputs(source))


def iter_inputs(source: Path) -> Iterator[BatchInput]:
    """The runners in a directory of profiles or a JSON-lines file, in a stable order.

    A JSON-lines file is streamed, never held whole. Raises :class:`BatchError` for a
    batch refused as a whole, and ``OSError`` when the source cannot be read.
    """
    if source.is_dir():
        yield from _directory_inputs(source)
    else:
        yield from _jsonl_inputs(source)


def report_stems(names: Sequence[str]) -> list[str]:
    """A distinct report stem for each profile file name, in order.

    A report is named after its profile without the ending (``anna.yaml`` → ``anna``);
    profiles whose stems would clash keep their whole name (``anna.yaml``, ``anna.json``),
    and so on until no two clash (``a.yaml``, ``a.yml`` and ``a.yaml.json`` give
    ``a.yaml``, ``a.yml`` and ``a.yaml.json``). Names differing only in case are
    compared as equal, since they collide on case-insensitive file systems; two whole
    names that still clash that way are refused with :class:`BatchError`.
    """
    stems = [Path(name).stem or name for name in names]
    while True:
        seen: dict[str, list[int]] = {}
        for index, stem in enumerate(stems):
            seen.setdefault(stem.casefold(), []).append(index)
        clashing = [i for group in seen.values() if len(group) > 1 for i in group]
        shortened = [i for i in clashing if stems[i] != names[i]]
        if not shortened:
            break
        for index in shortened:
            stems[index] = names[index]
    if clashing:
        a, b = (names[i] for i in sorted(clashing)[:2])
        raise BatchError(
            f"{a!r} and {b!r} differ only in case, so their reports would overwrite each "
            "other on some file systems; rename one"
        )
    return stems


def _directory_inputs(source: Path) -> Iterator[BatchInput]:
    entries = []
    with os.scandir(source) as scan:
        for entry in scan:
            if not entry.name.lower().endswith(PROFILE_SUFFIXES):
                continue
            try:
                mode = os.stat(entry.path).st_mode
            except OSError:
                continue  # a dangling link: nothing to read
            if stat.S_ISDIR(mode):
                continue
            entries.append((entry.name, None if stat.S_ISREG(mode) else mode))
            if len(entries) > MAX_RUNNERS:
                raise BatchError(
                    f"{source}: more than {MAX_RUNNERS:,} profiles; split them into batches"
                )
    entries.sort()
    for (name, special), stem in zip(entries, report_stems([n for n, _ in entries]), strict=True):
        problem = None
        if special is not None:
            from knowledge.yaml_io import mode_kind

            # Never opened: a FIFO waits for a writer, a device may never end.
            problem = f"{source / name}: is {mode_kind(special)}, not a profile file; skipped"
        yield BatchInput(name, stem, source / name, problem=problem)


def count_runners(source: Path) -> int | None:
    """How many runners a JSON-lines regular file holds, checking every limit first.

    Reads the file once, line by line, so a batch that would be refused is refused
    before any report is written. None for a pipe or device, which can be read only
    once (its limits are checked as it is read).
    """
    with open(source, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return sum(1 for item in _read_jsonl(source, handle) if item is not None)


def _jsonl_inputs(source: Path) -> Iterator[BatchInput]:
    with open(source, "rb") as handle:
        for item in _read_jsonl(source, handle):
            if item is not None:
                yield item


def _read_jsonl(source: Path, handle: io.BufferedReader) -> Iterator[BatchInput | None]:
    """Each runner in a JSON-lines stream (None for a blank line), with the limits applied.

    Lines end at ``\\n`` only: U+2028, U+0085 and the other line breaks Python's
    ``splitlines`` knows are ordinary characters inside a JSON string.
    """
    from knowledge.profile import MAX_PROFILE_BYTES
    from knowledge.yaml_io import TooLargeError

    info = os.fstat(handle.fileno())
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_SOURCE_BYTES:
        raise BatchError(
            f"{source}: {TooLargeError(info.st_size, MAX_SOURCE_BYTES).describe(_SRC)}"
        )
    total = runners = number = 0
    while True:
        line = handle.readline(MAX_PROFILE_BYTES + 1)
        if not line:
            return
        number += 1
        total += len(line)
        problem = None
        if len(line.removesuffix(b"\n")) > MAX_PROFILE_BYTES:
            # Drop the rest of the line as it comes, never holding it.
            while not line.endswith(b"\n"):
                line = handle.readline(1 << 16)
                total += len(line)
                if not line or total > MAX_SOURCE_BYTES:
                    break
            problem = f"{source}:{number}: {TooLargeError(None, MAX_PROFILE_BYTES).describe(_LINE)}"
            line = b""
        if total > MAX_SOURCE_BYTES:
            raise BatchError(f"{source}: {TooLargeError(None, MAX_SOURCE_BYTES).describe(_SRC)}")
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if problem is None and not line.strip():
            yield None
            continue
        runners += 1
        if runners > MAX_RUNNERS:
            raise BatchError(
                f"{source}: more than {MAX_RUNNERS:,} runners; split them into batches"
            )
        yield BatchInput(
            f"{source.name}:{number}",
            f"{source.stem}-{number:05d}",
            source,
            line if problem is None else None,
            number,
            problem,
        )


_SRC = "a JSON-lines source"
_LINE = "a profile (one line)"


def check_outputs(
    source: Path, inputs: Sequence[BatchInput], out_dir: Path, fmt: str, summary: Path
) -> None:
    """Refuse (:class:`BatchError`) a batch whose outputs could replace one of its inputs.

    The output directory may not be the source directory, nor hold a JSON-lines source;
    no report or summary may be (a link to) an input file. Checked whatever ``--force``.
    """
    if not out_dir.exists():
        return
    if source.is_dir() and os.path.samefile(source, out_dir):
        raise BatchError(
            f"-o {out_dir}: that is the directory of the profiles; reports would mix with "
            "(and could replace) them, so write them to another directory"
        )
    if not source.is_dir() and _same(source.parent, out_dir):
        raise BatchError(
            f"-o {out_dir}: holds the JSON-lines source {source.name}; write the reports "
            "to another directory"
        )
    files = {_identity(item.path) for item in inputs} - {None}
    for target in [*(out_dir / f"{item.stem}.{fmt}" for item in inputs), summary]:
        if _identity(target) in files:
            raise BatchError(f"{target}: is one of the profiles being read; write elsewhere")


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


# --- the summary -----------------------------------------------------------------------

#: A spreadsheet takes a cell starting with these as a formula (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """``text`` as an inert summary cell: one line, escapes shown, formulas neutralised.

    Control characters and undecodable bytes of a file name show as ``\\x1b`` or
    ``\\udc9b``; a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    leading ``'``, as OWASP recommends, so a spreadsheet shows it rather than runs it.
    """
    from knowledge.problems import printable

    if text.startswith(_FORMULA_START):
        text = "'" + text
    return printable(text)


def summary_csv(
    results: Iterable[BatchResult], base: Path | None = None, *, partial: str | None = None
) -> bytes:
    """The summary table as CSV bytes; a closing row with status ``partial`` says why not whole."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS)
    writer.writeheader()
    for result in results:
        writer.writerow(result.row(base))
    if partial is not None:
        writer.writerow(BatchResult("", PARTIAL, error=partial).row())
    return out.getvalue().encode("utf-8")


def write_summary(
    results: Iterable[BatchResult],
    path: Path,
    *,
    force: bool = False,
    partial: str | None = None,
) -> None:
    """Write the summary table, whole or not at all (report paths relative to it).

    An existing file is replaced only with ``force``, and only if it is a regular file
    (a link or device raises :class:`~cramp.files.NotRegularFileError`).
    """
    from cramp.files import write_atomically

    data = summary_csv(results, path.parent, partial=partial)
    write_atomically(path, data, replace=force)


# --- running ---------------------------------------------------------------------------


def run_batch(
    inputs: Iterable[BatchInput],
    out_dir: Path,
    *,
    fmt: str = "html",
    kb_dir: Path | str | None = None,
    kb: KnowledgeBase | None = None,
    jobs: int | None = None,
    force: bool = False,
    on_result: Callable[[BatchResult], None] | None = None,
    stop: Stop | None = None,
) -> BatchRun:
    """Write a ``fmt`` report per input into ``out_dir``; return the results in input order.

    ``jobs`` worker processes (default: one per core; 1 runs in this process) each have
    the knowledge base from ``kb_dir`` (default: the bundled one; ``kb`` if already
    loaded, which forked workers share). ``on_result`` is called as each runner
    finishes, in completion order (for a progress bar). When ``stop`` is set (see
    :func:`~cramp.workers.stop_on_signals`) the workers are stopped at once and the
    run returns what finished; a source that turns out too large ends it the same way.
    """
    from cramp.files import sync_directory
    from cramp.workers import Stop, WorkerPool
    from explain.report import check_format

    check_format(fmt)
    jobs = max(1, jobs or os.cpu_count() or 1)
    stop = stop if stop is not None else Stop()
    run = BatchRun()
    if kb is not None:
        _LOADED[_key(kb_dir)] = kb
    # Loaded and compiled here, once: in this process, or inherited by forked workers.
    _start_worker(kb_dir, fmt, force)
    tasks = _tasks(inputs, out_dir, fmt, run)
    results: dict[int, BatchResult] = {}

    def done(index: int, result: BatchResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    if jobs == 1:
        for index, task in tasks:
            if stop:
                break
            done(index, _work(task))
    else:

        def died(task: tuple[int, Any], why: str) -> None:
            index, (item, _target) = task
            done(index, BatchResult(item.label, "error", error=f"{item.label}: {why}"))

        pool = WorkerPool(jobs, _work, _start_worker, (kb_dir, fmt, force, True))
        pool.run(tasks, done, died, stop)
    if any(r.ok for r in results.values()):
        # Each report was written whole (its file synced before taking its name); one
        # sync of the directory now keeps every new name, as one per report did.
        sync_directory(out_dir)
    run.results = [results[i] for i in sorted(results)]
    run.signal = stop.signal
    return run


def _tasks(
    inputs: Iterable[BatchInput], out_dir: Path, fmt: str, run: BatchRun
) -> Iterator[tuple[int, tuple[BatchInput, Path]]]:
    """Numbered tasks; a source that fails part-way is recorded in ``run`` and ends them."""
    from knowledge.problems import printable

    iterator = iter(inputs)
    index = 0
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except (BatchError, OSError) as exc:
            run.source_error = printable(getattr(exc, "strerror", None) or exc)
            return
        if index == 0:  # made only once there is a runner to report on
            out_dir.mkdir(parents=True, exist_ok=True)
        yield index, (item, out_dir / f"{item.stem}.{fmt}")
        index += 1


def _key(kb_dir: Path | str | None) -> str | None:
    return None if kb_dir is None else str(kb_dir)


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

    key = _key(kb_dir)
    kb = _LOADED.get(key)
    if kb is None:
        kb = _LOADED[key] = load_knowledge_base(kb_dir)
    Reasoner.for_kb(kb)
    if own_process:
        gc.freeze()
    else:
        # One report made in memory: every lazy import (networkx...) and compiled
        # template is then ready here, and in every worker forked from here.
        from explain.build import report_context
        from explain.report import render_report
        from knowledge import Profile

        render_report(report_context(kb, Profile()), fmt)
    _WORKER.update(kb=kb, fmt=fmt, force=force)


def _work(task: tuple[BatchInput, Path]) -> BatchResult:
    """One runner's report, in whichever process runs it; never raises for the runner."""
    item, target = task
    try:
        return _report_one(item, target)
    except Exception as exc:  # one runner's failure must not stop the batch
        return BatchResult(item.label, "error", error=f"{item.label}: {type(exc).__name__}")


def _shorter(text: str | None, limit: int = MAX_ERROR_CHARS) -> str | None:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _report_one(item: BatchInput, target: Path) -> BatchResult:
    """Reason about one profile and write its report; problems become the result."""
    from cramp.files import NotRegularFileError
    from knowledge import ProblemsError, load_profile_text
    from knowledge.problems import printable
    from knowledge.profile import MAX_PROFILE_BYTES
    from knowledge.yaml_io import TooLargeError, read_limited

    kb: KnowledgeBase = _WORKER["kb"]
    shown = printable(item.path)
    if item.problem is not None:
        return BatchResult(item.label, "invalid", error=printable(item.problem))
    try:
        raw: str | bytes = (
            item.text if item.text is not None else read_limited(item.path, MAX_PROFILE_BYTES)
        )
        profile = load_profile_text(raw, kb, str(item.path))
    except ProblemsError as exc:
        # A JSON line is parsed on its own: move its problems to its line in the file.
        problems = [replace(p, line=p.line + item.line - 1) for p in exc.problems]
        return BatchResult(item.label, "invalid", error=_shorter("; ".join(map(str, problems))))
    except TooLargeError as exc:
        return BatchResult(item.label, "invalid", error=f"{shown}: {exc.describe('a profile')}")
    except OSError as exc:
        why = printable(exc.strerror or exc)
        return BatchResult(item.label, "invalid", error=f"{shown}: cannot read: {why}")
    shown = printable(target)
    try:
        return _report(kb, item, profile, target)
    except NotRegularFileError as exc:
        error: str | None = f"{shown}: {exc.strerror}; cramp writes only regular files or new names"
    except FileExistsError:
        error = f"{shown}: already exists; use --force to overwrite it"
    except OSError as exc:
        error = f"{shown}: cannot write: {printable(exc.strerror or exc)}"
    except Exception as exc:  # one runner's failure must not stop the batch
        error = _shorter(printable(f"{item.label}: {type(exc).__name__}: {exc}"))
    return BatchResult(
        item.label, "error", name=_shorter(profile.name, MAX_NAME_CHARS), error=error
    )


def _report(kb: KnowledgeBase, item: BatchInput, profile: Any, target: Path) -> BatchResult:
    from expert.conclusions import diagnose_run
    from expert.engine import Reasoner
    from explain.build import context_for_run

    from .report import report_target, write_context

    fmt, force = _WORKER["fmt"], _WORKER["force"]
    report_target(target, fmt, force=force)  # refused before reasoning, not after
    # One run gives both the summary row and the report.
    run = Reasoner.for_kb(kb).run(profile)
    diagnosis = diagnose_run(kb, run)
    # The directory is synced once, after the last report (see run_batch).
    write_context(
        context_for_run(kb, run, diagnosis), target, fmt, force=force, sync_directory=False
    )
    top = next((c.id for c in diagnosis.causes if c.status != "contradicted"), None)
    return BatchResult(
        item.label,
        "ok",
        name=_shorter(profile.name, MAX_NAME_CHARS),
        triage=diagnosis.triage.tier,
        top_cause=top,
        advice=len(diagnosis.advice),
        report=target,
    )
