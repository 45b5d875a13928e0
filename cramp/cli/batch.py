"""``cramp batch``: reports for many runners at once, for a coach with many athletes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cramp.cli.support import (
    EXIT_ERROR,
    EXIT_INPUT,
    EXIT_OK,
    fail,
    format_option,
    load_kb,
    printable,
)

if TYPE_CHECKING:
    from cramp.batch import BatchInput
    from knowledge import KnowledgeBase

#: The most worker processes even --force-jobs starts.
MAX_JOBS = 256


@click.command()
@click.argument("source", metavar="SOURCE")
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    metavar="DIR",
    help="Directory for the reports and summary.csv (created if missing).",
)
@format_option(["html", "md", "json"], "Report format.", default="html")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1, max=MAX_JOBS),
    metavar="N",
    help="Worker processes (default: one per core; at most one per core without --force-jobs).",
)
@click.option(
    "--force-jobs",
    is_flag=True,
    help=f"Run more worker processes than there are cores (at most {MAX_JOBS}).",
)
@click.option("--force", is_flag=True, help="Overwrite reports and a summary already in DIR.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no closing line.")
@click.pass_context
def batch(
    ctx: click.Context,
    source: str,
    out_dir: str,
    fmt: str,
    jobs: int | None,
    force_jobs: bool,
    force: bool,
    quiet: bool,
) -> None:
    """Reports for many runners: a directory of profiles or a JSON-lines file.

    SOURCE is a directory of profile files (*.yaml, *.yml, *.json), one runner each,
    or a JSON-lines file with one profile object per line (at most 1 MB a line,
    100 MB in all). Each runner gets a report in DIR named after its file without
    the ending (anna.yaml: anna.html) or, where two files would share that name,
    after the whole file name (anna.yaml.html, anna.json.html); a JSON-lines runner is
    named after the file and line number (squad-00003.html). DIR/summary.csv lists
    every runner with its triage tier, top cause, number of pieces of advice, report
    file, and status (ok, invalid or error) with the error. A profile that is invalid
    is reported on stderr (one line each) and skipped; the others go on.

    DIR may not be the directory of the profiles (nor hold the JSON-lines file), even
    with --force. Ctrl-C or SIGTERM stops at once: the reports written are kept and
    summary.csv lists them, ending with a row whose status is "partial".

    \b
    Examples:
      cramp batch athletes/ -o reports/
      cramp batch athletes.jsonl -o reports/ --format json --jobs 4

    Exit status: 0 every report written; 2 some profiles were invalid (skipped), or
    the batch was refused; 1 an error, such as a report that could not be written;
    130 (Ctrl-C) or 143 (SIGTERM) stopped, with a partial summary.
    """
    from cramp.batch import BatchError, check_outputs, count_runners, iter_inputs

    kb = load_kb(ctx)  # an invalid knowledge base stops here, once, with its problems
    src = Path(source)
    inputs: Iterable[BatchInput]
    total: int | None
    try:
        if src.is_dir():
            inputs = list(iter_inputs(src))
            total = len(inputs)
        else:
            total = count_runners(src)
            inputs = iter_inputs(src)
    except BatchError as exc:
        fail(str(exc))
    except FileNotFoundError:
        fail(f"{source}: no such file or directory; expected profiles or a JSON-lines file")
    except OSError as exc:
        fail(f"{source}: cannot read: {exc.strerror or exc}")
    if total == 0:
        fail(f"{source}: no profiles found (*.yaml, *.yml, *.json files, or JSON lines)")
    out = Path(out_dir)
    summary = out / "summary.csv"
    if out.exists() and not out.is_dir():
        fail(f"{out_dir}: exists and is not a directory")
    _check_summary(summary, force)
    try:
        listed = inputs if isinstance(inputs, list) else []
        check_outputs(src, listed, out, fmt, summary)
    except BatchError as exc:
        fail(str(exc))
    jobs = _jobs(jobs, force_jobs, total, quiet)
    _run(ctx, kb, source, inputs, total, out, summary, fmt, jobs, force, quiet)


def _check_summary(summary: Path, force: bool) -> None:
    """Refuse a summary.csv that exists (without --force) or is not a regular file."""
    from cramp.files import not_regular

    if not os.path.lexists(summary):
        return
    if not force:
        fail(f"{summary}: already exists; use --force to overwrite it")
    kind = not_regular(summary)
    if kind is not None:
        fail(f"{summary}: is {kind}, not a regular file; cramp writes only regular files")


def _jobs(jobs: int | None, force_jobs: bool, total: int | None, quiet: bool) -> int:
    """Worker processes: one per core by default, no more than the cores unless forced."""
    cores = os.cpu_count() or 1
    if jobs is None:
        jobs = cores
    elif jobs > cores and not force_jobs:
        if not quiet:
            click.echo(
                f"cramp: -j {jobs} is more than the {cores} cores; running {cores} worker "
                f"processes (--force-jobs runs {jobs})",
                err=True,
            )
        jobs = cores
    return max(1, min(jobs, total)) if total else jobs


def _run(
    ctx: click.Context,
    kb: KnowledgeBase,
    source: str,
    inputs: Iterable[BatchInput],
    total: int | None,
    out: Path,
    summary: Path,
    fmt: str,
    jobs: int,
    force: bool,
    quiet: bool,
) -> None:
    from cramp.batch import run_batch, write_summary
    from cramp.files import NotRegularFileError
    from cramp.workers import stop_on_signals

    kb_dir = ctx.find_root().params.get("kb_dir")
    show = not quiet and total is not None and sys.stderr.isatty()
    bar = click.progressbar(length=total or 0, label="Reports", file=sys.stderr) if show else None
    with stop_on_signals() as stop:
        try:
            with bar or contextlib.nullcontext():
                run = run_batch(
                    inputs,
                    out,
                    fmt=fmt,
                    kb_dir=kb_dir,
                    kb=kb,
                    jobs=jobs,
                    force=force,
                    on_result=(lambda _result: bar.update(1)) if bar else None,
                    stop=stop,
                )
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror or exc}", EXIT_ERROR)
        if not run.results and run.source_error:
            fail(run.source_error)
        if not run.results and run.signal is None:
            fail(f"{source}: no profiles found (*.yaml, *.yml, *.json files, or JSON lines)")
        try:
            write_summary(run.results, summary, force=force, partial=run.partial)
        except NotRegularFileError as exc:
            fail(f"{summary}: {exc.strerror}; cramp writes only regular files or new names")
        except FileExistsError:
            fail(f"{summary}: already exists (it appeared during the run); use --force")
        except OSError as exc:
            fail(f"{summary}: cannot write: {exc.strerror or exc}", EXIT_ERROR)

    results = run.results
    for result in results:
        if not result.ok:
            click.echo(f"cramp: {printable(result.error)}", err=True)
    written = sum(r.ok for r in results)
    invalid = sum(r.status == "invalid" for r in results)
    errors = sum(r.status == "error" for r in results)
    if run.signal is not None:
        name = signal.Signals(run.signal).name
        click.echo(
            printable(
                f"cramp: stopped by {name} after {_count(len(results), 'runner')} "
                f"({written} reports written); {summary} lists them and is marked partial"
            ),
            err=True,
        )
        sys.exit(128 + run.signal)
    if run.source_error is not None:
        click.echo(
            f"cramp: {printable(run.source_error)}; {printable(summary)} is partial", err=True
        )
    if not quiet:
        click.echo(
            printable(
                f"wrote {written} of {len(results)} reports ({fmt}) and {summary}"
                + (f"; {_count(invalid, 'invalid profile')} skipped" if invalid else "")
                + (f"; {_count(errors, 'error')}" if errors else "")
            )
        )
    failed = EXIT_INPUT if invalid or run.source_error else EXIT_OK
    sys.exit(EXIT_ERROR if errors else failed)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
