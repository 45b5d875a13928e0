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
    kb: KnowledgeBase, wanted: Mapping[str, Any] | None = None, *, stop_after: int | None = None
) -> tuple[list[str], Consultation]:
    """Lines a runner types to answer every asked question (``wanted`` first, else benign).

    Returns the lines and the library consultation in the state the CLI should reach.
    """
    wanted = dict(wanted or {})
    consultation = Consultation(kb)
    lines: list[str] = []
    while (question := consultation.next_question()) is not None:
        if stop_after is not None and len(lines) >= stop_after:
            break
        value = wanted.get(question.id)
        if value is None:
            value = benign_answer(consultation, question)
        consultation.answer(question.id, value)
        lines.append(typed(question, consultation.answers[question.id]))
    return lines, consultation


def red_flag_claims(kb: KnowledgeBase) -> list[str]:
    """Claims that set an emergency or urgent triage tier."""
    return [cid for cid, claim in kb.claims.items() if claim.triage in RED_FLAG_TIERS]


def expected_red_tier(kb: KnowledgeBase, answers: Mapping[str, Any]) -> str | None:
    """The most urgent red-flag tier these answers trigger, computed from the data alone."""
    applicable = kb.applicable(answers)
    tiers = [
        kb.claims[cid].triage
        for cid in red_flag_claims(kb)
        if holds_all(kb.conditions[cid], applicable)
    ]
    return min(tiers, key=TIERS.index) if tiers else None  # type: ignore[arg-type]


def can_still_change(
    kb: KnowledgeBase, answers: Mapping[str, Any], unknown: frozenset[str], qid: str
) -> bool:
    """Oracle, written apart from the consultation: could answering ``qid`` matter?

    True if some claim or contradiction clause testing ``qid`` (or a question whose
    ask_if depends on ``qid``) has not fired, has no condition failed by an answer, and
    tests no question answered unknown. After a red flag, only rules that would make the
    triage more urgent count.
    """
    applicable = kb.applicable(answers)
    rules: list[tuple[tuple[Any, ...], str | None]] = [
        (kb.conditions[cid], kb.claims[cid].triage) for cid in kb.claims
    ]
    rules += [(conds, None) for clauses in kb.contradictions.values() for conds, _ in clauses]
    red = expected_red_tier(kb, answers)
    opened = {qid}
    changed = True
    while changed:  # questions whose ask_if depends on qid, directly or not
        changed = False
        for other, pre in kb.preconditions.items():
            if other not in opened and any(c.question in opened for c in pre):
                opened.add(other)
                changed = True
    for conditions, tier in rules:
        if red is not None and (tier is None or TIERS.index(tier) >= TIERS.index(red)):
            continue
        if not any(c.question in opened for c in conditions):
            continue
        if holds_all(conditions, applicable):
            continue  # fired already
        blocked = any(
            c.question in unknown
            or (c.question in applicable and not c.holds(applicable[c.question]))
            for c in conditions
        )
        if not blocked:
            return True
    return False


def profile_of(consultation: Consultation) -> Profile:
    """The consultation's answers as a plain profile."""
    return Profile(dict(consultation.answers), consultation.unknowns)
