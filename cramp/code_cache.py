"""Compiled dataclass methods, kept between commands as Python keeps modules' bytecode.

On Python 3.11 the :mod:`dataclasses` module writes the source of each class's
``__init__``, ``__repr__``, ``__eq__`` (and, for a frozen class, ``__setattr__``,
``__delattr__`` and ``__hash__``) and compiles it with ``exec`` every time the class is
defined: the forty classes on the way to a diagnosis cost about a tenth of a cold
``cramp diagnose``. The source is the same every time, so a command keeps what it
compiled, keyed by that source, in the cache directory beside the knowledge-base image;
the next command runs the kept code instead of compiling it again. The classes are the
same: the code object is exactly what ``exec`` would have compiled from that source.

The file holds code that will run, so it is read and written as the image is (see
:mod:`knowledge.trust`); one that cannot be read or is not what was written is ignored,
and rewritten at exit. It is keyed by the exact Python version, whose bytecode it holds.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import sys
from pathlib import Path
from types import CodeType
from typing import Any

__all__ = ["CodeCache", "keep_compiled_code"]

#: The file's first bytes: its format and the exact Python that compiled the code.
HEADER = b"cramp-code 2 " + sys.version.encode("utf-8", "replace") + b"\n"
#: Enough for every class the package defines many times over; a file that would grow
#: past it (sources from many versions of the code) starts again from this process's.
MAX_ENTRIES = 5_000

_INSTALLED: list[CodeCache] = []


class CodeCache:
    """Compiled code by source text, read from ``path`` on first use and saved by :meth:`save`.

    The file maps each source to its code marshalled on its own, so a command unmarshals
    only the code of the classes it defines, not that of every command before it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kept: dict[str, bytes] | None = None
        self.code: dict[str, CodeType] = {}
        self.compiled = 0

    def exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        """``exec`` as :mod:`dataclasses` calls it, with the compiled source kept."""
        if type(source) is str:
            source = self.compiled_code(source)
        builtins.exec(source, globals, locals)

    def compiled_code(self, source: str) -> CodeType:
        """The code ``exec(source)`` would run, compiled at most once per cache file."""
        code = self.code.get(source)
        if code is not None:
            return code
        if self.kept is None:
            self.kept = self._read()
        data = self.kept.get(source)
        if data is not None:
            try:
                code = marshal.loads(data)
            except (EOFError, ValueError, TypeError):
                code = None
            if type(code) is not CodeType:
                code = None
        if code is None:
            # As exec compiles a string called from dataclasses: no __future__ flags
            # of this module (postponed annotations would turn annotations into text).
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.kept[source] = marshal.dumps(code)
            self.compiled += 1
        self.code[source] = code
        return code

    def _read(self) -> dict[str, bytes]:
        from knowledge.trust import TrustError, check_directory, read_trusted

        try:
            check_directory(self.path.parent)
            data = read_trusted(self.path)
        except (OSError, TrustError):
            return {}
        if not data.startswith(HEADER):
            return {}
        try:
            kept = marshal.loads(data[len(HEADER) :])
        except (EOFError, ValueError, TypeError):
            return {}
        if not isinstance(kept, dict) or not all(
            type(k) is str and type(v) is bytes for k, v in kept.items()
        ):
            return {}
        return kept

    def save(self) -> None:
        """Write the cache if this process compiled anything; failing costs only speed."""
        if not self.compiled or self.kept is None:
            return
        from knowledge.trust import TrustError, write_private

        kept = self.kept
        if len(kept) > MAX_ENTRIES:
            kept = {source: kept[source] for source in self.code}
        with contextlib.suppress(OSError, TrustError, ValueError):
            write_private(self.path, HEADER + marshal.dumps(kept), prefix=".code-")


def keep_compiled_code(directory: Path) -> CodeCache:
    """Keep dataclass methods compiled in ``directory`` for the rest of this process.

    The first call decides the directory; later calls return the same cache. The cache is
    saved when the process exits normally.
    """
    if _INSTALLED:
        return _INSTALLED[0]
    import atexit
    import dataclasses

    cache = CodeCache(directory / f"dataclass-code.{sys.implementation.cache_tag}.marshal")
    # dataclasses looks ``exec`` up in its module's globals before the builtins.
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]
    atexit.register(cache.save)
    _INSTALLED.append(cache)
    return cache
