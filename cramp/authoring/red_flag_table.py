"""What the red-flag table demands of a knowledge base, row by row.

Each row of ``red-flags.yaml`` (:mod:`knowledge.red_flags`) is a runner with warning
signs and what they must be told: exactly the row's triage tier, the row's findings,
no active advice carrying a forbidden tag (such advice, when a claim backs it, is
withheld with a reason), and a caution beside active advice with a cautioned tag.
``cramp kb test`` checks every row (the invariant ``red-flag-table-holds``) and the
mutation suite relies on it to catch a warning sign weakened by an edit.
"""

from __future__ import annotations

from expert.conclusions import Diagnosis, diagnose_run
from expert.engine import Reasoner
from knowledge import KnowledgeBase, ProblemsError
from knowledge.red_flags import RedFlagRow, row_profile

__all__ = ["row_problems"]


def row_problems(kb: KnowledgeBase, row: RedFlagRow) -> list[str]:
    """Every way ``kb`` fails the row, one sentence each (empty when it holds)."""
    try:
        profile = row_profile(row, kb)
    except ProblemsError as exc:
        return [f"its answers do not fit the questions: {exc.problems[0].message}"]
    diagnosis = diagnose_run(kb, Reasoner.for_kb(kb).run(profile), suggest=False)
    return _compare(kb, row, diagnosis)


def _compare(kb: KnowledgeBase, row: RedFlagRow, d: Diagnosis) -> list[str]:
    out = []
    if d.triage.tier != row.tier:
        out.append(f"triage is {d.triage.tier}, and the table says {row.tier}")
    found = {f.id for f in d.findings}
    missing = [f for f in row.findings if f not in found]
    if missing:
        out.append(f"finding(s) {', '.join(missing)} do not hold")
    forbidden = set(row.forbidden)
    for advice in d.advice:
        bad = sorted(forbidden & set(advice.acts_on))
        if bad:
            out.append(f"advice {advice.id!r} is active although it acts on {', '.join(bad)}")
        if set(row.cautioned) & set(advice.acts_on) and not advice.cautions:
            out.append(f"advice {advice.id!r} is active without its caution")
    for withheld in d.withheld:
        if not withheld.reasons or not all(r.because and r.claims for r in withheld.reasons):
            out.append(f"advice {withheld.id!r} is withheld without a sourced reason")
    if row.tier == "self_care" and d.triage.all_clear:
        out.append("an unanswered warning sign is read as nothing found")
    return out
