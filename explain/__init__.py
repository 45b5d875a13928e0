"""Explanations: derivation graphs and renderers (text, Markdown, HTML, JSON)."""

from .render import render_text

__all__ = ["render_text"]
