"""*Why not*: for a conclusion that did not fire, what could have produced it and what failed.

Each candidate rule (a claim, or a clause of a finding) is listed with every test and its
state for this runner (holds, fails, unknown, unanswered, set aside). A test that a
finding holds is followed, when the finding does not hold, by the state of each of that
finding's clauses, recursively. Then comes the smallest change of answers that makes the
conclusion fire, verified by running the engine (see :mod:`explain.change`). For advice a
finding withholds, the finding, its reason and the clause that holds are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .context import ClaimView
from .items import Item, has_fired, triage_tier

if TYPE_CHECKING:
    from expert.engine import Run
    from knowledge import KnowledgeBase
    from knowledge.conditions import Test


@dataclass(frozen=True)
class ConditionState:
    """One test of a candidate rule and how it stands for this runner.

    For a test that a finding holds, ``question`` is ``finding:<id>``, ``prompt`` the
    finding's title, and ``clauses`` (when it does not hold) the state of each of the
    finding's own clauses.
    """

    question: str
    prompt: str
    test: str
    state: str  # holds, fails, unknown, unanswered or set_aside
    answer: str | None
    note: str = ""
    finding: str | None = None
    clauses: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A rule that could have produced the conclusion, and the state of each of its tests.

    ``claim`` is set for a claim's rule; for a finding's clause, ``rule`` is
    ``finding:<id>:<n>`` and ``title`` says which clause it is.
    """

    claim: ClaimView | None
    fired: bool
    conditions: tuple[ConditionState, ...]
    rule: str = ""
    title: str = ""


@dataclass(frozen=True)
class Blocker:
    """A finding that holds for the runner and withholds the advice, with its reason."""

    finding: str
    title: str
    says: str
    because: str
    tags: tuple[str, ...]
    reason_claims: tuple[ClaimView, ...]
    claims: tuple[ClaimView, ...]
    clauses: tuple[Candidate, ...]


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
    blockers: tuple[Blocker, ...]
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

    result = smallest_change(kb, run.profile, candidates, target_of(item), blockers=blockers)
    change: tuple[AnswerChange, ...] | None = None
    fires: tuple[str, ...] = ()
    if isinstance(result, Found):
        change = tuple(_change(kb, run, q, v) for q, v in result.changes.items())
        reached = result.run.fired_claims | {f"finding:{f}" for f in result.run.findings}
        fires = tuple(sorted(set(candidates) & reached))
    if item.kind == "finding":
        shown = _clauses(kb, run, item.id, set())
    else:
        shown = tuple(_candidate(kb, run, c) for c in candidates)
    return WhyNot(
        item=item,
        fired=fired,
        level=level,
        candidates=shown,
        blockers=tuple(_blocker(kb, run, item.id, f) for f in blockers if f in run.findings),
        change=change,
        change_fires=fires,
        runs=result.runs,
        max_changes=MAX_CHANGES,
    )


def target_of(item: Item) -> Any:
    """What must hold of a run for ``item`` to count as fired in the search.

    For ``triage:TIER``, a claim setting that tier is enough (a higher tier may also be
    set; the question is what would make this one apply).
    """
    if item.kind == "triage":
        return lambda r: any(f["tier"] == item.id for f in r.derived("Triage"))
    return lambda r: has_fired(item, r)


def candidate_claims(kb: KnowledgeBase, item: Item) -> tuple[list[str], list[str]]:
    """Rules that could produce ``item``, and findings that could stop it (withhold it).

    A rule is named by its claim id, or ``finding:<id>`` for a finding (any of its
    clauses).
    """
    if item.kind == "cause":
        claims = [c.id for c in kb.claims_by_theory[item.id] if c.stance != "disputes"]
        return sorted(claims), []
    if item.kind == "advice":
        claims = [c.id for c in kb.claims_by_advice[item.id] if c.stance != "disputes"]
        tags = set(kb.advice[item.id].acts_on)
        blockers = [
            f
            for f, finding in kb.findings.items()
            if any(tags & set(group.tags) for group in finding.withholds)
        ]
        return sorted(claims), sorted(blockers)
    if item.kind == "finding":
        return [f"finding:{item.id}"], []
    return sorted(c.id for c in kb.claims.values() if c.triage == item.id and item.id), []


