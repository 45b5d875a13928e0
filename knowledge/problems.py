"""Problems found in knowledge-base files or profiles, reported as ``path:line:col: message``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# What a terminal acts on or shows as a line break: C0 and C1 controls (ESC starts every
# escape sequence), DEL, Unicode line and paragraph separators, and the bidirectional
# controls that reorder what is displayed ("Trojan source"), and lone surrogates (bytes
# that were not UTF-8, which would otherwise be written back raw).
_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: object) -> str:
    """``text`` as one inert line: control characters shown as escapes (``\\x1b``, ``\\n``)."""
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, positioned for an editor to jump to."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        # One line, always: a file name or a quoted value may carry newlines or escapes.
        return printable(f"{self.path}:{self.line}:{self.col}: {self.message}")


class ProblemsError(Exception):
    """Raised with every problem found, never just the first one."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


def quoted(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a message, shortened in the middle when longer than ``limit``."""
    text = repr(value)
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    import difflib  # only when there is a mistake to suggest a fix for

    close = difflib.get_close_matches(str(word), sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def one_of(values: Iterable[object]) -> str:
    """Render allowed values for an error message: ``one of: a, b, c``."""
    return "one of: " + ", ".join(str(v) for v in values)


def with_article(word: str) -> str:
    """``word`` with its indefinite article: ``an aftercare``, ``a cause``."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
