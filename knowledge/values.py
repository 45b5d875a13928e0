"""How values are written: an answer in a profile, as JSON data, as text, in words; a
weight or standing as a signed number.

Every place that shows or saves an answer uses these, so a yes/no answer, a
multi-choice answer or a whole number reads the same everywhere: ``yes`` in a profile
or a session and in text, ``true`` in every JSON output (``diagnose`` and ``report``
alike), its choice label in words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .schema import Question


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def profile_value(value: Any) -> Any:
    """An answer as a profile writes it: ``yes``/``no``, lists for multi, plain numbers."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list | frozenset):
        return list(value)
    if isinstance(value, float):
        return _number(value)
    return value


def json_value(value: Any) -> Any:
    """An answer as JSON data: booleans, lists for multi answers, whole numbers as int."""
    if isinstance(value, tuple | list | frozenset):
        return [str(v) for v in value]
    if isinstance(value, float):
        return _number(value)
    return value


def value_text(value: Any) -> str:
    """One value in text: ``yes``/``no``, whole numbers without ``.0``, huge ones short."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = float(value)
        # A hostile profile's 1e308 would otherwise print as a 309-digit integer.
        if abs(number) >= 1e15:
            return f"{number:g}"
        return str(int(number)) if number.is_integer() else str(number)
    return str(value)


def answer_text(value: Any) -> str:
    """An answer as text in profile form: ``yes``, ``night, after_run``, ``12``, ``none``."""
    if isinstance(value, tuple | list | frozenset):
        return ", ".join(str(v) for v in value) if value else "none"
    return value_text(value)


def answer_words(question: Question, value: Any) -> str:
    """An answer in the words the question offered (choice labels, number with unit)."""
    labels = {c.value: c.label for c in question.choices}
    if isinstance(value, tuple | list | frozenset):
        return ", ".join(labels.get(v, str(v)) for v in value) or "none"
    if question.type == "number":
        return f"{answer_text(value)} {question.unit}"
    if isinstance(value, str):
        return labels.get(value, value)
    return answer_text(value)


def signed(x: float) -> str:
    """A weight or standing with its sign and at most two decimals: ``+4``, ``-0.5``."""
    return f"{x:+.2f}".rstrip("0").rstrip(".")


def number(x: float) -> str:
    """A number with at most two decimals and no trailing zeros: ``2``, ``0.5``."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


__all__ = [
    "answer_text",
    "answer_words",
    "json_value",
    "number",
    "profile_value",
    "signed",
    "value_text",
]
