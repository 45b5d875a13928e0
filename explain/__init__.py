"""Explanations: derivation graphs, how / why-not, and reports (text, Markdown, HTML, JSON).

>>> from knowledge import load_knowledge_base, parse_profile
>>> from explain import write_report
>>> kb = load_knowledge_base()
>>> profile = parse_profile({"cramp_timing": ["night"]}, kb)
>>> write_report(kb, profile, "report.html")  # doctest: +SKIP
PosixPath('report.html')
"""

from .build import report_context
from .render import render_text
from .report import render_report, write_report

__all__ = ["render_report", "render_text", "report_context", "write_report"]
