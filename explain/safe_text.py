"""Make runner-supplied text safe for the medium it is shown in."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC included) except tab and newline; these are what
# terminal escape sequences are made of.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Markdown punctuation that makes markup anywhere in a line: emphasis, code, links and
# images, raw HTML and autolinks, table cells, strikethrough, entities. CommonMark lets
# any ASCII punctuation be backslash-escaped, so escaped ones always render literally.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&])")
# What makes markup only at the start of a line: headings, lists, quotes, rules.
_LINE_START = re.compile(r"^([#+=>-]|\d+[.)])")


def for_terminal(text: object) -> str:
    """Strip control characters so text cannot move the cursor, recolour or retitle."""
    return _CONTROL.sub("", str(text))


def for_markdown(text: object) -> str:
    """Inline Markdown showing ``text`` literally: no links, HTML, tables or line breaks."""
    flat = _MARKDOWN.sub(r"\\\1", " ".join(for_terminal(text).split()))
    return _LINE_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], flat)
