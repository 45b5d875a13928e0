"""Problems found in knowledge-base files or profiles, reported as ``path:line:col: message``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, positioned for an editor to jump to."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class ProblemsError(Exception):
    """Raised with every problem found, never just the first one."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(str(word), sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def one_of(values: Iterable[object]) -> str:
    """Render allowed values for an error message: ``one of: a, b, c``."""
    return "one of: " + ", ".join(str(v) for v in values)


def with_article(word: str) -> str:
    """``word`` with its indefinite article: ``an aftercare``, ``a cause``."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
