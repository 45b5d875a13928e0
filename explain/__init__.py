"""Explanations: derivation graphs, how / why-not, and reports (text, Markdown, HTML, JSON).

>>> from knowledge import load_knowledge_base, parse_profile
>>> from explain import render_report, report_context
>>> kb = load_knowledge_base()
>>> profile = parse_profile({"cramp_timing": ["night"]}, kb)
>>> html = render_report(report_context(kb, profile), "html")

Writing a report to a file is the application's part: :func:`cramp.write_report`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import report_context
    from .render import render_text
    from .report import render_report

__all__ = ["render_report", "render_text", "report_context"]

#: Where each name lives: imported on first use, so a command that renders text never
#: imports the report context's thirty dataclasses (a sixth of a cold diagnosis).
_HOMES = {"render_report": ".report", "render_text": ".render", "report_context": ".build"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value
