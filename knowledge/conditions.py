"""The condition language: when a claim applies, when a question is worth asking.

Authors write a mapping of question id to a test; every test must hold (AND)::

    when:
      cramp_timing: night              # the answer is night (multi: includes night)
      hydration_before: [poor, none]   # the answer is one of these (multi: includes any)
      sleep_quality: {not: good}       # known, and not good (multi: includes none of them)
      leg_signs: {all: [swelling, bruising]}  # multi: includes every one of them
      eases_with_stretch: {unless: yes}  # not known to be yes: no, "unknown" or unanswered
      weekly_increase_pct: {min: 10}   # a number at least 10 (``max`` too; both inclusive)
      hard_session_recent: yes         # yes/no questions take yes, no, true or false
      finding: possible_clot           # a finding holds (a list: every one of them)

A condition never holds for a question that was not answered or answered "unknown":
the engine goes on without that fact, and nothing that needs it can fire. The one
exception is ``unless``, written for safety rules: "don't know" is not "no", so a
warning sign that is only ruled out by an answer holds until that answer is given.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .problems import did_you_mean, one_of, quoted
from .values import value_text

if TYPE_CHECKING:
    from .schema import Question

YES = frozenset({"yes", "true", "y"})
NO = frozenset({"no", "false", "n"})


#: The key of a condition on findings rather than on an answer.
FINDING_KEY = "finding"


@dataclass(frozen=True)
class FindingTest:
    """A condition that a finding holds (was derived by its rules) for this runner."""

    finding: str

    def describe(self, label: str | None = None) -> str:
        """Plain-words rendering, e.g. ``finding: a possible clot``."""
        return f"finding: {label or self.finding}"


@dataclass(frozen=True)
class Condition:
    """One test on one answer.

    ``op`` is ``any`` (one of / includes any), ``all`` (multi: includes every one),
    ``none`` (known and none of them), ``unless`` (not known to be any of them: holds
    for an unanswered or "unknown" question too) or ``range``.
    """

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
            if self.op == "all":
                return self.values.issubset(value)
            hit = not self.values.isdisjoint(value)
        else:
            hit = value in self.values
        return hit if self.op == "any" else not hit

    @property
    def holds_unanswered(self) -> bool:
        """Whether the test holds while its question has no known answer (``unless`` only)."""
        return self.op == "unless"

    def violated_by(self, value: Any) -> bool:
        """For ``unless``: whether a known answer rules the test out (the engine's NOT)."""
        return not self.holds(value)

    def satisfying(self, question: Question) -> list[Any]:
        """Single answers of ``question`` that satisfy this test (numbers: the range ends)."""
        if question.type == "number":
            assert question.min is not None and question.max is not None, "set on number questions"
            low = self.low if self.low is not None else question.min
            high = self.high if self.high is not None else question.max
            return [v for v in (low, high) if question.min <= v <= question.max]
        if question.type == "multi":
            picks = [(v,) for v in question.values]
            if self.op == "all":
                picks.append(tuple(sorted(self.values)))
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
        joined = " and " if self.op == "all" else " or "
        shown = joined.join(sorted(value_text(v) for v in self.values))
        if self.op == "unless":
            verb = "does not include" if self.qtype == "multi" else "is not"
            return f"{name} {verb} {shown} (or is not known)"
        if self.qtype == "multi":
            verb = {"any": "includes", "all": "includes", "none": "includes none of"}[self.op]
        else:
            verb = "is" if self.op == "any" else "is not"
        return f"{name} {verb} {shown}"


class ConditionError(ValueError):
    """A condition that does not fit its question; ``key`` says which part is wrong."""

    def __init__(self, message: str, key: tuple[Any, ...] = (), *, at_value: bool = True) -> None:
        super().__init__(message)
        self.key = key
        self.at_value = at_value


#: One test of a rule: on an answer, or that a finding holds.
Test = Condition | FindingTest


def parse_conditions(
    raw: Mapping[str, Any],
    questions: Mapping[str, Question],
    findings: Collection[str] = (),
) -> tuple[list[Test], list[ConditionError]]:
    """Parse a ``when`` mapping; return the tests and every error found.

    Answer conditions come first, by question id, then finding tests by finding id.
    """
    conditions: list[Condition] = []
    tested: list[FindingTest] = []
    errors: list[ConditionError] = []
    for qid, test in raw.items():
        if qid == FINDING_KEY:
            names = test if isinstance(test, list) else [test]
            if not names:
                errors.append(ConditionError("an empty list of findings never matches", (qid,)))
            for index, name in enumerate(names):
                key = (qid, index) if isinstance(test, list) else (qid,)
                if not isinstance(name, str) or name not in findings:
                    hint = did_you_mean(name, findings) if isinstance(name, str) else ""
                    errors.append(ConditionError(f"unknown finding {quoted(name)}{hint}", key))
                else:
                    tested.append(FindingTest(name))
            continue
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
    answers = sorted(conditions, key=lambda c: c.question)
    ordered: list[Test] = [*answers, *sorted(set(tested), key=lambda t: t.finding)]
    return ordered, errors


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
        ops = {"not": "none", "unless": "unless", "all": "all"}
        if len(test) != 1 or next(iter(test)) not in ops:
            also = " or {all: [...]}" if question.type == "multi" else ""
            raise ConditionError(
                f"a {question.type} question is tested with a value, a list, "
                f"{{not: ...}} or {{unless: ...}}{also}"
            )
        [(word, test)] = test.items()
        if word == "all" and question.type != "multi":
            raise ConditionError("{all: [...]} tests a multi-choice question only")
        op = ops[word]
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
    conditions: Iterable[Test],
    answers: Mapping[str, Any],
    findings: Collection[str] = (),
) -> bool:
    """Whether every test holds for these known answers and findings.

    A missing answer fails its condition, except an ``unless`` test, which holds.
    """
    for c in conditions:
        if isinstance(c, FindingTest):
            if c.finding not in findings:
                return False
        elif c.question in answers:
            if not c.holds(answers[c.question]):
                return False
        elif not c.holds_unanswered:
            return False
    return True
