"""A question named in a conclusion: its id and its words.

The diagnosis, its summary and the report context all name questions this way (an
unchecked warning sign, a question that would sharpen the result, one answered "don't
know"), so a report shows the engine's own objects rather than copies of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def help_text(text: str) -> dict[str, Any]:
    """Field metadata documenting a field of the report context (see ``explain.context``)."""
    return {"help": text}


@dataclass(frozen=True)
class QuestionRef:
    """A question, by id and in its words."""

    question: str = field(metadata=help_text("Question id."))
    prompt: str = field(metadata=help_text("The question as put to the runner."))


__all__ = ["QuestionRef", "help_text"]
