"""What every command shares: loading the knowledge base and profiles, failing cleanly.

Kept free of heavy imports at module level so ``cramp --help`` stays fast.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from knowledge import KnowledgeBase, Profile
    from knowledge.image import ImageStore

#: Exit statuses (documented in the README and docs/reliability.md).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INPUT = 2


def format_option(choices: list[str], help: str, default: str | None = None) -> Callable[[F], F]:
    """The ``--format`` option (stored as ``fmt``) every command spells the same way."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=default is not None,
        help=help,
    )


def printable(text: object) -> str:
    """``text`` as one inert line for a message: control characters shown as escapes."""
    from knowledge.problems import printable as one_line  # imported late: `cramp --help`

    return one_line(text)


def fail(lines: list[str] | str, status: int = EXIT_INPUT) -> NoReturn:
    """Print each line to stderr and exit with ``status`` (never a traceback).

    Each line is made inert first: a file name or a quoted value can carry newlines or
    terminal escape sequences, which are shown as ``\\n`` or ``\\x1b`` instead.
    """
    from explain.terminal import wrap

    # Wrapped only on a terminal: a script reading stderr gets one line per message.
    wrapping = _stderr_is_tty()
    for line in [lines] if isinstance(lines, str) else lines:
        text = f"cramp: {printable(line)}"
        click.echo(wrap(text, _width()) if wrapping else text, err=True)
    sys.exit(status)


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _width() -> int:
    from explain.terminal import width

    return width(err=True)


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output whole; closed, short or failed writes never pass.

    ``print`` and ``click.echo`` can lose output silently: with standard output closed
    (``cramp ... >&-``) there is nothing to write to, and unbuffered (PYTHONUNBUFFERED)
    a write the reader cut short (``| head -c 10``) is taken as done. Here every byte
    is written or the command fails: exit 1 (BrokenPipeError, or one line for others).
    """
    stream = sys.stdout
    if stream is None or getattr(stream, "closed", False):
        fail("cannot write the output: standard output is closed", EXIT_ERROR)
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        stream.write(text)
        stream.flush()
        return
    data = memoryview(text.encode(stream.encoding or "utf-8", stream.errors or "strict"))
    stream.flush()
    while data:
        try:
            written = os.write(fd, data)
        except BlockingIOError:  # a descriptor shared in non-blocking mode: wait for room
            import select

            select.select([], [fd], [])
            continue
        except OSError as exc:
            if exc.errno == errno.EBADF:
                fail("cannot write the output: standard output is closed", EXIT_ERROR)
            raise  # EPIPE and ENOSPC: the command group's handler says it, exit 1
        data = data[written:]


def user_path(text: str, what: str) -> Path:
    """``text`` as a path, ``~`` and ``~user`` expanded; an unknown user is one line, exit 2."""
    try:
        return Path(text).expanduser()
    except (RuntimeError, KeyError):
        user = text.split("/", 1)[0]
        fail(f"{what} {text}: cannot expand {user}: no such user, or no home directory")


def load_kb(
    ctx: click.Context, *, from_source: bool = False, reasoning: bool = True
) -> KnowledgeBase:
    """The knowledge base chosen with ``--kb`` (or $CRAMP_KB), else the bundled one.

    Read from its compiled image when one is valid (see :mod:`knowledge.image`), and
    else validated and the image written for the next command; ``from_source`` always
    validates the YAML instead, as checking commands must. A command that does not
    reason (not ``reasoning``) writes no image: writing one builds the engine, which at
    the loader's limits takes as much memory again as the knowledge base.
    """
    root = ctx.find_root()
    cached = root.meta.get("cramp.kb")
    if cached is not None and (not from_source or root.meta.get("cramp.kb.source")):
        return cached
    directory = root.params.get("kb_dir")
    # A command loads one knowledge base and keeps it, and what was imported before it,
    # until it exits: frozen, the garbage collector stops scanning them again at every
    # collection (a sixth of a cold diagnosis of a ten-times knowledge base).
    gc.freeze()
    if from_source:
        kb = load_source(directory)
    else:
        from knowledge.digest import default_directory
        from knowledge.image import load_with_image

        kb = load_with_image(
            user_path(directory, "--kb") if directory is not None else default_directory(),
            image_store(ctx),
            lambda: load_source(directory),
            prepare=prepare_image,
            warn=warn,
            write=reasoning,
        )
    gc.freeze()
    root.meta["cramp.kb"] = kb
    root.meta["cramp.kb.source"] = from_source
    return kb


def load_engine(ctx: click.Context) -> KnowledgeBase:
    """The knowledge base (see :func:`load_kb`) with its engine ready, for commands that
    reason: read from the image when it holds one, and frozen out of garbage collection
    as the knowledge base is (tens of thousands of objects for ten times the bundled
    knowledge base, which the collector would otherwise scan again during the run)."""
    from expert.collector import paused
    from expert.engine import Reasoner

    kb = load_kb(ctx)
    # Frozen before the collector is on again, which would otherwise start a collection
    # over everything the engine is made of (30 ms at ×10).
    with paused(keep=True):
        Reasoner.for_kb(kb)
    return kb


def load_source(directory: str | None) -> KnowledgeBase:
    """Load and validate the knowledge base from its YAML; an invalid one exits 1."""
    from knowledge import ProblemsError, load_knowledge_base

    try:
        return load_knowledge_base(directory)
    except ProblemsError as exc:
        if directory is None:
            where = "the knowledge base installed with cramp is damaged; reinstall cramp-expert"
        else:
            where = "fix these, or leave out --kb (and $CRAMP_KB) for the bundled knowledge base"
        fail(
            [
                "the knowledge base is invalid and was not loaded:",
                *(str(p) for p in exc.problems),
                f"{len(exc.problems)} problem(s); {where}",
            ],
            EXIT_ERROR,
        )


def image_store(ctx: click.Context) -> ImageStore | None:
    """Where compiled images live (``--cache-dir``, else the user's cache), or None if off."""
    from cramp.cache_dir import caching_disabled, default_cache_directory
    from knowledge.image import ImageStore

    if caching_disabled():
        return None
    chosen = ctx.find_root().params.get("cache_dir")
    directory = user_path(chosen, "--cache-dir") if chosen else default_cache_directory()
    from explain.render import cache_templates_in

    cache_templates_in(directory / "templates")
    return ImageStore(directory)


def prepare_image(kb: KnowledgeBase) -> tuple[str, ...]:
    """Derive what an image keeps besides the knowledge base: the rules' index and the
    engine built from them (see :mod:`expert.persist`). The rule specifications both
    are made from are not kept: nothing else needs them to reason (at ×10 they were a
    seventh of the image and a third of its reading time)."""
    from expert.engine import Reasoner
    from expert.persist import keep_engine
    from expert.relevance import Rulebook

    Rulebook.for_kb(kb)
    Reasoner.for_kb(kb)
    # Let go before the engine is pickled, the moment memory peaks (a tenth of it at ×100).
    kb._cache.pop("rule_specs", None)
    return ("rulebook", keep_engine(kb))


def warn(message: str) -> None:
    """One inert warning line on stderr; the command goes on."""
    click.echo(f"cramp: warning: {printable(message)}", err=True)


def read_input(path: str) -> tuple[bytes, str]:
    """Bytes of a profile file, or of stdin for ``-``, at most 1 MB; failures exit with one line."""
    from knowledge.profile import MAX_PROFILE_BYTES
    from knowledge.yaml_io import TooLargeError, read_limited, read_stream_limited

    expected = "expected a profile file (YAML or JSON)"
    shown = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None or stream.closed:
                fail("<stdin>: standard input is closed; give a profile file, or pipe one to `-`")
            return read_stream_limited(stream, MAX_PROFILE_BYTES), shown
        return read_limited(path, MAX_PROFILE_BYTES), shown
    except TooLargeError as exc:
        fail(f"{shown}: {exc.describe('a profile')}")
    except IsADirectoryError:
        fail(f"{shown}: is a directory, {expected}")
    except FileNotFoundError:
        fail(f"{shown}: no such file; {expected}")
    except PermissionError:
        fail(f"{shown}: permission denied; give a profile file (YAML or JSON) you can read")
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        fail(f"{shown}: cannot read: {why}; {expected}")


def load_profile(ctx: click.Context, path: str) -> Profile:
    """Read and validate a profile; every problem is one line on stderr, exit 2."""
    from knowledge import ProblemsError, load_profile_text

    kb = load_kb(ctx)
    raw, shown = read_input(path)
    try:
        return load_profile_text(raw, kb, shown)
    except ProblemsError as exc:
        fail([str(p) for p in exc.problems])


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one existing file (so writing one would destroy the other)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False