def _more_urgent(level: str, tier: str) -> bool:
    from knowledge.vocabulary import TIERS

    return TIERS.index(level) < TIERS.index(tier)


def _candidate(kb: KnowledgeBase, run: Run, claim_id: str) -> Candidate:
    from .build import claim_view

    states = _states(kb, run, kb.conditions[claim_id], set())
    return Candidate(
        claim_view(kb, claim_id), claim_id in run.fired_claims, states, f"claim:{claim_id}"
    )


def _clauses(kb: KnowledgeBase, run: Run, finding: str, seen: set[str]) -> tuple[Candidate, ...]:
    """The state of each clause of ``finding`` (each a candidate rule)."""
    clauses = kb.finding_clauses[finding]
    fired = {f.rule for f in run.trace}
    out = []
    for index, clause in enumerate(clauses):
        rule = f"finding:{finding}:{index}"
        out.append(
            Candidate(
                None,
                rule in fired,
                _states(kb, run, clause, seen | {finding}),
                rule,
                f"{kb.findings[finding].title}, clause {index + 1} of {len(clauses)}",
            )
        )
    return tuple(out)


def _states(
    kb: KnowledgeBase, run: Run, tests: tuple[Test, ...], seen: set[str]
) -> tuple[ConditionState, ...]:
    from knowledge.conditions import FindingTest

    out = []
    for test in tests:
        if isinstance(test, FindingTest):
            out.append(_finding_state(kb, run, test.finding, seen))
        else:
            out.append(_state(kb, run, test))
    return tuple(out)


def _finding_state(kb: KnowledgeBase, run: Run, finding: str, seen: set[str]) -> ConditionState:
    title = kb.findings[finding].title
    test = f"finding: {title}"
    if finding in run.findings:
        return ConditionState(f"finding:{finding}", title, test, "holds", None, finding=finding)
    # Findings form no cycle; ``seen`` only guards against a broken knowledge base.
    clauses = () if finding in seen else _clauses(kb, run, finding, seen)
    return ConditionState(
        f"finding:{finding}", title, test, "fails", None, "it does not hold", finding, clauses
    )


def _state(kb: KnowledgeBase, run: Run, cond: Any) -> ConditionState:
    from knowledge.values import answer_words

    q = cond.question
    question = kb.questions[q]
    profile = run.profile
    shown = answer_words(question, profile.answers[q]) if q in profile.answers else None
    if q in run.answers:
        state = "holds" if cond.holds(run.answers[q]) else "fails"
        return ConditionState(q, question.prompt, cond.describe(), state, shown)
    until = "holds until it is answered otherwise" if cond.holds_unanswered else ""
    if q in profile.unknown:
        state = "holds" if cond.holds_unanswered else "unknown"
        return ConditionState(q, question.prompt, cond.describe(), state, "don't know", until)
    if q in profile.answers:
        ask_if = " and ".join(c.describe() for c in kb.preconditions.get(q, ()))
        note = f"asked only if {ask_if}" if ask_if else ""
        if cond.holds_unanswered:
            note = "; ".join(n for n in (note, until) if n)
            return ConditionState(q, question.prompt, cond.describe(), "holds", shown, note)
        return ConditionState(q, question.prompt, cond.describe(), "set_aside", shown, note)
    if cond.holds_unanswered:
        return ConditionState(q, question.prompt, cond.describe(), "holds", None, until)
    return ConditionState(q, question.prompt, cond.describe(), "unanswered", None)


def _blocker(kb: KnowledgeBase, run: Run, advice_id: str, finding_id: str) -> Blocker:
    from .build import claim_view

    finding = kb.findings[finding_id]
    tags = set(kb.advice[advice_id].acts_on)
    groups = [g for g in finding.withholds if tags & set(g.tags)]
    return Blocker(
        finding=finding_id,
        title=finding.title,
        says=finding.says,
        because=" ".join(g.because for g in groups),
        tags=tuple(sorted({t for g in groups for t in g.tags} & tags)),
        reason_claims=tuple(claim_view(kb, c) for g in groups for c in g.backed_by),
        claims=tuple(claim_view(kb, c) for c in finding.backed_by),
        clauses=tuple(c for c in _clauses(kb, run, finding_id, set()) if c.fired),
    )


def _change(kb: KnowledgeBase, run: Run, q: str, value: Any) -> AnswerChange:
    from knowledge.values import answer_words

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
