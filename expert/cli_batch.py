"""``cramp batch``: reports for many runners at once, for a coach with many athletes."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from ._cli_support import EXIT_ERROR, EXIT_INPUT, EXIT_OK, fail, load_kb


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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "json"]),
    default="html",
    show_default=True,
    help="Report format.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes (default: one per core).",
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
    force: bool,
    quiet: bool,
) -> None:
    """Reports for many runners: a directory of profiles or a JSON-lines file.

    SOURCE is a directory of profile files (*.yaml, *.yml, *.json), one runner each,
    or a JSON-lines file with one profile object per line. Each runner gets a report
    in DIR named after its file (or after the JSON-lines file and line number), and
    DIR/summary.csv lists every runner with its triage tier, top cause, number of
    pieces of advice, report file, and status (ok, invalid or error) with the error.
    Work is spread over all cores; a progress bar shows on a terminal. A profile that
    is invalid is reported on stderr (one line each) and skipped; the others go on.

    \b
    Examples:
      cramp batch athletes/ -o reports/
      cramp batch athletes.jsonl -o reports/ --format json --jobs 4

    Exit status: 0 every report written; 2 some profiles were invalid (skipped);
    1 an error, such as a report that could not be written.
    """
    from explain.batch import batch_inputs, run_batch, write_summary

    load_kb(ctx)  # an invalid knowledge base stops here, once, with its problems
    src = Path(source)
    try:
        inputs = batch_inputs(src)
    except FileNotFoundError:
        fail(f"{source}: no such file or directory; expected profiles or a JSON-lines file")
    except UnicodeDecodeError:
        fail(f"{source}: not UTF-8 text; expected a JSON-lines file")
    except OSError as exc:
        fail(f"{source}: cannot read: {exc.strerror or exc}")
    if not inputs:
        fail(f"{source}: no profiles found (*.yaml, *.yml, *.json files, or JSON lines)")
    out = Path(out_dir)
    summary = out / "summary.csv"
    if summary.exists() and not force:
        fail(f"{summary}: already exists; use --force to overwrite it")
    if out.exists() and not out.is_dir():
        fail(f"{out_dir}: exists and is not a directory")

    kb_dir = ctx.find_root().params.get("kb_dir")
    show = not quiet and sys.stderr.isatty()
    bar = click.progressbar(length=len(inputs), label="Reports", file=sys.stderr) if show else None
    try:
        with bar or contextlib.nullcontext():
            results = run_batch(
                inputs,
                out,
                fmt=fmt,
                kb_dir=kb_dir,
                jobs=jobs,
                force=force,
                on_result=(lambda _result: bar.update(1)) if bar else None,
            )
        write_summary(results, summary)
    except OSError as exc:
        fail(f"{out_dir}: cannot write: {exc.strerror or exc}", EXIT_ERROR)

    for result in results:
        if not result.ok:
            click.echo(f"cramp: {result.error}", err=True)
    written = sum(r.ok for r in results)
    invalid = sum(r.status == "invalid" for r in results)
    errors = sum(r.status == "error" for r in results)
    if not quiet:
        click.echo(
            f"wrote {written} of {len(results)} reports ({fmt}) and {summary}"
            + (f"; {_count(invalid, 'invalid profile')} skipped" if invalid else "")
            + (f"; {_count(errors, 'error')}" if errors else "")
        )
    sys.exit(EXIT_ERROR if errors else EXIT_INPUT if invalid else EXIT_OK)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
