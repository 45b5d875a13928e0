"""``cramp kb``: commands for people who read and write the knowledge base."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cramp.cli.support import EXIT_ERROR, fail, format_option, load_kb, printable, write_stdout


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
    from explain.safe_text import for_terminal_line
    from knowledge.lint import lint_knowledge_base

    result = lint_knowledge_base(ctx.find_root().params.get("kb_dir"), seeds=seeds)
    write_stdout("".join(f"{problem}\n" for problem in result.problems))
    if not result.ok:
        fail(f"{len(result.problems)} problem(s)", EXIT_ERROR)
    base = result.kb
    assert base is not None
    verified = f", {result.quotes_checked} quotes verified" if seeds is not None else ""
    write_stdout(
        f"ok: {len(base.sources)} sources, {len(base.claims)} claims, "
        f"{len(base.questions)} questions, {len(base.theories)} theories, "
        f"{len(base.advice)} pieces of advice, {len(base.conflicts)} conflicts, "
        f"{len(base.findings)} findings, {len(base.policy)} safety-policy rules{verified} "
        f"(version {for_terminal_line(base.version)}, {base.short_hash})\n"
    )


@kb.command()
@format_option(["text", "json"], "Output format.", default="text")
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
    from explain.safe_text import for_terminal, json_text
    from knowledge.coverage import coverage as compute
    from knowledge.coverage import render_coverage

    cov = compute(load_kb(ctx, reasoning=False))
    if fmt == "json":
        write_stdout(json_text(cov.to_dict()) + "\n")
    else:
        write_stdout(for_terminal(render_coverage(cov)))


@kb.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),
    default="-",
    show_default=True,
    metavar="FILE|DIR/",
    help=(
        "Where to write: a Markdown file, a directory of pages (a name ending in / or an "
        "existing directory), or - for standard output."
    ),
)
@click.option(
    "--force", is_flag=True, help="Overwrite files even if `cramp kb docs` did not write them."
)
@click.pass_context
def docs(ctx: click.Context, output: str, force: bool) -> None:
    """Write the knowledge base as Markdown for runners and authors.

    Sources with their bias and voice, theories with the claims for and against,
    advice by phase, conflicts, gaps and the question vocabulary. To a directory
    (DIR/), it writes linked pages: index.md, one page per source with every claim
    and its quote (sources/ID.md), and triage.md, theories.md, advice.md,
    conflicts.md and questions.md; pages it wrote before and no longer writes are
    removed. To a FILE, or standard output, the same in one document. The
    repository keeps the pages in docs/knowledge-base/; a test fails when they are
    stale. Files this command wrote before are replaced at once, each atomically;
    any other existing file is kept unless --force is given.

    \b
    Examples:
      cramp kb docs -o docs/knowledge-base/
      cramp kb docs -o knowledge-base.md
    """
    from cramp.cli.report import output_errors

    if output != "-" and (output.endswith(("/", os.sep)) or os.path.isdir(output)):
        from cramp.kb_pages import pages_in_the_way, write_kb_pages
        from explain.kb_docs import render_kb_pages

        directory = Path(output)
        pages = render_kb_pages(load_kb(ctx, reasoning=False))
        if not force and (blocked := pages_in_the_way(directory, pages)):
            fail(f"{blocked[0]}: already exists; use --force to overwrite it")
        with output_errors(output):
            written, removed = write_kb_pages(directory, pages, force=force)
        gone = f", removed {len(removed)} no longer generated" if removed else ""
        click.echo(printable(f"wrote {len(written)} pages to {output}{gone}"), err=True)
        return
    from explain.kb_docs import render_kb_docs

    text = render_kb_docs(load_kb(ctx, reasoning=False))
    if output == "-":
        write_stdout(text)
        return
    from cramp.files import write_atomically
    from cramp.kb_pages import is_generated_docs

    target = Path(output)
    with output_errors(output):
        target.parent.mkdir(parents=True, exist_ok=True)
        # Regenerating its own output is what this command is for; anything else at
        # FILE may be someone's work.
        replace = force or is_generated_docs(target)
        if target.exists() and not replace:
            raise FileExistsError(output)
        write_atomically(target, text.encode("utf-8"), replace=replace)
    click.echo(printable(f"wrote {output}"), err=True)


@kb.command()
@click.pass_context
def questions(ctx: click.Context) -> None:
    """List the question vocabulary: ids, types and allowed answers.

    A profile answers these by id; `unknown` is always allowed.
    """
    from explain.safe_text import for_terminal_line as line

    base = load_kb(ctx)
    section = None
    out = []
    for q in base.questions.values():
        if q.section != section:
            section = q.section
            out.append(f"\n# {line(section)}")
        if q.type == "number":
            allowed = f"number, {q.unit}, {q.min:g} to {q.max:g}"
        elif q.type == "yesno":
            allowed = "yes | no"
        elif q.type == "multi":
            allowed = "list of: " + ", ".join(q.values)
        else:
            allowed = " | ".join(q.values)
        out.append(f"{q.id}: {line(allowed)}")
        # Another author's knowledge base: its text is inert on a terminal.
        out.append(f"    {line(q.prompt)}")
    write_stdout("".join(f"{text}\n" for text in out))


@kb.command()
@click.pass_context
def build(ctx: click.Context) -> None:
    """Validate the knowledge base and write its compiled image.

    Commands read the image instead of the YAML while no knowledge file changes, and
    write it themselves when it is missing; this writes it on purpose (say, when
    installing). It goes to --cache-dir, else $XDG_CACHE_HOME/cramp.

    \b
    Example:
      cramp kb build
    """
    import time

    from cramp.cli.support import image_store, load_source, prepare_image, user_path
    from knowledge.digest import default_directory
    from knowledge.image import image_key, write_image
    from knowledge.trust import TrustError

    store = image_store(ctx)
    if store is None:
        fail("compiled images are turned off by $CRAMP_NO_CACHE; unset it to build one")
    directory = ctx.find_root().params.get("kb_dir")
    root = user_path(directory, "--kb") if directory is not None else default_directory()
    started = time.perf_counter()
    base = load_source(directory)
    keep = prepare_image(base)
    key = image_key(root)
    path = store.path_for(key)
    try:
        size = write_image(path, base, key, keep)
    except TrustError as exc:
        fail(f"cannot write the image: {exc}", EXIT_ERROR)
    except OSError as exc:
        fail(f"cannot write the image to {store.directory}: {exc.strerror or exc}", EXIT_ERROR)
    took = time.perf_counter() - started
    write_stdout(
        f"wrote {printable(path)} ({size / 1e6:.2f} MB) for knowledge base version "
        f"{printable(base.version)} ({base.short_hash}) in {took:.2f} s\n"
    )


@kb.command("test")
@click.argument(
    "directory",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="[DIR]",
)
@click.option(
    "--profile",
    type=click.Choice(["ci", "thorough"]),
    default="ci",
    show_default=True,
    help="ci: the same 100 runners per invariant every run; thorough: 2,000 random ones.",
)
@click.option(
    "--examples",
    type=click.IntRange(min=1),
    metavar="N",
    help="Runners per invariant, instead of the profile's number.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="NAME",
    help="Check only this invariant (repeat for several).",
)
@click.option("--list", "list_", is_flag=True, help="List the invariants and exit.")
@click.option(
    "--coverage",
    "coverage_",
    is_flag=True,
    help=(
        "Instead of the invariants: list the claims, findings and advice no generated "
        "runner reached, and the conditions no runner made both true and false."
    ),
)
@click.option(
    "--mutations",
    is_flag=True,
    help=(
        "Instead of the invariants: run the mutation suite (mutations.yaml) through lint, "
        "kb test and kb diff, and report the score and every survivor."
    ),
)
@click.option(
    "--runners",
    type=click.IntRange(min=1),
    metavar="N",
    help="Generated runners for --coverage (default 200) and each kb diff of --mutations (100).",
)
@click.option(
    "--mutant",
    multiple=True,
    metavar="NAME",
    help="With --mutations: run only this mutation (repeat for several).",
)
@format_option(["text", "json"], "Output format of --coverage.", default="text")
@click.pass_context
def test_command(
    ctx: click.Context,
    directory: Path | None,
    profile: str,
    examples: int | None,
    only: tuple[str, ...],
    list_: bool,
    coverage_: bool,
    mutations: bool,
    runners: int | None,
    mutant: tuple[str, ...],
    fmt: str,
) -> None:
    """Check the knowledge base's invariants on generated runners.

    DIR is a knowledge-base directory (default: --kb, else the bundled one). Each
    invariant is a property checked on many runners that Hypothesis generates
    from the question vocabulary: recommendations cite quoted sources, red flags
    refer first and never lower the triage, both sides of a disagreement are
    shown, unknown answers fire nothing, answer order is irrelevant, no advice
    breaks a safety rule, every claim can fire and every question matters, the
    derivation graph is grounded in answers, and (with clipspy installed) an
    independent CLIPS engine agrees with experta. A broken invariant prints the
    smallest runner that breaks it, as a profile to paste into `cramp explain`.
    Exit status 1 if any invariant is broken.

    \b
    Examples:
      cramp kb test
      cramp kb test ./my-knowledge --profile thorough
      cramp kb test --list
      cramp kb test --only safety-rules-hold --examples 500
      cramp kb test --coverage
      cramp kb test --mutations
    """
    import shlex
    import time

    try:
        from hypothesis import settings
    except ImportError:
        fail(
            "cramp kb test needs the hypothesis package: pip install 'cramp-expert[authoring]'",
            EXIT_ERROR,
        )
    from cramp.authoring.invariant_suite import (
        PROFILES,
        check_all,
        format_failure,
        outcome_line,
        summary_line,
    )
    from cramp.authoring.invariants import INVARIANTS, invariant_names
    from knowledge import ProblemsError, load_knowledge_base
    from knowledge.problems import did_you_mean

    if list_:
        for invariant in INVARIANTS:
            click.echo(f"{invariant.name:28} {invariant.title}")
        return
    names = invariant_names()
    for name in only:
        if name not in names:
            fail(
                f"--only: no invariant {name!r}{did_you_mean(name, names)}; "
                f"choose from: {', '.join(names)}"
            )
    kb_dir = ctx.find_root().params.get("kb_dir")
    if directory is not None:
        try:
            base = load_knowledge_base(directory)
        except ProblemsError as exc:
            fail(
                ["the knowledge base is invalid and was not loaded:"]
                + [str(p) for p in exc.problems],
                EXIT_ERROR,
            )
        kb_dir = str(directory)
    else:
        base = load_kb(ctx, from_source=True)
    if coverage_ and mutations:
        fail("--coverage and --mutations are two different runs: give one")
    if coverage_:
        _coverage_run(base, runners or 200, fmt)
        return
    if mutations:
        _mutation_run(base, runners or 100, examples or 10, mutant)
        return
    using = settings(PROFILES[profile], database=None)
    if examples is not None:
        using = settings(using, max_examples=examples)
    click.echo(
        f"Checking the invariants of knowledge base {base.version} ({base.short_hash}) "
        f"at {base.root}, profile {profile}, {using.max_examples} runners each"
    )
    started = time.perf_counter()
    outcomes = check_all(
        base, using=using, only=only, progress=lambda o: click.echo(outcome_line(o))
    )
    explain = "cramp explain" if kb_dir is None else f"cramp --kb {shlex.quote(kb_dir)} explain"
    for outcome in outcomes:
        if not outcome.ok:
            click.echo()
            click.echo(format_failure(outcome, explain=explain), nl=False)
    click.echo()
    click.echo(summary_line(outcomes, time.perf_counter() - started))
    if not all(o.ok for o in outcomes):
        sys.exit(EXIT_ERROR)


def _coverage_run(base: object, runners: int, fmt: str) -> None:
    from cramp.authoring.runner_coverage import render_runner_coverage, runner_coverage
    from explain.safe_text import for_terminal, json_text

    cov = runner_coverage(base, runners=runners)  # type: ignore[arg-type]
    if fmt == "json":
        write_stdout(json_text(cov.to_dict()) + "\n")
    else:
        write_stdout(for_terminal(render_runner_coverage(cov)))


def _mutation_run(base: object, runners: int, examples: int, names: tuple[str, ...]) -> None:
    from cramp.authoring.kb_diff import default_jobs
    from cramp.authoring.mutation_suite import result_line, run_suite, summary_lines
    from knowledge import ProblemsError
    from knowledge.mutations import MUTATIONS, read_mutations

    root = base.root  # type: ignore[attr-defined]
    try:
        suite = read_mutations(root)
    except ProblemsError as exc:
        fail([str(p) for p in exc.problems], EXIT_ERROR)
    if suite is None:
        fail(f"the knowledge base at {root} has no mutation suite ({MUTATIONS})")
    known = {m.name for m in suite}
    for name in names:
        if name not in known:
            fail(f"--mutant: no mutation {name!r} in {root / MUTATIONS}")
    chosen = [m for m in suite if not names or m.name in names]
    click.echo(
        f"Running {len(chosen)} mutations of the knowledge base at {root} through lint, "
        f"kb test ({examples} runners per invariant) and kb diff ({runners} runners)"
    )
    result = run_suite(
        base,  # type: ignore[arg-type]
        chosen,
        runners=runners,
        examples=examples,
        jobs=default_jobs(),
        progress=lambda r: click.echo(printable(result_line(r))),
    )
    click.echo()
    for line in summary_lines(result):
        click.echo(line)
    if not result.ok:
        sys.exit(EXIT_ERROR)
