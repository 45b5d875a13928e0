"""``cramp kb``: commands for people who read and write the knowledge base."""

from __future__ import annotations

import click

from ._cli_support import EXIT_ERROR, fail


@click.group()
def kb() -> None:
    """Inspect and validate the knowledge base (the bundled one, or --kb DIR)."""


@kb.command()
@click.pass_context
def lint(ctx: click.Context) -> None:
    """Validate the knowledge base and report every problem as path:line:col.

    \b
    Example:
      cramp --kb ./my-knowledge lint
    """
    from knowledge import ProblemsError, load_knowledge_base

    directory = ctx.find_root().params.get("kb_dir")
    try:
        base = load_knowledge_base(directory)
    except ProblemsError as exc:
        fail([str(p) for p in exc.problems] + [f"{len(exc.problems)} problem(s)"], EXIT_ERROR)
    click.echo(
        f"ok: {len(base.sources)} sources, {len(base.claims)} claims, "
        f"{len(base.questions)} questions, {len(base.theories)} theories, "
        f"{len(base.advice)} pieces of advice, {len(base.conflicts)} conflicts "
        f"(version {base.version}, {base.short_hash})"
    )


@kb.command()
@click.pass_context
def questions(ctx: click.Context) -> None:
    """List the question vocabulary: ids, types and allowed answers.

    A profile answers these by id; `unknown` is always allowed.
    """
    from ._cli_support import load_kb

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
