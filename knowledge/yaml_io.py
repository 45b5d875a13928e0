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
  one stream, and nesting deeper than :data:`MAX_DEPTH` (checked while events arrive:
  libyaml's own composer recurses once per level and crashes the interpreter on a
  document nested 100,000 deep, which is why nothing here composes nodes), and numbers
  longer than :data:`MAX_NUMBER_CHARS` (Python refuses to convert ints of more than
  4,300 digits, and nothing here needs them).
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .problems import Problem, ProblemsError, quoted

Location = tuple[str | int, ...]

#: Deeper documents than this are rejected rather than built.
MAX_DEPTH = 64
#: Longer numbers than this are rejected rather than converted.
MAX_NUMBER_CHARS = 100
#: Knowledge-base files larger than this are refused unread.
MAX_FILE_BYTES = 10_000_000

_NO_ANCHORS = "YAML anchors and aliases are not allowed; write each value out in full"
_NO_TAGS = "YAML tags are not allowed; write plain text, numbers, lists and mappings"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


@dataclass
class Document:
    """Plain data from one file plus the 1-based (line, col) of each location in it.

    A document parsed from text keeps the text, not the positions: they take twice the
    memory of the data (the bundled knowledge base replicated ×100 held 167 MB of them),
    and only a problem needs one, so they are worked out from the text the first time
    one is asked.
    """

    path: str
    data: Any
    positions: dict[Location, tuple[int, int]] = field(default_factory=dict)
    #: Where each value starts (``positions`` holds where its key or item starts).
    value_positions: dict[Location, tuple[int, int]] = field(default_factory=dict)
    #: How many keys, values and items it holds (what its memory grows with).
    values: int = 0
    #: The text parsed, UTF-8 encoded (half the memory of most text with a few non-ASCII
    #: characters), until its positions are worked out.
    text: bytes | None = None

    def where(self, loc: Location, *, value: bool = False) -> tuple[int, int]:
        """Position of ``loc`` (its value if asked and known) or of its nearest parent."""
        if self.text is not None:
            self._locate()
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

    def _locate(self) -> None:
        """Parse the text again, this time recording where everything is."""
        import yaml

        assert self.text is not None
        builder = _Builder(self.path, located=True)
        # The text parsed once without a problem, so it parses the same way again.
        for event in yaml.parse(self.text.decode("utf-8", "surrogatepass"), Loader=_loader(yaml)):
            builder.feed(event)
        self.positions = builder.document.positions
        self.value_positions = builder.document.value_positions
        self.text = None


def _loader(yaml: Any) -> Any:
    """libyaml's parser when PyYAML was built with it (far faster), else PyYAML's own."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, path: str, *, max_values: int | None = None) -> Document:
    """Parse ``text`` (YAML or JSON) into a :class:`Document`; raise ProblemsError if bad.

    With ``max_values``, a document holding more keys, values and items than that is
    refused as soon as it gets there (memory grows with them, not only with bytes).
    """
    import yaml

    builder = _Builder(path, max_values)
    try:
        for event in yaml.parse(text, Loader=_loader(yaml)):
            builder.feed(event)
        # Reported only now: a syntax error further on explains more than this does.
        if builder.deferred is not None:
            raise ProblemsError([builder.deferred])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        # libyaml's messages may span lines; a problem is one line.
        message = " ".join(" ".join(str(p).split()) for p in (exc.context, exc.problem) if p)
        raise ProblemsError(
            [Problem(path, line, col, f"not valid YAML or JSON: {message or 'syntax error'}")]
        ) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML never allows (NUL, most control characters), wherever it is.
        before = text[: exc.position]
        line, col = before.count("\n") + 1, len(before) - before.rfind("\n")
        raise ProblemsError(
            [
                Problem(
                    path,
                    line,
                    col,
                    f"not valid YAML or JSON: character #x{exc.character:04x} is not allowed "
                    "(control characters cannot appear in YAML or JSON text)",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise ProblemsError([Problem(path, 1, 1, f"not valid YAML or JSON: {message}")]) from None
    builder.document.text = text.encode("utf-8", "surrogatepass")
    return builder.document


def read_yaml(
    path: Path, display: str | None = None, *, whole: bool = False, max_values: int | None = None
) -> Document:
    """Read and parse a file; unreadable, oversized or non-UTF-8 files become problems.

    With ``whole``, a file that does not end with a line break is refused as probably
    cut short (a truncated copy or download can still be valid YAML, minus its end).
    ``max_values`` is as for :func:`parse_yaml`.
    """
    shown = display or str(path)
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except TooLargeError as exc:
        raise ProblemsError([Problem(shown, 1, 1, exc.describe("a knowledge-base file"))]) from None
    except IsADirectoryError:
        raise ProblemsError([Problem(shown, 1, 1, "is a directory, expected a file")]) from None
    except FileNotFoundError:
        raise ProblemsError([Problem(shown, 1, 1, "no such file")]) from None
    except OSError as exc:
        raise ProblemsError([Problem(shown, 1, 1, f"cannot read file: {exc.strerror}")]) from None
    text = decode(raw, shown)
    if whole and raw and not raw.endswith(b"\n"):
        last = raw.rsplit(b"\n", 1)[-1]
        raise ProblemsError(
            [
                Problem(
                    shown,
                    raw.count(b"\n") + 1,
                    len(last) + 1,
                    "the file does not end with a line break, so it may have been cut short; "
                    "restore it whole (or end it with a new line)",
                )
            ]
        )
    return parse_yaml(text, shown, max_values=max_values)


class TooManyValues(ProblemsError):
    """A document holding more keys, values and items than its ``max_values``."""


class TooLargeError(ValueError):
    """Input larger than its limit; ``size`` is None when it was a stream, not a file."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def describe(self, what: str) -> str:
        """``too large (52,428,800 bytes); a profile is at most 1 MB``."""
        size = f"{self.size:,} bytes" if self.size is not None else f"over {_mb(self.limit)}"
        return f"too large ({size}); {what} is at most {_mb(self.limit)}"


