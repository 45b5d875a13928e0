"""Explanations: derivation graphs, how / why-not, and reports (text, Markdown, HTML, JSON).

>>> from knowledge import load_knowledge_base, parse_profile
>>> from explain import render_report, report_context
>>> kb = load_knowledge_base()
>>> profile = parse_profile({"cramp_timing": ["night"]}, kb)
>>> html = render_report(report_context(kb, profile), "html")

Writing a report to a file is the application's part: :func:`cramp.write_report`.
"""

from .build import report_context
from .render import render_text
from .report import render_report

__all__ = ["render_report", "render_text", "report_context"]
