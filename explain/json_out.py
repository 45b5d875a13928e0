"""JSON text exactly as ``json.dumps(data, indent=2, ensure_ascii=False)`` writes it, faster.

With an indent, the standard library encodes in Python through a chain of generators,
one per level of nesting, each token passing up through every level: half the cost of
a JSON report. :func:`dumps` walks the data once and appends to one list, and encodes
strings with the same C function. It handles the plain data reports are made of
(dicts with text keys, lists, tuples, text, whole numbers, finite floats, booleans,
None); for anything else (a non-finite float, another key type, a subclass, a
cycle) it hands the whole value to ``json.dumps``, so the text, and any error, is the
standard library's own.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

__all__ = ["dumps"]

_INFINITY = float("inf")


class _Unusual(Exception):
    """A value this encoder leaves to ``json.dumps``."""


def dumps(data: Any, indent: int = 2) -> str:
    """``json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)``."""
    parts: list[str] = []
    try:
        _encode(data, parts, "\n", " " * indent)
    except (_Unusual, RecursionError):
        return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
    return "".join(parts)


def _encode(value: Any, parts: list[str], newline: str, step: str) -> None:
    kind = type(value)
    if kind is str:
        parts.append(encode_basestring(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float:
        if value != value or value in (_INFINITY, -_INFINITY):
            raise _Unusual
        parts.append(float.__repr__(value))
    elif kind is dict:
        if not value:
            parts.append("{}")
            return
        inner = newline + step
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            parts.append(separator)
            parts.append(encode_basestring(key))
            parts.append(": ")
            _encode(item, parts, inner, step)
            separator = "," + inner
        parts.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            parts.append("[]")
            return
        inner = newline + step
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _encode(item, parts, inner, step)
            separator = "," + inner
        parts.append(newline + "]")
    else:
        raise _Unusual
