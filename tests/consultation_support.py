"""Helpers for consultation tests: plan what a runner types, independent oracles.

Tests must not depend on which questions the knowledge base holds or in which order
they are asked (the knowledge base grows), so scripts are planned by walking the
library's consultation with a chosen runner, then typed into the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from expert.consultation import RED_FLAG_TIERS, Consultation
from knowledge import KnowledgeBase, Profile
from knowledge.conditions import holds_all
from knowledge.schema import TIERS, Question


def typed(question: Question, value: Any) -> str:
    """What a runner types at the prompt for ``value``: y/n, choice numbers, a number."""
    if question.type == "yesno":
        return "y" if value else "n"
    numbers = {c.value: str(i) for i, c in enumerate(question.choices, 1)}
    if question.type == "choice":
        return numbers[value]
    if question.type == "multi":
        return ",".join(numbers[v] for v in value) or "none"
    return f"{value:g}"


def benign_answer(consultation: Consultation, question: Question) -> Any:
    """The first answer (``none`` first for multi, ``no`` first) that raises no red flag."""
    if question.type == "multi":
        candidates: list[Any] = [(), *((v,) for v in question.values)]
    elif question.type == "yesno":
        candidates = [False, True]
    elif question.type == "number":
        candidates = [question.min, question.max]
    else:
        candidates = list(question.values)
    for value in candidates:
        consultation.answer(question.id, value)
        red = consultation.is_red_flag
        consultation.back()
        if not red:
            return value
    return candidates[0]


def plan(
    kb: KnowledgeBase,
    wanted: Mapping[str, Any] | None = None,
    *,
    stop_after: int | None = None,
    refine: bool = False,
) -> tuple[list[str], Consultation]:
    """Lines a runner types to answer every asked question (``wanted`` first, else benign).

    Returns the lines and the library consultation in the state the CLI should reach
    (one question at a time: checklists are typed by :func:`plan_screens`). With
    ``refine``, past a stable headline to the end.
    """
    consultation = Consultation(kb)
    consultation.refine(refine)
    return plan_from(consultation, wanted, stop_after=stop_after)


def plan_from(
    consultation: Consultation,
    wanted: Mapping[str, Any] | None = None,
    *,
    stop_after: int | None = None,
) -> tuple[list[str], Consultation]:
    """As :func:`plan`, from a consultation under way: one line per screen."""
    wanted = dict(wanted or {})
    lines: list[str] = []
    while step := consultation.next_step():
        if stop_after is not None and len(lines) >= stop_after:
            break
        if len(step) == 1:
            question = step[0]
            value = wanted.get(question.id)
            if value is None:
                value = benign_answer(consultation, question)
            consultation.answer(question.id, value)
            lines.append(typed(question, consultation.answers[question.id]))
            continue
        values = {}
        for question in step:
            value = wanted.get(question.id)
            values[question.id] = benign_answer(consultation, question) if value is None else value
        consultation.answer_step(values)
        ticked = [str(n) for n, q in enumerate(step, 1) if values[q.id] is True]
        lines.append(",".join(ticked) or "none")
    return lines, consultation


def red_flag_claims(kb: KnowledgeBase) -> list[str]:
    """Claims that set an emergency or urgent triage tier."""
    return [cid for cid, claim in kb.claims.items() if claim.triage in RED_FLAG_TIERS]


def expected_red_tier(kb: KnowledgeBase, answers: Mapping[str, Any]) -> str | None:
    """The most urgent red-flag tier these answers trigger, computed from the data alone."""
    applicable = kb.applicable(answers)
    findings = kb.holding_findings(applicable)
    tiers = [
        kb.claims[cid].triage
        for cid in red_flag_claims(kb)
        if holds_all(kb.conditions[cid], applicable, findings)
    ]
    return min(tiers, key=TIERS.index) if tiers else None  # type: ignore[arg-type]


def settled_red_tier(
    kb: KnowledgeBase, answers: Mapping[str, Any], unknown: frozenset[str]
) -> str | None:
    """The most urgent red-flag tier no answer still to come can take back, or None.

    A red flag holds for good once one way it can hold (its conditions, findings
    replaced by their clauses) holds with no ``unless`` test on an open question.
    """
    from knowledge.satisfy import alternatives

    applicable = kb.applicable(answers)
    tiers = []
    for cid in red_flag_claims(kb):
        for alt in alternatives(kb, kb.conditions[cid]):
            open_unless = any(
                c.holds_unanswered and c.question not in applicable and c.question not in unknown
                for c in alt
            )
            if holds_all(alt, applicable) and not open_unless:
                tiers.append(kb.claims[cid].triage)
                break
    return min(tiers, key=TIERS.index) if tiers else None  # type: ignore[arg-type]


def can_still_change(
    kb: KnowledgeBase, answers: Mapping[str, Any], unknown: frozenset[str], qid: str
) -> bool:
    """Oracle, written apart from the consultation: could answering ``qid`` matter?

    A rule is read as every way it can hold: its conditions with each finding it tests
    replaced by one of the finding's clauses (``knowledge.satisfy.alternatives``). True
    if one of those ways for some claim, finding or contradiction clause tests ``qid``
    (or a question whose ask_if depends on ``qid``), does not hold already for good, has
    no condition failed by an answer, and tests no question answered unknown (an
    ``unless`` test passes while unanswered but an answer can undo it). After a red
    flag, only rules that would make the triage more urgent count, and the clauses of
    warning-sign findings that do not hold yet.
    """
    from knowledge.satisfy import alternatives

    applicable = kb.applicable(answers)
    rules: list[tuple[tuple[Any, ...], str | None, bool]] = [
        (alt, kb.claims[cid].triage, False)
        for cid in kb.claims
        for alt in alternatives(kb, kb.conditions[cid])
    ]
    rules += [
        (alt, None, False)
        for clauses in kb.contradictions.values()
        for conds, _ in clauses
        for alt in alternatives(kb, conds)
    ]
    holding = kb.holding_findings(applicable)
    rules += [
        (alt, None, kb.findings[fid].warning_sign and fid not in holding)
        for fid, clauses in kb.finding_clauses.items()
        for clause in clauses
        for alt in alternatives(kb, clause)
    ]
    red = settled_red_tier(kb, answers, unknown)
    opened = {qid}
    changed = True
    while changed:  # questions whose ask_if depends on qid, directly or not
        changed = False
        for other, pre in kb.preconditions.items():
            if other not in opened and any(c.question in opened for c in pre):
                opened.add(other)
                changed = True
    for conditions, tier, refines in rules:
        more_urgent = tier is not None and TIERS.index(tier) < TIERS.index(red or "self_care")
        if red is not None and not (more_urgent or refines):
            continue
        open_tests = [
            c for c in conditions if c.question in opened and c.question not in applicable
        ]
        if not open_tests:
            continue
        blocked = any(
            (c.question in unknown and not c.holds_unanswered)
            or (c.question in applicable and not c.holds(applicable[c.question]))
            for c in conditions
        )
        if not blocked:
            return True
    return False


def profile_of(consultation: Consultation) -> Profile:
    """The consultation's answers as a plain profile."""
    return Profile(dict(consultation.answers), consultation.unknowns)
