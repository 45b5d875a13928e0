"""Render reports (Markdown, HTML, JSON) from a report context."""

from __future__ import annotations

from pathlib import Path

from .context import ReportContext

#: Report formats and the file-name endings that select them.
FORMATS: dict[str, tuple[str, ...]] = {
    "md": (".md", ".markdown"),
    "html": (".html", ".htm"),
    "json": (".json",),
}
TEMPLATES = {"md": "report.md.j2", "html": "report.html.j2"}


def format_for(path: Path | str) -> str:
    """The report format a file name asks for; ``ValueError`` naming the allowed endings."""
    suffix = Path(path).suffix.lower()
    for fmt, endings in FORMATS.items():
        if suffix in endings:
            return fmt
    allowed = ", ".join(e for endings in FORMATS.values() for e in endings)
    raise ValueError(
        f"cannot tell the report format from {str(path)!r}; name it with {allowed} "
        "or give the format (md, html, json)"
    )


def check_format(fmt: str) -> str:
    """Return ``fmt`` if it is a report format, else raise ``ValueError`` saying what is."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    return fmt


def render_report(context: ReportContext, fmt: str, template_dir: str | None = None) -> str:
    """A report as text in one format (``md``, ``html`` or ``json``).

    ``template_dir`` holds templates that replace or extend the shipped ones (see
    :func:`explain.render.environment`); JSON has no template.
    """
    if check_format(fmt) == "json":
        from knowledge.plain import plain

        from .safe_text import json_text

        return json_text(plain(context)) + "\n"
    from .render import environment

    return environment(fmt, template_dir).get_template(TEMPLATES[fmt]).render(report=context)
