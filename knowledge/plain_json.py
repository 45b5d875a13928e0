"""JSON read without the YAML reader, where the YAML reader would read it the same.

A profile may be YAML or JSON, and is read as YAML (JSON is a subset of it) so that
every problem points at ``path:line:col`` (:mod:`knowledge.yaml_io`). Importing PyYAML
costs a cold command about 11 ms (5 of them compiling one pattern of its reader), and
its events a batch a fraction of a millisecond per runner; a JSON profile, the common
case of generated and batch input, needs neither. :func:`read_plain_json` reads such
text with the standard library's parser and declines (returns None) wherever the YAML
reader could read it otherwise or refuse it: duplicate keys, numbers too long or not
finite, ``NaN`` and ``Infinity``, nesting deeper than :data:`~knowledge.yaml_io.MAX_DEPTH`,
surrogate escapes, characters YAML does not allow in a document or reads as line
breaks, and tabs. Declined text is then read as YAML, as before; a property test holds
the two readers to the same data on everything this one accepts.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .yaml_io import MAX_DEPTH, MAX_NUMBER_CHARS, Document

#: What the YAML reader refuses anywhere in a document (outside its printable set), or
#: reads as a line break (NEL and the Unicode line and paragraph separators), a tab
#: (JSON allows one between tokens, YAML not everywhere), and a ``\u`` escape of a
#: surrogate (JSON pairs them into one character; YAML refuses them).
_DECLINE = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]"
    r"|\\u[dD][89abAB]"
)


class _Declined(Exception):
    """The text may read otherwise as YAML: leave it to the YAML reader."""


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Declined
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    value = float(_number(text))
    if not math.isfinite(value):
        raise _Declined
    return value


def _constant(_name: str) -> Any:
    raise _Declined  # NaN, Infinity, -Infinity: JSON's extensions, text in YAML


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Declined  # a duplicate key: an error YAML's reader reports with its line
    return mapping


_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and mappings (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def read_plain_json(text: str, path: str) -> Document | None:
    """``text`` as a :class:`Document` (no positions but the top) if it is a JSON object
    the YAML reader would read as the same data; None if it is not, or may not be."""
    if not text.lstrip().startswith("{") or _DECLINE.search(text):
        return None
    try:
        data = _DECODER.decode(text)
    except (_Declined, ValueError, RecursionError):
        return None
    if _depth(data) > MAX_DEPTH:
        return None
    return Document(path, data, {(): (1, 1)})


__all__ = ["read_plain_json"]
