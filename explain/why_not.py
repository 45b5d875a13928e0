"""*Why not*: for a conclusion that did not fire, what could have produced it and what failed.

Each candidate claim is listed with every condition and its state for this runner
(holds, fails, unknown, unanswered, set aside), then the smallest change of answers that
makes the conclusion fire, verified by running the engine (see :mod:`explain.change`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .context import ClaimView
from .items import Item, has_fired, triage_tier

if TYPE_CHECKING:
    from expert.engine import Run
    from knowledge import Condition, KnowledgeBase


@dataclass(frozen=True)
class ConditionState:
    """One condition of a candidate claim and how it stands for this runner."""

    question: str
    prompt: str
    test: str
    state: str  # holds, fails, unknown, unanswered or set_aside
    answer: str | None
    note: str = ""


@dataclass(frozen=True)
class Candidate:
    """A claim that could have produced the conclusion, and the state of each condition."""

    claim: ClaimView
    fired: bool
    conditions: tuple[ConditionState, ...]


@dataclass(frozen=True)
class AnswerChange:
    """One answer the proposal changes."""

    question: str
    prompt: str
    before: str
    after: str


@dataclass(frozen=True)
class WhyNot:
    """Everything ``cramp explain ITEM --why-not`` shows."""

    item: Item
    fired: bool
    level: str
    candidates: tuple[Candidate, ...]
    blockers: tuple[Candidate, ...]
    change: tuple[AnswerChange, ...] | None
    change_fires: tuple[str, ...]
    runs: int
    max_changes: int


def explain_why_not(kb: KnowledgeBase, run: Run, item: Item) -> WhyNot:
    """Why ``item`` did not fire for this run, and the smallest change that makes it fire."""
    from .change import MAX_CHANGES, Found, smallest_change

    level = triage_tier(run)
    fired = has_fired(item, run)
    candidates, blockers = candidate_claims(kb, item)
    if fired or (item.kind == "triage" and item.id in ("", "self_care")):
        return WhyNot(item, fired, level, (), (), None, (), 0, MAX_CHANGES)
    if item.kind == "triage" and _more_urgent(level, item.id):
        # The level is already above the tier asked about; nothing to search for.
        return WhyNot(item, fired, level, (), (), None, (), 0, MAX_CHANGES)

    def target(r: Run) -> bool:
        if item.kind == "triage":
            return any(f["tier"] == item.id for f in r.derived("Triage"))
        return has_fired(item, r)

    result = smallest_change(kb, run.profile, candidates, target, blockers=blockers)
    change: tuple[AnswerChange, ...] | None = None
    fires: tuple[str, ...] = ()
    if isinstance(result, Found):
        change = tuple(_change(kb, run, q, v) for q, v in result.changes.items())
        fires = tuple(sorted(set(candidates) & result.run.fired_claims))
    fired_blockers = [b for b in blockers if b in run.fired_claims]
    return WhyNot(
        item=item,
        fired=fired,
        level=level,
        candidates=tuple(_candidate(kb, run, c) for c in candidates),
        blockers=tuple(_candidate(kb, run, b) for b in fired_blockers),
        change=change,
        change_fires=fires,
        runs=result.runs,
        max_changes=MAX_CHANGES,
    )


def candidate_claims(kb: KnowledgeBase, item: Item) -> tuple[list[str], list[str]]:
    """Claims that could produce ``item``, and claims that could stop it (withholds)."""
    if item.kind == "cause":
        claims = [c.id for c in kb.claims_by_theory[item.id] if c.stance != "disputes"]
        return sorted(claims), []
    if item.kind == "advice":
        claims = [c.id for c in kb.claims_by_advice[item.id] if c.stance != "disputes"]
        blockers = [c.id for c in kb.claims.values() if item.id in c.withholds]
        return sorted(claims), sorted(blockers)
    return sorted(c.id for c in kb.claims.values() if c.triage == item.id and item.id), []


def _more_urgent(level: str, tier: str) -> bool:
    from knowledge.schema import TIERS

    return TIERS.index(level) < TIERS.index(tier)


def _candidate(kb: KnowledgeBase, run: Run, claim_id: str) -> Candidate:
    from .build import claim_view

    states = tuple(_state(kb, run, c) for c in kb.conditions[claim_id])
    return Candidate(claim_view(kb, claim_id), claim_id in run.fired_claims, states)


def _state(kb: KnowledgeBase, run: Run, cond: Condition) -> ConditionState:
    from .values import answer_words

    q = cond.question
    question = kb.questions[q]
    profile = run.profile
    shown = answer_words(question, profile.answers[q]) if q in profile.answers else None
    if q in run.answers:
        state = "holds" if cond.holds(run.answers[q]) else "fails"
        return ConditionState(q, question.prompt, cond.describe(), state, shown)
    if q in profile.unknown:
        return ConditionState(q, question.prompt, cond.describe(), "unknown", "don't know")
    if q in profile.answers:
        ask_if = " and ".join(c.describe() for c in kb.preconditions.get(q, ()))
        note = f"asked only if {ask_if}" if ask_if else ""
        return ConditionState(q, question.prompt, cond.describe(), "set_aside", shown, note)
    return ConditionState(q, question.prompt, cond.describe(), "unanswered", None)


def _change(kb: KnowledgeBase, run: Run, q: str, value: Any) -> AnswerChange:
    from .values import answer_words

    question = kb.questions[q]
    profile = run.profile
    if q in profile.unknown:
        before = "don't know"
    elif q in profile.answers:
        before = answer_words(question, profile.answers[q])
        if q not in run.answers:
            before += " (set aside)"
    else:
        before = "not answered"
    return AnswerChange(q, question.prompt, before, answer_words(question, value))
