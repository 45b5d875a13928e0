"""Write a runner's report to a file, whole or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from explain.report import check_format, format_for, render_report

from .files import write_atomically

if TYPE_CHECKING:
    from explain.context import ReportContext
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

    path, fmt = report_target(path, fmt, force=force)
    context = report_context(kb, profile)
    return write_context(context, path, fmt, force=force, template_dir=template_dir)


def report_target(path: Path | str, fmt: str | None, *, force: bool) -> tuple[Path, str]:
    """The file and format of a report about to be made, checked before any reasoning.

    Raises ``FileExistsError`` if ``path`` exists and not ``force``, ``ValueError`` for an
    unknown format or an ending that names none.
    """
    path = Path(path)
    fmt = check_format(fmt) if fmt is not None else format_for(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path}: already exists; use --force to overwrite")
    return path, fmt


def write_context(
    context: ReportContext,
    path: Path | str,
    fmt: str | None = None,
    *,
    force: bool = False,
    template_dir: str | None = None,
    sync_directory: bool = True,
) -> Path:
    """Write the report of a context already made (see :func:`write_report`); a batch
    syncs its directory once at the end instead (``sync_directory=False``)."""
    path, fmt = report_target(path, fmt, force=force)
    text = render_report(context, fmt, template_dir)
    write_atomically(path, text.encode("utf-8"), replace=force, sync_directory=sync_directory)
    return path
