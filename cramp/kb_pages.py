"""Write the knowledge base's documentation pages (``cramp kb docs -o DIR``) safely.

A page this command wrote before is replaced; anything else in the way is kept unless
forced; pages no longer generated are removed, and nothing else is touched.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .files import write_atomically

#: What the template puts near the top of every document it generates.
GENERATED_MARK = b"<!-- Generated from "


def is_generated_docs(path: Path | str) -> bool:
    """Whether ``path`` is a regular file this command wrote (its mark is in its first lines)."""
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return False
    return GENERATED_MARK in head and b"by `cramp kb docs" in head


def pages_in_the_way(directory: Path, pages: dict[str, str]) -> list[Path]:
    """Existing files the pages would replace that this command did not write."""
    return [
        directory / name
        for name in pages
        if os.path.lexists(directory / name) and not is_generated_docs(directory / name)
    ]


def write_kb_pages(
    directory: Path, pages: dict[str, str], *, force: bool = False
) -> tuple[list[Path], list[Path]]:
    """Write ``pages`` under ``directory``; return the files written and those removed.

    Each page is written atomically. A page this command wrote before is replaced; any
    other file in the way is kept (FileExistsError) unless ``force``. Pages it wrote
    before that are no longer generated (a source that was removed) are deleted, and
    nothing else in ``directory`` is touched.
    """
    if not force and (blocked := pages_in_the_way(directory, pages)):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(blocked[0]))
    wanted = {directory / name for name in pages}
    stale = (
        sorted(
            path
            for path in directory.rglob("*.md")
            if path not in wanted and is_generated_docs(path)
        )
        if directory.is_dir()
        else []
    )
    written = []
    for name, text in pages.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, text.encode("utf-8"), replace=os.path.lexists(target))
        written.append(target)
    for path in stale:
        path.unlink()
    return written, stale


__all__ = ["GENERATED_MARK", "is_generated_docs", "pages_in_the_way", "write_kb_pages"]
