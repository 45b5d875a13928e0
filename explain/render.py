"""Render a diagnosis with the Jinja2 templates shipped in ``explain/templates``."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from expert.conclusions import Diagnosis

PHASE_TITLES = {
    "now": "Now, during a cramp",
    "next_days": "In the next days",
    "prevention": "To prevent the next one",
    "professional": "When to see a professional",
}


@cache
def environment() -> jinja2.Environment:
    """The shared template environment: strict about undefined names, escaping HTML."""
    import jinja2

    from .safe_text import for_terminal

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("explain", "templates"),
        undefined=jinja2.StrictUndefined,
        # Template names end in .html.j2, which select_autoescape(["html"]) would miss.
        autoescape=lambda name: bool(name) and name.removesuffix(".j2").endswith(".html"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["terminal"] = for_terminal
    env.filters["signed"] = lambda x: f"{x:+.2f}".rstrip("0").rstrip(".")
    env.filters["yesno"] = _answer_text
    return env


def _answer_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_text(diagnosis: Diagnosis, *, title: str = "Leg cramps in runners") -> str:
    """Plain-text diagnosis for a terminal: triage first, then causes and advice."""
    template = environment().get_template("diagnosis.txt.j2")
    return template.render(d=diagnosis, phases=PHASE_TITLES, title=title)
