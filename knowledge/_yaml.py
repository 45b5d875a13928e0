"""Read YAML (and JSON, a subset of it) into plain data, remembering where each value was.

PyYAML's C parser (libyaml) turns text into events, each carrying its line and column;
this module builds plain dicts, lists and scalars from those events itself, without
recursion, so that:

* every key and value keeps its position, which is what lets every error point at
  ``path:line:col``;
* scalars follow the YAML 1.2 core schema (``yes`` and ``no`` stay text, ``1.5`` is a
  number), the same for every file;
* hostile documents are refused early and cheaply: anchors and aliases ("billion
  laughs" documents are tiny as text but expand exponentially), tags (which in other
  loaders construct objects), duplicate keys, NaN and infinities, several documents in
  one stream, and nesting deeper than :data:`MAX_DEPTH` (checked while events arrive,
  before a deep document can exhaust the parser's stack).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .problems import Problem, ProblemsError

Location = tuple[str | int, ...]

#: Deeper documents than this are rejected rather than built.
MAX_DEPTH = 64

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


@dataclass
class Document:
    """Plain data from one file plus the 1-based (line, col) of each location in it."""

    path: str
    data: Any
    positions: dict[Location, tuple[int, int]] = field(default_factory=dict)
    #: Where each value starts (``positions`` holds where its key or item starts).
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
    import yaml

    builder = _Builder(path)
    feed = builder.feed
    loader = None
    try:
        # yaml.parse() without its generator: the same calls, one frame less per event.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        while loader.check_event():
            feed(loader.get_event())
        # Reported only now: a syntax error further on explains more than this does.
        if builder.deferred is not None:
            raise ProblemsError([builder.deferred])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(p).strip() for p in (exc.context, exc.problem) if p)
        raise ProblemsError(
            [Problem(path, line, col, f"not valid YAML or JSON: {message or 'syntax error'}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ProblemsError([Problem(path, 1, 1, f"not valid YAML or JSON: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return builder.document


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


def resolve_scalar(value: str, plain: bool) -> Any:
    """YAML 1.2 core schema: quoted scalars are text; plain ones may be null, bool, number."""
    if not plain:
        return value
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value) or _SPECIAL_FLOAT.match(value):
        return float(
            value.replace(".inf", "inf")
            .replace(".Inf", "inf")
            .replace(".INF", "inf")
            .replace(".nan", "nan")
            .replace(".NaN", "nan")
            .replace(".NAN", "nan")
        )
    return value


@dataclass
class _Frame:
    """A mapping or sequence under construction."""

    loc: Location
    container: dict[Any, Any] | list[Any]
    key: Any = None
    has_key: bool = False
    key_lines: dict[Any, int] = field(default_factory=dict)


class _Builder:
    """Turns a stream of parser events into one Document, refusing what it must."""

    def __init__(self, path: str) -> None:
        self.document = Document(path, None, {(): (1, 1)})
        self.stack: list[_Frame] = []
        self.documents = 0
        self.deferred: Problem | None = None

    def _fail(self, event: Any, message: str) -> None:
        mark = event.start_mark
        raise ProblemsError([Problem(self.document.path, mark.line + 1, mark.column + 1, message)])

    def feed(self, event: Any) -> None:
        import yaml

        kind = type(event)
        if kind is yaml.ScalarEvent:
            # The most common event first; the checks below are those of any node.
            if event.anchor is not None:
                self._fail(event, "YAML anchors and aliases are not allowed")
            if event.tag is not None and event.tag != "!":
                self._fail(event, "YAML tags are not allowed")
            # implicit[0]: a plain scalar, which resolves to null, bool or number.
            plain = bool(event.implicit and event.implicit[0]) and not event.style
            value = resolve_scalar(event.value, plain)
            if isinstance(value, float) and not math.isfinite(value):
                self._fail(event, "NaN and infinite numbers are not allowed")
            self._add(event, value)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if event.anchor is not None:
                self._fail(event, "YAML anchors and aliases are not allowed")
            if event.tag is not None and event.tag != "!":
                self._fail(event, "YAML tags are not allowed")
            if len(self.stack) >= MAX_DEPTH:
                self._fail(event, f"nested deeper than {MAX_DEPTH} levels")
            container: dict[Any, Any] | list[Any] = {} if kind is yaml.MappingStartEvent else []
            loc = self._add(event, container)
            self.stack.append(_Frame(loc, container))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            self.stack.pop()
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                self._fail(event, "expected a single document, found several (---)")
        elif kind is yaml.AliasEvent:
            self._fail(event, "YAML anchors and aliases are not allowed")

    def _add(self, event: Any, value: Any) -> Location:
        """Place ``value`` in the container being built; return its location."""
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1)
        if not self.stack:
            self.document.data = value
            self.document.positions[()] = where
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            loc = (*frame.loc, len(frame.container))
            frame.container.append(value)
            self.document.positions[loc] = where
            return loc
        if not frame.has_key:
            if isinstance(value, dict | list) or (value is None and event.value == ""):
                if self.deferred is None:
                    self.deferred = Problem(
                        self.document.path, *where, "mapping keys must be plain text"
                    )
                key: Any = object()  # a stand-in, so building can go on to the end
            else:
                key = value if isinstance(value, str | int | float | bool) else str(value)
            if key in frame.key_lines:
                self._fail(
                    event,
                    f"duplicate key {key!r} (first at line {frame.key_lines[key]})",
                )
            frame.key_lines[key] = where[0]
            frame.key, frame.has_key = key, True
            self.document.positions[(*frame.loc, key)] = where
            return (*frame.loc, key)
        loc = (*frame.loc, frame.key)
        frame.container[frame.key] = value
        frame.has_key = False
        self.document.value_positions[loc] = where
        return loc


class _Dumper:
    """Builds (once) a PyYAML dumper that writes YAML 1.2 booleans.

    PyYAML follows YAML 1.1 and so quotes ``yes``, ``no``, ``on`` and ``off``; under
    the 1.2 rules this module reads with, they are plain text and need no quotes.
    """

    cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cls is None:
            import yaml

            class Dumper(yaml.SafeDumper):
                pass

            Dumper.yaml_implicit_resolvers = {
                first: [
                    (tag, regexp if tag != "tag:yaml.org,2002:bool" else _BOOL_12)
                    for tag, regexp in resolvers
                ]
                for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
            }
            cls.cls = Dumper
        return cls.cls


_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


def dump_yaml(data: Any) -> str:
    """YAML text for plain data: block style, keys in the given order, Unicode kept."""
    import yaml

    return yaml.dump(
        data,
        Dumper=_Dumper.get(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
