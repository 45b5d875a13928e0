"""Explanations: derivation graphs, how / why-not, and reports (text, Markdown, HTML, JSON).

>>> from knowledge import load_knowledge_base, parse_profile
>>> from explain import write_report
>>> kb = load_knowledge_base()
>>> profile = parse_profile({"cramp_timing": ["night"]}, kb)
>>> write_report(kb, profile, "report.html")  # doctest: +SKIP
PosixPath('report.html')
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import report_context
    from .render import render_text
    from .report import render_report, write_report

__all__ = ["render_report", "render_text", "report_context", "write_report"]

# Each name is imported from its module on first use, so `cramp diagnose` (text) does
# not load the report machinery it never runs.
_HOMES = {
    "report_context": ".build",
    "render_text": ".render",
    "render_report": ".report",
    "write_report": ".report",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
