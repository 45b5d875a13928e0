"""The ``cramp`` command line: a thin shell over the knowledge, expert and explain packages.

Each command parses its arguments and calls library functions; heavy modules (experta,
networkx, jinja2, pydantic) are imported inside commands so ``cramp --help`` stays fast.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

import click

from cramp.cli.support import (
    EXIT_ERROR,
    EXIT_INPUT,
    fail,
    format_option,
    load_engine,
    load_profile,
    printable,
    write_stdout,
)


class CrampGroup(click.Group):
    """A group whose usage errors are one line on stderr, exit status 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("standalone_mode", True)
        if not kwargs["standalone_mode"]:
            return super().main(*args, **kwargs)
        try:
            result = super().main(*args, **{**kwargs, "standalone_mode": False})
            # Output still buffered would otherwise fail at exit, as a traceback.
            if sys.stdout is not None:
                sys.stdout.flush()
            return result
        except click.exceptions.Abort:
            click.echo("cramp: interrupted", err=True)
            sys.exit(130)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"cramp: {printable(exc.format_message())}{hint}", err=True)
            sys.exit(EXIT_INPUT)
        except click.ClickException as exc:
            click.echo(f"cramp: {printable(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            # The reader went away (`cramp ... | head`); nothing to tell anyone.
            _silence_stdout()
            sys.exit(EXIT_ERROR)
        except OSError as exc:
            # Commands turn the errors they expect into messages; what is left here is
            # standard output itself failing (a full disk, a quota, a device error).
            if exc.errno not in _OUTPUT_ERRNOS:
                raise
            _silence_stdout()
            click.echo(f"cramp: cannot write the output: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_ERROR)


_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass


@click.group(cls=CrampGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--kb",
    "kb_dir",
    envvar="CRAMP_KB",
    metavar="DIR",
    help="Knowledge-base directory to use instead of the bundled one ($CRAMP_KB).",
)
@click.option(
    "--cache-dir",
    "cache_dir",
    envvar="CRAMP_CACHE_DIR",
    metavar="DIR",
    help=(
        "Directory for the compiled knowledge-base image and code ($CRAMP_CACHE_DIR; "
        "default $XDG_CACHE_HOME/cramp). CRAMP_NO_CACHE=1 turns them off."
    ),
)
@click.option(
    "--no-color",
    "no_color",
    is_flag=True,
    help="No colour or bold in the output (also: the NO_COLOR environment variable).",
)
@click.version_option(package_name="cramp-expert", prog_name="cramp")
def cli(kb_dir: str | None, cache_dir: str | None, no_color: bool) -> None:
    """cramp: an expert system, with explanations, about leg cramps in runners.

    It reasons over what five published articles and public health pages say about
    runners' cramps, shows which source supports or disputes each conclusion, and
    puts anything urgent first. It gives information, not a diagnosis.

    \b
    Examples:
      cramp demo                       a worked example, no input needed
      cramp diagnose profile.yaml      conclusions for a runner's answers
      cramp kb lint                    validate the knowledge base

    Exit status: 0 ok, 1 error (such as an invalid knowledge base), 2 invalid input.
    """
    from cramp.cache_dir import caching_disabled, default_cache_directory

    if not caching_disabled():
        # Before any module defining dataclasses is imported (see cramp.code_cache). A
        # --cache-dir that is not usable is reported by the commands that need it; here
        # it only leaves the code compiled afresh.
        from pathlib import Path

        from cramp.code_cache import keep_compiled_code

        keep_compiled_code(Path(cache_dir) if cache_dir else default_cache_directory())
    if no_color:
        from explain.terminal import disable_colour

        disable_colour()


@cli.command()
@click.argument("profile", metavar="PROFILE")
@format_option(["text", "json"], "Output format.", default="text")
@click.pass_context
def diagnose(ctx: click.Context, profile: str, fmt: str) -> None:
    """Conclusions for a runner's answers: triage, likely causes, advice.

    PROFILE is a YAML or JSON file mapping question ids to answers (`-` reads
    standard input); `unknown` marks a question the runner could not answer.
    Optional `name` and `notes` are shown in reports.

    \b
    Example:
      cramp diagnose examples/night-cramps-after-hard-week.yaml
      echo '{"cramp_timing": ["night"]}' | cramp diagnose - --format json
    """
    from expert import diagnose as run_diagnosis

    kb = load_engine(ctx)
    diagnosis = run_diagnosis(kb, load_profile(ctx, profile))
    if fmt == "json":
        from explain.safe_text import json_text

        write_stdout(json_text(diagnosis.to_dict()) + "\n")
    else:
        from explain import render_text
        from explain.terminal import format_report

        write_stdout(
            format_report(
                render_text(diagnosis, title=kb.manifest.title), tier=diagnosis.triage.tier
            )
        )


@cli.command()
@click.option(
    "--example",
    default="night-cramps-after-hard-week",
    show_default=True,
    metavar="NAME",
    help="Which bundled example runner to use (see `cramp demo --list`).",
)
@click.option("--list", "list_", is_flag=True, help="List the bundled example runners.")
@click.pass_context
def demo(ctx: click.Context, example: str, list_: bool) -> None:
    """A worked consultation for a bundled example runner; needs no input.

    Shows each question the example runner answered, then the diagnosis that
    `cramp diagnose` gives for those answers.
    """
    from expert import diagnose as run_diagnosis
    from explain import render_text
    from knowledge import ProblemsError, load_profile_text
    from knowledge.bundled import example_names, example_path
    from knowledge.values import answer_words

    names = example_names()
    if list_:
        write_stdout("".join(f"{name}\n" for name in names))
        return
    if example not in names:
        from knowledge.problems import did_you_mean

        fail(
            f"--example: no example {example!r}{did_you_mean(example, names)}; "
            f"choose from: {', '.join(names)}"
        )
    kb = load_engine(ctx)
    path = example_path(example)
    try:
        profile = load_profile_text(path.read_bytes(), kb, path.name)
    except ProblemsError as exc:
        fail([str(p) for p in exc.problems], 1)
    from explain.safe_text import for_terminal, for_terminal_line
    from explain.terminal import format_report, width, wrap

    title = for_terminal_line(f"Worked consultation: {profile.name or example}")
    lines = [title, "=" * min(len(title), width())]
    if profile.notes:
        lines.append(for_terminal(" ".join(profile.notes.split())))
    lines.append("")
    for qid, question in kb.questions.items():
        if qid in profile.unknown:
            answer = "don't know"
        elif qid in profile.answers:
            answer = answer_words(question, profile.answers[qid])
        else:
            continue
        # Knowledge-base text from another author: inert on a terminal, one line each.
        lines.append(f"  Q: {for_terminal_line(question.prompt)}")
        lines.append(f"  A: {for_terminal_line(answer)}")
    lines.append("")
    text = wrap("\n".join(lines), width()) + "\n"
    diagnosis = run_diagnosis(kb, profile)
    report = render_text(diagnosis, title=kb.manifest.title)
    write_stdout(text + format_report(report, tier=diagnosis.triage.tier))


def _register() -> None:
    """Attach the command groups that live in their own modules."""
    from cramp.cli.ask import ask
    from cramp.cli.batch import batch
    from cramp.cli.graph import graph
    from cramp.cli.kb import kb
    from cramp.cli.kb_diff import diff as kb_diff
    from cramp.cli.report import explain, report

    cli.add_command(kb)
    kb.add_command(graph)
    kb.add_command(kb_diff)
    cli.add_command(report)
    cli.add_command(explain)
    cli.add_command(ask)
    cli.add_command(batch)


_register()


def main() -> None:
    """The command line, as the ``cramp`` console script runs it (see :mod:`cramp.launch`)."""
    from cramp.launch import collect_rarely

    collect_rarely()
    cli(prog_name="cramp")
