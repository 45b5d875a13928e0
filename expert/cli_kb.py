"""``cramp kb``: commands for people who read and write the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ._cli_support import EXIT_ERROR, fail, load_kb, printable


@click.group()
def kb() -> None:
    """Inspect and validate the knowledge base (the bundled one, or --kb DIR)."""


@kb.command()
@click.option(
    "--sources",
    "seeds",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help=(
        "Directory of the articles' seed files; check every quote is verbatim in its "
        "article (SAFETY-NET.md is also looked for in DIR's parent)."
    ),
)
@click.pass_context
def lint(ctx: click.Context, seeds: Path | None) -> None:
    """Validate the knowledge base and report every problem as path:line:col: message.

    Beyond the format, it reports claims no runner's answers can ever trigger
    (honouring each question's ask_if) and questions no claim tests. With
    --sources, every quote must appear verbatim in its article, up to whitespace
    and typographic quotes. Problems go to standard output; exit status 1 if any.

    \b
    Examples:
      cramp kb lint
      cramp kb lint --sources ../shared/seeds
      cramp --kb ./my-knowledge kb lint
    """
    from knowledge.lint import lint_knowledge_base

    result = lint_knowledge_base(ctx.find_root().params.get("kb_dir"), seeds=seeds)
    for problem in result.problems:
        click.echo(str(problem))
    if not result.ok:
        fail(f"{len(result.problems)} problem(s)", EXIT_ERROR)
    base = result.kb
    assert base is not None
    verified = f", {result.quotes_checked} quotes verified" if seeds is not None else ""
    click.echo(
        f"ok: {len(base.sources)} sources, {len(base.claims)} claims, "
        f"{len(base.questions)} questions, {len(base.theories)} theories, "
        f"{len(base.advice)} pieces of advice, {len(base.conflicts)} conflicts{verified} "
        f"(version {base.version}, {base.short_hash})"
    )


@kb.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.pass_context
def coverage(ctx: click.Context, fmt: str) -> None:
    """Claims per source and kind, and every conflict between the sources.

    Conflicts are theories one source supports and another disputes (with the
    disputing source's reason), advice that cannot both be followed, and advice
    one source disputes.

    \b
    Example:
      cramp kb coverage --format json
    """
    from knowledge.coverage import coverage as compute
    from knowledge.coverage import render_coverage

    cov = compute(load_kb(ctx))
    if fmt == "json":
        click.echo(json.dumps(cov.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_coverage(cov), nl=False)


@kb.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("-"),
    show_default=True,
    metavar="FILE",
    help="Where to write the Markdown (- for standard output).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite FILE even if `cramp kb docs` did not write it."
)
@click.pass_context
def docs(ctx: click.Context, output: Path, force: bool) -> None:
    """Write the knowledge base as a Markdown document for runners and authors.

    Sources with their bias and voice, theories with the claims for and against,
    advice by phase, conflicts, gaps and the question vocabulary. The repository
    keeps a generated copy in docs/knowledge-base.md; a test fails when it is stale.
    FILE is replaced at once if this command wrote it before; any other existing
    file is kept unless --force is given.

    \b
    Example:
      cramp kb docs -o docs/knowledge-base.md
    """
    from explain.kb_docs import render_kb_docs

    text = render_kb_docs(load_kb(ctx))
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    from explain.kb_docs import is_generated_docs
    from explain.report import write_atomically

    from .cli_report import output_errors

    with output_errors(str(output)):
        output.parent.mkdir(parents=True, exist_ok=True)
        # Regenerating its own output is what this command is for; anything else at
        # FILE may be someone's work.
        replace = force or is_generated_docs(output)
        if output.exists() and not replace:
            raise FileExistsError(str(output))
        write_atomically(output, text.encode("utf-8"), force=replace)
    click.echo(printable(f"wrote {output}"), err=True)


@kb.command()
@click.pass_context
def questions(ctx: click.Context) -> None:
    """List the question vocabulary: ids, types and allowed answers.

    A profile answers these by id; `unknown` is always allowed.
    """
    base = load_kb(ctx)
    section = None
    for q in base.questions.values():
        if q.section != section:
            section = q.section
            click.echo(f"\n# {section}")
        if q.type == "number":
            allowed = f"number, {q.unit}, {q.min:g} to {q.max:g}"
        elif q.type == "yesno":
            allowed = "yes | no"
        elif q.type == "multi":
            allowed = "list of: " + ", ".join(q.values)
        else:
            allowed = " | ".join(q.values)
        click.echo(f"{q.id}: {allowed}")
        click.echo(f"    {q.prompt}")