def read_list_file(path: Path, key: str, what: str) -> list[Any] | None:
    """The list under ``key`` in the YAML file at ``path``, or None if there is no file.

    Read like every knowledge-base file (size limit, no aliases or tags, YAML 1.2
    scalars); raises :class:`ProblemsError` when it cannot be read or holds no such list.
    """
    if not path.is_file():
        return None
    doc = read_yaml(path, str(path), whole=True)
    raw = doc.data.get(key) if isinstance(doc.data, dict) else None
    if not isinstance(raw, list):
        raise ProblemsError([Problem(str(path), 1, 1, f"expected a mapping with a list of {what}")])
    return raw


def _mb(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit:,} bytes"


def mode_kind(mode: int) -> str:
    """What a file mode describes, for messages: ``a FIFO (named pipe)``, ``a device``..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"


def special_file(path: Path | str) -> str | None:
    """What ``path`` is if it is neither a regular file nor a directory (links followed).

    Such a file is never opened where only files are expected: opening a FIFO waits
    for a writer that may never come, and a device can be read without end.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else mode_kind(mode)


def read_limited(path: Path | str, limit: int) -> bytes:
    """The bytes of ``path``, or :class:`TooLargeError` if there are more than ``limit``.

    A regular file is measured before it is read, so a huge one is refused unread;
    devices and pipes (``/dev/zero``, ``<(...)``) are read no further than the limit.
    """
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise TooLargeError(info.st_size, limit)
        return read_stream_limited(handle, limit)


def read_stream_limited(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit`` bytes from a binary stream; :class:`TooLargeError` if it has more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(None, limit)
    return data


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
    """YAML 1.2 core schema: quoted scalars are text; plain ones may be null, bool, number.

    Raises ``ValueError`` for a number longer than :data:`MAX_NUMBER_CHARS`.
    """
    if not plain:
        return value
    if len(value) > MAX_NUMBER_CHARS and any(
        pattern.match(value) for pattern in (_INT, _OCT, _HEX, _FLOAT)
    ):
        raise ValueError(f"numbers longer than {MAX_NUMBER_CHARS} characters are not allowed")
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

    def __init__(self, path: str, max_values: int | None = None, *, located: bool = False) -> None:
        self.document = Document(path, None, {(): (1, 1)})
        self.max_values = max_values
        #: Whether to record each location's position (see Document).
        self.located = located
        self.stack: list[_Frame] = []
        self.documents = 0
        self.deferred: Problem | None = None

    def _fail(self, event: Any, message: str) -> None:
        mark = event.start_mark
        raise ProblemsError([Problem(self.document.path, mark.line + 1, mark.column + 1, message)])

    def feed(self, event: Any) -> None:
        import yaml

        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._fail(event, "expected a single document, found several (---)")
            return
        if isinstance(event, yaml.AliasEvent):
            self._fail(event, _NO_ANCHORS)
        if isinstance(event, yaml.NodeEvent):
            if event.anchor is not None:
                self._fail(event, _NO_ANCHORS)
            # Aliases, the other node events, carry no tag (and were refused above).
            if (
                isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent)
                and event.tag is not None
                and event.tag != "!"
            ):
                self._fail(event, _NO_TAGS)
        if isinstance(event, yaml.ScalarEvent):
            # implicit[0]: a plain scalar, which resolves to null, bool or number.
            plain = bool(event.implicit and event.implicit[0]) and not event.style
            try:
                value = resolve_scalar(event.value, plain)
            except ValueError as exc:
                self._fail(event, str(exc))
            if isinstance(value, float) and not math.isfinite(value):
                self._fail(
                    event,
                    "NaN and infinite numbers are not allowed (nor numbers too large to hold)",
                )
            self._add(event, value)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(self.stack) >= MAX_DEPTH:
                self._fail(event, f"nested deeper than {MAX_DEPTH} levels")
            container: dict[Any, Any] | list[Any] = (
                {} if isinstance(event, yaml.MappingStartEvent) else []
            )
            loc = self._add(event, container)
            self.stack.append(_Frame(loc, container))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self.stack.pop()

    def _add(self, event: Any, value: Any) -> Location:
        """Place ``value`` in the container being built; return its location.

        Locations (and positions) are worked out only when ``located``; otherwise the
        location returned is ``()``.
        """
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1)
        self.document.values += 1
        if self.max_values is not None and self.document.values > self.max_values:
            raise TooManyValues(
                [Problem(self.document.path, *where, "too many keys, values and list items")]
            )
        located = self.located
        if not self.stack:
            self.document.data = value
            if located:
                self.document.positions[()] = where
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            if located:
                loc = (*frame.loc, len(frame.container))
                self.document.positions[loc] = where
            else:
                loc = ()
            frame.container.append(value)
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
                    f"duplicate key {quoted(key)} (first at line {frame.key_lines[key]}); "
                    "each key may appear only once",
                )
            frame.key_lines[key] = where[0]
            frame.key, frame.has_key = key, True
            if not located:
                return ()
            self.document.positions[(*frame.loc, key)] = where
            return (*frame.loc, key)
        frame.container[frame.key] = value
        frame.has_key = False
        if not located:
            return ()
        loc = (*frame.loc, frame.key)
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
