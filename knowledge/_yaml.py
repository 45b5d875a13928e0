"""Read YAML (and JSON, a subset of it) into plain data, remembering where each value was.

ruamel.yaml's round-trip loader keeps line and column of every key and item, which is
what lets every error point at ``path:line:col``. It never constructs Python objects
from tags. Anchors and aliases are refused: nothing in a knowledge base or profile needs
them, and refusing them is what defuses "billion laughs" documents, which are small as
text but expand exponentially once aliases are resolved into plain data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .problems import Problem, ProblemsError

Location = tuple[str | int, ...]

#: Deeper documents than this are rejected rather than walked (recursion safety).
MAX_DEPTH = 64


@dataclass
class Document:
    """Plain data from one file plus the 1-based (line, col) of each location in it."""

    path: str
    data: Any
    positions: dict[Location, tuple[int, int]] = field(default_factory=dict)
    #: Where each scalar value starts (``positions`` holds where its key or item starts).
    value_positions: dict[Location, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Location, *, value: bool = False) -> tuple[int, int]:
        """Position of ``loc`` (its value if asked and known) or of its nearest parent."""
        loc = tuple(loc)
        if value and loc in self.value_positions:
            return self.value_positions[loc]
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, loc: Location, message: str, *, value: bool = False) -> Problem:
        """A problem positioned at ``loc`` (at its value when ``value``) in this document."""
        line, col = self.where(loc, value=value)
        return Problem(self.path, line, col, message)


def parse_yaml(text: str, path: str) -> Document:
    """Parse ``text`` (YAML or JSON) into a :class:`Document`; raise ProblemsError if bad."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = (
            " ".join(str(part).strip() for part in (exc.context, exc.problem) if part)
            or "not valid YAML"
        )
        raise ProblemsError(
            [Problem(path, line, col, f"not valid YAML or JSON: {message}")]
        ) from None
    except (YAMLError, ValueError, RecursionError) as exc:
        raise ProblemsError([Problem(path, 1, 1, f"not valid YAML or JSON: {exc}")]) from None
    doc = Document(path, None, {(): (1, 1)})
    doc.data = _plain(node, (), doc, set(), 0)
    return doc


def read_yaml(path: Path, display: str | None = None) -> Document:
    """Read and parse a file; unreadable or non-UTF-8 files become problems."""
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ProblemsError([Problem(shown, 1, 1, "is a directory, expected a file")]) from None
    except FileNotFoundError:
        raise ProblemsError([Problem(shown, 1, 1, "no such file")]) from None
    except OSError as exc:
        raise ProblemsError([Problem(shown, 1, 1, f"cannot read file: {exc.strerror}")]) from None
    return parse_yaml(decode(raw, shown), shown)


def decode(raw: bytes, path: str) -> str:
    """Decode UTF-8 (with or without BOM); anything else is a positioned problem."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProblemsError(
            [Problem(path, line, 1, f"not UTF-8 text (byte {exc.start}: {raw[exc.start]:#04x})")]
        ) from None


def _plain(node: Any, loc: Location, doc: Document, seen: set[int], depth: int) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

    if depth > MAX_DEPTH:
        raise ProblemsError([doc.problem(loc, f"nested deeper than {MAX_DEPTH} levels")])
    if isinstance(node, TaggedScalar) or _tag_of(node) is not None:
        # Tags never construct objects in the round-trip loader, but nothing here needs
        # them, and a document that uses them is not a profile or knowledge file.
        raise ProblemsError([doc.problem(loc, "YAML tags are not allowed")])
    if isinstance(node, CommentedMap | CommentedSeq):
        if id(node) in seen or node.anchor.value is not None:
            raise ProblemsError([doc.problem(loc, "YAML anchors and aliases are not allowed")])
        seen.add(id(node))
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            if isinstance(key, CommentedMap | CommentedSeq) or not _is_scalar(key):
                raise ProblemsError([doc.problem(loc, "mapping keys must be plain text")])
            kloc = (*loc, key)
            try:
                line, col = node.lc.key(key)
                doc.positions[kloc] = (line + 1, col + 1)
                line, col = node.lc.value(key)
                doc.value_positions[kloc] = (line + 1, col + 1)
            except (KeyError, TypeError):
                pass
            out[key] = _plain(value, kloc, doc, seen, depth + 1)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            iloc = (*loc, index)
            try:
                line, col = node.lc.item(index)
                doc.positions[iloc] = (line + 1, col + 1)
            except (KeyError, TypeError, IndexError):
                pass
            items.append(_plain(value, iloc, doc, seen, depth + 1))
        return items
    if isinstance(node, float) and not math.isfinite(node):
        raise ProblemsError([doc.problem(loc, "NaN and infinite numbers are not allowed")])
    return _scalar(node)


def _tag_of(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    return getattr(tag, "value", None) if tag is not None else None


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _scalar(value: Any) -> Any:
    """Turn ruamel's scalar subclasses (ScalarFloat, LiteralScalarString...) into builtins."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    # Timestamps, sets and other types YAML can express mean nothing here.
    return str(value)
