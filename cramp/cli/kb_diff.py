"""``cramp kb diff``: the conclusions an edit of the knowledge base changes, for runners."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cramp.cli.support import EXIT_ERROR, fail, format_option, printable, write_stdout


@click.command("diff")
@click.argument(
    "sides",
    nargs=-1,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="[OLD] [NEW]",
)
@click.option(
    "--rev",
    "revs",
    multiple=True,
    metavar="REV",
    help=(
        "Read a side at this git revision (with git archive; nothing is checked out). "
        "Once: REV against the working tree (or NEW). Twice: the first against the second."
    ),
)
@click.option(
    "--runners",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    metavar="N",
    help="Generated runners, besides the example profiles and the red-flag table.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the runners.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes (default: one per core).",
)
@format_option(
    ["text", "markdown", "json"],
    "Output format; markdown is fit for a pull-request comment.",
    default="text",
)
@click.option(
    "--no-shrink",
    is_flag=True,
    help="Show the smallest runner found, without asking Hypothesis to shrink it.",
)
@click.option(
    "--allow-safety-change",
    is_flag=True,
    help="Exit 0 even when a safety conclusion regresses (a reviewed, intended change).",
)
def diff(
    sides: tuple[Path, ...],
    revs: tuple[str, ...],
    runners: int,
    seed: int,
    jobs: int | None,
    fmt: str,
    no_shrink: bool,
    allow_safety_change: bool,
) -> None:
    """Show what an edit of the knowledge base changes for runners.

    OLD and NEW are knowledge-base directories. With --rev REV, OLD is the knowledge
    base as it was at REV in the git repository holding NEW (default: the working
    tree's knowledge/data). The same runners go through both sides: the example
    profiles, each side's red-flag table and N generated runners (a fixed seed).
    Every changed conclusion is reported by kind (triage up or down, a cause
    entering or leaving the headline or changing rank, advice becoming active,
    inactive or withheld, a disagreement appearing or disappearing), with the count
    and the smallest runner that shows it, as a profile for `cramp explain`; then
    the claims, findings and advice changed in the data, and the runners each
    changed claim reaches. Exit status 1 on a safety regression (a triage going
    down, advice withheld for a warning sign becoming active, a weakened safety
    policy) unless --allow-safety-change; 2 on bad input.

    \b
    Examples:
      cramp kb diff old-knowledge/ knowledge/data/
      cramp kb diff --rev HEAD~1
      cramp kb diff --rev main --format markdown > impact.md
    """
    from cramp.authoring.kb_diff import (
        DiffError,
        diff_knowledge_bases,
        load_side,
        scratch_directory,
    )
    from cramp.authoring.kb_diff_render import render_markdown, render_text, report_dict
    from knowledge.revisions import (
        RevisionError,
        extract_revision,
        kb_path_in_repository,
        repository_root,
    )

    if len(revs) > 2:
        fail("--rev: give it once (REV against the working tree) or twice (two revisions)")
    if len(sides) + len(revs) != 2:
        if revs and not sides and len(revs) == 1:
            pass  # REV against the working tree's knowledge base
        else:
            fail(
                "kb diff compares two knowledge bases: give OLD and NEW directories, "
                "--rev REV [NEW], or --rev OLD-REV --rev NEW-REV"
            )
    with scratch_directory() as scratch:
        try:
            paths: list[tuple[Path, str]] = []
            if revs:
                anchor = sides[0] if sides else None
                repo = repository_root(anchor or Path.cwd())
                inside = kb_path_in_repository(repo, anchor)
                for index, rev in enumerate(revs):
                    target = scratch / f"rev-{index}"
                    paths.append((extract_revision(repo, rev, inside, target), rev))
                if len(revs) == 1:
                    new_dir = anchor if anchor is not None else repo / inside
                    if not new_dir.is_dir():
                        fail(f"the working tree has no knowledge base at {new_dir}")
                    paths.append((new_dir, "working tree"))
            else:
                paths = [(sides[0], str(sides[0])), (sides[1], str(sides[1]))]
        except RevisionError as exc:
            fail(str(exc))
        try:
            old = load_side(paths[0][0], paths[0][1], scratch)
            new = load_side(paths[1][0], paths[1][1], scratch)
        except DiffError as exc:
            fail(list(exc.lines))
        report = diff_knowledge_bases(
            old, new, runners=runners, seed=seed, jobs=jobs, shrink=not no_shrink
        )
    from explain.safe_text import for_terminal, json_text

    # Ids, answers and labels come from the knowledge bases' files: shown inert.
    if fmt == "json":
        write_stdout(json_text(report_dict(report)) + "\n")
    elif fmt == "markdown":
        write_stdout(for_terminal(render_markdown(report)))
    else:
        write_stdout(for_terminal(render_text(report)))
    if report.unsafe and not allow_safety_change:
        click.echo(
            printable("cramp: safety regression (use --allow-safety-change if intended)"),
            err=True,
        )
        sys.exit(EXIT_ERROR)
