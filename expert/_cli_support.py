"""What every command shares: loading the knowledge base and profiles, failing cleanly.

Kept free of heavy imports at module level so ``cramp --help`` stays fast.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from knowledge import KnowledgeBase, Profile

#: Exit statuses (documented in the README and docs/cli.md).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INPUT = 2


def fail(lines: list[str] | str, status: int = EXIT_INPUT) -> NoReturn:
    """Print each line to stderr and exit with ``status`` (never a traceback)."""
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(f"cramp: {line}", err=True)
    sys.exit(status)


def load_kb(ctx: click.Context) -> KnowledgeBase:
    """The knowledge base chosen with ``--kb`` (or $CRAMP_KB), else the bundled one."""
    from knowledge import ProblemsError, load_knowledge_base

    root = ctx.find_root()
    cached = root.meta.get("cramp.kb")
    if cached is not None:
        return cached
    directory = root.params.get("kb_dir")
    # A command loads one knowledge base and keeps it, and what was imported before it,
    # until it exits: frozen, the garbage collector stops scanning them again at every
    # collection (a sixth of a cold diagnosis of a ten-times knowledge base).
    gc.freeze()
    try:
        kb = load_knowledge_base(directory)
    except ProblemsError as exc:
        fail(
            ["the knowledge base is invalid and was not loaded:"] + [str(p) for p in exc.problems],
            EXIT_ERROR,
        )
    gc.freeze()
    root.meta["cramp.kb"] = kb
    return kb


def read_input(path: str) -> tuple[bytes, str]:
    """Bytes of a profile file, or of stdin for ``-``; failures exit with one line."""
    if path == "-":
        try:
            if sys.stdin is None:
                raise ValueError("standard input is closed")
            return sys.stdin.buffer.read(), "<stdin>"
        except (OSError, ValueError, AttributeError) as exc:
            fail(f"<stdin>: cannot read standard input: {exc}")
    p = Path(path)
    try:
        return p.read_bytes(), path
    except IsADirectoryError:
        fail(f"{path}: is a directory, expected a profile file (YAML or JSON)")
    except FileNotFoundError:
        fail(f"{path}: no such file; expected a profile file (YAML or JSON)")
    except PermissionError:
        fail(f"{path}: permission denied")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}")


def load_profile(ctx: click.Context, path: str) -> Profile:
    """Read and validate a profile; every problem is one line on stderr, exit 2."""
    from knowledge import ProblemsError, load_profile_text

    kb = load_kb(ctx)
    raw, shown = read_input(path)
    try:
        return load_profile_text(raw, kb, shown)
    except ProblemsError as exc:
        fail([str(p) for p in exc.problems])
