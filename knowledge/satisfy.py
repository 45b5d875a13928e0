"""Find answers under which a set of conditions holds, honouring ``ask_if`` preconditions.

The engine sets aside any answer whose question's ``ask_if`` does not hold
(:meth:`KnowledgeBase.applicable`), so a claim that tests ``bedding`` can only fire for
a runner who also says cramps come at night. A claim is fireable when some profile
satisfies its conditions *and* every precondition they pull in, recursively. This
module finds such a profile by backtracking over the questions involved; every domain is
small and finite (yes/no, choices, small subsets of a multi-choice, and the end points
of numeric ranges), so the search is exact, not sampled. It keeps its own stack rather
than recursing, so a chain of thousands of ``ask_if`` questions is searched like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import combinations, product
from typing import TYPE_CHECKING, Any

from .conditions import Condition, FindingTest, Test
from .model import KnowledgeBase

if TYPE_CHECKING:
    from .schema import Question

Constraints = Mapping[str, tuple[Condition, ...]]


def satisfying_answers(kb: KnowledgeBase, conditions: Iterable[Test]) -> dict[str, Any] | None:
    """A smallest-first set of answers making ``conditions`` hold and all apply, or None.

    A finding test is met through one of the finding's clauses (each tried, fewest
    answers first); an ``unless`` test is met by leaving its question unanswered. The
    answers returned survive :meth:`KnowledgeBase.applicable` unchanged, so a profile
    made of them makes the engine see exactly these facts.
    """
    best: dict[str, Any] | None = None
    for alternative in alternatives(kb, tuple(conditions)):
        constraints: dict[str, tuple[Condition, ...]] = {}
        for cond in alternative:
            constraints[cond.question] = (*constraints.get(cond.question, ()), cond)
        found = _search(kb, {}, constraints)
        if found is not None and (best is None or len(found) < len(best)):
            best = found
    if best is None:
        return None
    # The search only assigns questions it had to; the engine's own filter must agree.
    assert kb.applicable(best) == best, best
    return best


def pins(kb: KnowledgeBase, answers: Mapping[str, Any], *, exact: bool = False) -> list[Condition]:
    """Conditions that keep these answers as they are: add them to a search so that it
    changes none. A multi-choice answer may gain values unless ``exact``."""
    out = []
    for qid, value in answers.items():
        question = kb.questions[qid]
        if question.type == "number":
            out.append(Condition(qid, question.type, "range", low=value, high=value))
        elif question.type == "multi":
            # "includes none of nothing" only says answered, whatever the values.
            others = frozenset(question.values) - set(value) if exact else frozenset()
            out.append(Condition(qid, question.type, "none", others))
            out.extend(Condition(qid, question.type, "any", frozenset({v})) for v in value)
        else:
            out.append(Condition(qid, question.type, "any", frozenset({value})))
    return out


def alternatives(kb: KnowledgeBase, tests: tuple[Test, ...]) -> list[tuple[Condition, ...]]:
    """``tests`` with every finding test replaced by one of its clauses, in every way.

    Each result is a conjunction of answer conditions that makes ``tests`` hold; a
    finding's own finding tests are expanded the same way (findings form no cycle).
    """
    plain = tuple(t for t in tests if isinstance(t, Condition))
    findings = [t.finding for t in tests if isinstance(t, FindingTest)]
    if not findings:
        return [plain]
    choices = [
        [alt for clause in kb.finding_clauses.get(f, ()) for alt in alternatives(kb, clause)]
        for f in findings
    ]
    return [plain + tuple(c for part in picked for c in part) for picked in product(*choices)]


def firing_answers(kb: KnowledgeBase, claim_id: str) -> dict[str, Any] | None:
    """Answers under which the claim's rule fires, or None if no runner can trigger it."""
    return satisfying_answers(kb, kb.conditions[claim_id])


def _search(
    kb: KnowledgeBase, assigned: dict[str, Any], constraints: Constraints
) -> dict[str, Any] | None:
    """Depth-first backtracking over the constrained questions, with an explicit stack."""
    # Each frame: the answers so far, the question being tried, the constraints its
    # answers must meet below, and the values of it not tried yet.
    frames: list[tuple[dict[str, Any], str, Constraints, Iterator[Any]]] = []
    while True:
        consistent = all(
            all(c.holds(assigned[qid]) for c in conds)
            for qid, conds in constraints.items()
            if qid in assigned
        )
        if consistent:
            # A question tested only by ``unless`` is met by leaving it unanswered.
            pending = sorted(
                q
                for q, conds in constraints.items()
                if q not in assigned and not all(c.holds_unanswered for c in conds)
            )
            if not pending:
                return assigned
            qid = pending[0]
            # Answering this question is only kept if its own preconditions hold too.
            widened = dict(constraints)
            for cond in kb.preconditions.get(qid, ()):
                widened[cond.question] = (*widened.get(cond.question, ()), cond)
            frames.append((assigned, qid, widened, candidates(kb.questions[qid], constraints[qid])))
        # The next value to try, backtracking past questions with none left.
        while frames:
            before, qid, below, values = frames[-1]
            value = next(values, _NONE)
            if value is not _NONE:
                assigned, constraints = {**before, qid: value}, below
                break
            frames.pop()
        else:
            return None


_NONE = object()


def candidates(question: Question, conditions: tuple[Condition, ...]) -> Iterator[Any]:
    """Answers to ``question`` that pass every one of ``conditions``, simplest first."""
    if question.type == "number":
        assert question.min is not None and question.max is not None, "set on number questions"
        points = {question.min, question.max}
        for cond in conditions:
            points.update(p for p in (cond.low, cond.high) if p is not None)
        # The intersection of closed ranges, when not empty, contains one of its bounds.
        values: Iterable[Any] = sorted(
            float(p) for p in points if question.min <= p <= question.max
        )
    elif question.type == "multi":
        # A witness never needs more values than there are "includes any" tests: one hit
        # per test, and dropping the other values cannot break an "includes none" test.
        size = sum(1 for c in conditions if c.op == "any")
        values = (
            tuple(sorted(pick))
            for r in range(size + 1)
            for pick in combinations(question.values, r)
        )
    else:
        values = question.values
    return (v for v in values if all(c.holds(v) for c in conditions))


__all__ = ["candidates", "firing_answers", "satisfying_answers"]
