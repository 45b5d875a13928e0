"""``cramp report`` and ``cramp explain``: documents and explanations for one profile."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cramp.cli.support import (
    EXIT_ERROR,
    fail,
    format_option,
    load_engine,
    load_profile,
    printable,
    same_file,
    write_stdout,
)


@click.command()
@click.argument("profile", metavar="PROFILE")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    help="File to write (`-` for standard output); .md, .html or .json picks the format.",
)
@format_option(["md", "html", "json"], "Report format, when FILE's extension does not say it.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it already exists.")
@click.option(
    "--template-dir",
    type=click.Path(exists=True, file_okay=False),
    metavar="DIR",
    help=(
        "Templates that replace the shipped ones by name (report.md.j2, report.html.j2); "
        "they can extend them as default:report.html.j2."
    ),
)
@click.pass_context
def report(
    ctx: click.Context,
    profile: str,
    output: str,
    fmt: str | None,
    force: bool,
    template_dir: str | None,
) -> None:
    """Write a full report for a runner's answers: Markdown, HTML or JSON.

    The triage comes first, with what the answers point to (the findings), the warning
    signs not checked yet, and the disclaimer; then any advice not advised for the
    runner now, with the reason; then the likely causes with the sources for and
    against each, what to do, the derivation graph, the sources with the quotes used,
    the answers, and the knowledge-base version. The HTML report is one file with no
    scripts that loads nothing from the network; the JSON report follows the schema
    shipped as explain/schema/report.schema.json. An existing FILE is never replaced
    without --force, and a report appears whole or not at all.

    \b
    Examples:
      cramp report examples/long-hot-run.yaml -o report.html
      cramp report profile.yaml -o report.md
      cramp report profile.yaml -o - --format json | jq .triage
      cramp report profile.yaml -o club.html --template-dir my-templates
    """
    from cramp.report import write_report
    from explain.build import report_context
    from explain.report import render_report

    kb = load_engine(ctx)
    answers = load_profile(ctx, profile)
    if output != "-" and same_file(output, profile):
        # Even with --force: the runner's answers are the one thing that cannot be rebuilt.
        fail(f"-o {output}: that is the profile being read; give the report another name")
    if output == "-":
        if fmt is None:
            fail("-o -: give --format md, html or json when writing to standard output")
        with template_errors(template_dir):
            text = render_report(report_context(kb, answers), fmt, template_dir)
        write_stdout(text)
        return
    with output_errors(output), template_errors(template_dir):
        written = write_report(
            kb, answers, Path(output), fmt, force=force, template_dir=template_dir
        )
    size = written.stat().st_size
    click.echo(printable(f"wrote {written} ({fmt or written.suffix.lstrip('.')}, {size} bytes)"))


@contextmanager
def template_errors(template_dir: str | None) -> Iterator[None]:
    """A custom template that fails is one line naming it, its line and the error."""
    if template_dir is None:
        yield
        return
    import jinja2

    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        fail(f"--template-dir {template_dir}: {exc.name}:{exc.lineno}: {exc.message}")
    except jinja2.TemplateError as exc:
        fail(f"--template-dir {template_dir}: the template failed: {exc.message or exc}")


@click.command()
@click.argument("profile", metavar="PROFILE")
@click.argument("item", metavar="ITEM")
@click.option(
    "--why-not",
    is_flag=True,
    help="Explain why ITEM did not fire and the smallest change of answers that would.",
)
@click.pass_context
def explain(ctx: click.Context, profile: str, item: str, why_not: bool) -> None:
    """How one conclusion was reached (or, with --why-not, why it was not).

    ITEM is a cause (a theory id such as `dehydration`), a piece of advice (such as
    `rest_few_days`), a finding (`finding:possible_clot`, or the bare finding id when
    no cause or advice has that id), `triage` for the triage level, or `triage:TIER`
    (emergency, urgent, see_doctor, self_care). *How* lists every answer the
    conclusion rests on, the findings it goes through, every rule that fired with its
    claim, source and words (and what it needed to be absent), and for a cause the
    arithmetic of its standing. *Why not* lists each claim (or each clause of a
    finding) that could have produced it with the state of each test, following a
    finding that does not hold into its own clauses; for advice a finding withholds,
    the finding and its reason; and the smallest change of answers that makes it fire,
    checked by running the engine on the changed answers.

    \b
    Examples:
      cramp explain examples/night-cramps-after-hard-week.yaml insufficient_recovery
      cramp explain examples/night-cramps-after-hard-week.yaml dehydration --why-not
      cramp explain examples/red-flag-calf-tear.yaml finding:tear_grade_3
      cramp explain profile.yaml triage:urgent --why-not
    """
    from expert.engine import Reasoner
    from explain.how import explain_how
    from explain.items import UnknownItem, resolve_item
    from explain.render import render_how, render_why_not
    from explain.why_not import explain_why_not

    kb = load_engine(ctx)
    try:
        target = resolve_item(kb, item)
    except UnknownItem as exc:
        fail(f"ITEM: {exc}")
    answers = load_profile(ctx, profile)
    run = Reasoner.for_kb(kb).run(answers)
    # The file name is echoed in the output: never let it carry escapes or line breaks.
    command = printable(f"{ctx.command_path} {shlex.quote(profile)}")
    if why_not:
        text = render_why_not(explain_why_not(kb, run, target), command=command)
    else:
        text = render_how(explain_how(kb, run, target), command=command)
    from explain.terminal import format_report

    write_stdout(format_report(text))


@contextmanager
def output_errors(output: str) -> Iterator[None]:
    """Turn a failure to write ``output`` into one line on stderr and an exit status."""
    from cramp.files import NotRegularFileError

    try:
        yield
    except NotRegularFileError as exc:
        fail(f"{exc}; `-o -` writes to standard output")
    except FileExistsError:
        fail(f"{output}: already exists; use --force to overwrite it")
    except ValueError as exc:
        fail(str(exc))
    except IsADirectoryError:
        fail(f"{output}: is a directory; expected a file name")
    except FileNotFoundError:
        fail(f"{output}: cannot write: directory {str(Path(output).parent)!r} does not exist")
    except PermissionError:
        fail(f"{output}: cannot write: permission denied", EXIT_ERROR)
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror or exc}", EXIT_ERROR)
