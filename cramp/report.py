"""Write a runner's report to a file, whole or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from explain.report import check_format, format_for, render_report

from .files import write_atomically

if TYPE_CHECKING:
    from knowledge import KnowledgeBase, Profile


def write_report(
    kb: KnowledgeBase,
    profile: Profile,
    path: Path | str,
    fmt: str | None = None,
    *,
    force: bool = False,
    template_dir: str | None = None,
) -> Path:
    """Reason about ``profile`` and write its report to ``path`` (format from the extension).

    Raises ``FileExistsError`` if ``path`` exists and not ``force``, ``ValueError`` for an
    unknown format. The file appears whole or not at all.
    """
    from explain.build import report_context

    path = Path(path)
    fmt = check_format(fmt) if fmt is not None else format_for(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path}: already exists; use --force to overwrite")
    text = render_report(report_context(kb, profile), fmt, template_dir)
    write_atomically(path, text.encode("utf-8"), replace=force)
    return path
