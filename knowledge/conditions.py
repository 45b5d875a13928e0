"""The condition language: when a claim applies, when a question is worth asking.

Authors write a mapping of question id to a test; every test must hold (AND)::

    when:
      cramp_timing: night              # the answer is night (multi: includes night)
      hydration_before: [poor, none]   # the answer is one of these (multi: includes any)
      sleep_quality: {not: good}       # known, and not good (multi: includes none of them)
      weekly_increase_pct: {min: 10}   # a number at least 10 (``max`` too; both inclusive)
      hard_session_recent: yes         # yes/no questions take yes, no, true or false

A condition never holds for a question that was not answered or answered "unknown":
the engine goes on without that fact, and nothing that needs it can fire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .problems import did_you_mean, one_of, quoted
from .schema import Question

YES = frozenset({"yes", "true", "y"})
NO = frozenset({"no", "false", "n"})


@dataclass(frozen=True)
class Condition:
    """One test on one answer. ``op`` is ``any`` (one of / includes any), ``none`` or ``range``."""

    question: str
    qtype: str
    op: str
    values: frozenset[Any] = frozenset()
    low: float | None = None
    high: float | None = None

    def holds(self, value: Any) -> bool:
        """Whether a known answer satisfies this test (a value of the wrong shape: no).

        Total on purpose: a RETE network may try a test on another question's answer
        before checking the question, so it must answer False, never raise.
        """
        if self.op == "range":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            return (self.low is None or value >= self.low) and (
                self.high is None or value <= self.high
            )
        if self.qtype == "multi":
            if not isinstance(value, tuple | list | frozenset | set):
                return False
            hit = not self.values.isdisjoint(value)
        else:
            hit = value in self.values
        return hit if self.op == "any" else not hit

    def satisfying(self, question: Question) -> list[Any]:
        """Single answers of ``question`` that satisfy this test (numbers: the range ends)."""
        if question.type == "number":
            low = self.low if self.low is not None else question.min
            high = self.high if self.high is not None else question.max
            return [v for v in (low, high) if question.min <= v <= question.max]
        if question.type == "multi":
            picks = [(v,) for v in question.values]
            return [p for p in picks if self.holds(p)] + ([()] if self.holds(()) else [])
        return [v for v in question.values if self.holds(v)]

    def describe(self, label: str | None = None) -> str:
        """Plain-words rendering, e.g. ``cramp_timing is night or after``."""
        name = label or self.question
        if self.op == "range":
            if self.low is not None and self.high is not None:
                return f"{name} between {value_text(self.low)} and {value_text(self.high)}"
            if self.low is not None:
                return f"{name} at least {value_text(self.low)}"
            return f"{name} at most {value_text(self.high)}"
        shown = " or ".join(sorted(value_text(v) for v in self.values))
        if self.qtype == "multi":
            verb = "includes" if self.op == "any" else "includes none of"
        else:
            verb = "is" if self.op == "any" else "is not"
        return f"{name} {verb} {shown}"


def value_text(value: Any) -> str:
    """A value in words: ``yes``/``no``, whole numbers without ``.0``, huge ones short."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = float(value)
        # A hostile profile's 1e308 would otherwise print as a 309-digit integer.
        if abs(number) >= 1e15:
            return f"{number:g}"
        return str(int(number)) if number.is_integer() else str(number)
    return str(value)


class ConditionError(ValueError):
    """A condition that does not fit its question; ``key`` says which part is wrong."""

    def __init__(self, message: str, key: tuple[Any, ...] = (), *, at_value: bool = True) -> None:
        super().__init__(message)
        self.key = key
        self.at_value = at_value


def parse_conditions(
    raw: Mapping[str, Any], questions: Mapping[str, Question]
) -> tuple[list[Condition], list[ConditionError]]:
    """Parse a ``when`` mapping; return the conditions and every error found."""
    conditions: list[Condition] = []
    errors: list[ConditionError] = []
    for qid, test in raw.items():
        question = questions.get(qid)
        if question is None:
            errors.append(
                ConditionError(
                    f"unknown question {qid!r}{did_you_mean(qid, questions)}",
                    (qid,),
                    at_value=False,
                )
            )
            continue
        try:
            conditions.append(parse_test(question, test))
        except ConditionError as exc:
            errors.append(ConditionError(f"{qid}: {exc}", (qid, *exc.key)))
    return sorted(conditions, key=lambda c: c.question), errors


def parse_test(question: Question, test: Any) -> Condition:
    """Parse the test written for one question."""
    if question.type == "number":
        if not isinstance(test, Mapping) or not test or set(test) - {"min", "max"}:
            raise ConditionError("a number question is tested with {min: N} and/or {max: N}")
        low, high = test.get("min"), test.get("max")
        for bound in (low, high):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int | float)
            ):
                raise ConditionError(f"min and max must be numbers, not {bound!r}")
        if low is not None and high is not None and low > high:
            raise ConditionError("min is above max")
        return Condition(question.id, "number", "range", low=low, high=high)
    op = "any"
    if isinstance(test, Mapping):
        if set(test) != {"not"}:
            raise ConditionError(
                f"a {question.type} question is tested with a value, a list, or {{not: ...}}"
            )
        op, test = "none", test["not"]
    values = test if isinstance(test, list) else [test]
    if not values:
        raise ConditionError("an empty list never matches")
    return Condition(
        question.id,
        question.type,
        op,
        frozenset(coerce_value(question, v) for v in values),
    )


def coerce_value(question: Question, value: Any) -> Any:
    """Check one choice or yes/no value against the question; return it normalised."""
    if question.type == "yesno":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in YES:
            return True
        if word in NO:
            return False
        raise ConditionError(f"{quoted(value)} is not yes or no")
    if not isinstance(value, str) or value not in question.values:
        hint = did_you_mean(value, question.values)
        raise ConditionError(f"{quoted(value)} is not {one_of(question.values)}{hint}")
    return value


def holds_all(
    conditions: list[Condition] | tuple[Condition, ...], answers: Mapping[str, Any]
) -> bool:
    """Whether every condition holds for these known answers (missing answer: it does not)."""
    return all(c.question in answers and c.holds(answers[c.question]) for c in conditions)
