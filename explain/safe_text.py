"""Make runner-supplied text safe for the medium it is shown in."""

from __future__ import annotations

import re

# Patterns are compiled on first use (re keeps them), except the one every printed
# string meets: a command compiles only those it needs.
# C0 and C1 control characters (ESC included) except tab and newline, which are what
# terminal escape sequences are made of, and the bidirectional overrides and isolates
# that reorder what a terminal displays ("Trojan source").
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
_SURROGATE = r"[\ud800-\udfff]"
# Any character for_terminal changes: one search tells that most text is already clean.
_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
# What JSON leaves raw (it escapes only C0): DEL, C1, line separators, bidi controls,
# and lone surrogates (which could not even be written out as UTF-8).
_JSON_RAW = r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
# Markdown punctuation that makes markup anywhere in a line: emphasis, code, links and
# images, raw HTML and autolinks, table cells, strikethrough, entities. CommonMark lets
# any ASCII punctuation be backslash-escaped, so escaped ones always render literally.
_MARKDOWN = r"([\\`*_\[\]<>|~&])"
# What makes markup only at the start of a line: headings, lists, quotes, rules.
_LINE_START = r"^([#+=>-]|\d+[.)])"


def for_terminal(text: object) -> str:
    """Strip control characters so text cannot move the cursor, recolour or retitle.

    Tabs and newlines stay; the Unicode line and paragraph separators become spaces.
    """
    text = str(text)
    if _UNSAFE.search(text) is None:
        return text
    text = re.sub(_CONTROL, "", text).replace("\u2028", " ").replace("\u2029", " ")
    # Undecodable input bytes arrive as lone surrogates and would be written back raw
    # (a stray 0x9b is CSI to an 8-bit terminal): show the replacement character.
    return re.sub(_SURROGATE, "\ufffd", text)


def for_terminal_line(text: object) -> str:
    """:func:`for_terminal` on one line: line breaks (CR, LF, NEL, U+2028...) become spaces.

    For text shown beside labels such as ``Notes:``, where a line break would let it
    pass for a line of the product's own (a fake ``TRIAGE:`` line above the real one).
    """
    return for_terminal(" ".join(str(text).split()))


def for_markdown(text: object) -> str:
    """Inline Markdown showing ``text`` literally: no links, HTML, tables or line breaks."""
    flat = re.sub(_MARKDOWN, r"\\\1", for_terminal_line(text))
    return re.sub(_LINE_START, lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], flat)


def json_text(data: object, *, indent: int | None = 2) -> str:
    """Valid JSON for ``data``, with every control character escaped (``\\u009b``), none raw.

    ``json.dumps`` escapes only C0 controls; C1 controls (an 8-bit CSI) and bidi
    overrides would reach a terminal that shows the output. They can only occur
    inside strings, where ``\\uXXXX`` means the same text. JSON has no infinity or NaN
    (``json.dumps`` would write ``Infinity``, which no JSON reader accepts): such a
    number is written as ``null``; the knowledge base's bounded weights keep it rare.
    """
    import json

    from .json_out import dumps

    try:
        if indent is None:
            dumped = json.dumps(data, ensure_ascii=False, allow_nan=False)
        else:
            dumped = dumps(data, indent)
    except ValueError:
        dumped = json.dumps(_finite(data), indent=indent, ensure_ascii=False, allow_nan=False)
    return re.sub(_JSON_RAW, lambda m: f"\\u{ord(m.group()):04x}", dumped)


def _finite(data: object) -> object:
    """``data`` with every infinite or NaN number replaced by None (iteratively, no recursion)."""
    import math

    def fix(value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            copy: object = dict(value)
        elif isinstance(value, list | tuple):
            copy = list(value)
        else:
            return value
        pending.append(copy)
        return copy

    pending: list[object] = []
    root = fix(data)
    while pending:
        container = pending.pop()
        if isinstance(container, dict):
            for key, value in container.items():
                container[key] = fix(value)
        elif isinstance(container, list):
            for index, value in enumerate(container):
                container[index] = fix(value)
    return root


def finalize(value: object) -> object:
    """Jinja ``finalize``: strip control characters from every string a template prints.

    Markup (generated SVG, already escaped) is left as it is; filters such as ``md``
    and ``terminal_line`` do more for the places that need it.
    """
    # Exactly str: Markup (a str subclass, telling so by its ``__html__``) is already
    # safe; every macro a template calls returns one.
    if type(value) is str:
        # Most printed text is clean: one search answers for it, without a call.
        return value if _UNSAFE.search(value) is None else for_terminal(value)
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return for_terminal(value)
    return value
