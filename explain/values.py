"""How answers read in explanations: as their ids (graphs) or in words (reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.schema import Question


def answer_text(value: Any) -> str:
    """An answer as the profile would write it: ``yes``, ``night, after_run``, ``12``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list | frozenset):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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


def json_value(value: Any) -> Any:
    """An answer as JSON data: yes/no as booleans, lists for multi answers, whole numbers as int."""
    if isinstance(value, tuple | list | frozenset):
        return tuple(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
