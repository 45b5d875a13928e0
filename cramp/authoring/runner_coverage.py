"""What generated runners reach in a knowledge base: ``cramp kb test --coverage``.

Runners are drawn with a fixed seed from the public strategies of
:mod:`cramp.authoring.runners` (any runner, and runners with a red flag), as ``cramp kb
test`` and ``cramp kb diff`` draw them. For each, the engine runs and the conclusions
are drawn; the report lists the claims that never fired, the findings that never held,
the advice never shown (neither active nor withheld), and each condition (of a claim or
of a finding's clause) that no runner made true, or none made false: a test that only
ever goes one way checks nothing about the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cramp.authoring.invariants import Context
from knowledge import KnowledgeBase
from knowledge.conditions import FindingTest

__all__ = ["RunnerCoverage", "render_runner_coverage", "runner_coverage"]


@dataclass(frozen=True)
class RunnerCoverage:
    """What the generated runners never reached."""

    runners: int
    seed: int
    claims: tuple[str, ...]
    findings: tuple[str, ...]
    advice: tuple[str, ...]
    #: (where, the condition in words, "never true" or "never false").
    conditions: tuple[tuple[str, str, str], ...]
    totals: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "runners": self.runners,
            "seed": self.seed,
            "totals": self.totals,
            "claims_never_fired": list(self.claims),
            "findings_never_held": list(self.findings),
            "advice_never_shown": list(self.advice),
            "conditions_one_way": [
                {"where": w, "condition": c, "missing": m} for w, c, m in self.conditions
            ],
        }


def _tests(kb: KnowledgeBase) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for claim_id, conditions in kb.conditions.items():
        out += [(f"claim {claim_id}", c) for c in conditions]
    for finding_id, clauses in kb.finding_clauses.items():
        for index, clause in enumerate(clauses, 1):
            out += [(f"finding {finding_id}, clause {index}", c) for c in clause]
    return out


def runner_coverage(kb: KnowledgeBase, *, runners: int = 200, seed: int = 0) -> RunnerCoverage:
    """Draw ``runners`` runners with ``seed`` and report what none of them reached."""
    from cramp.authoring.kb_diff import Side, generated_runners

    side = Side("knowledge base", kb)
    drawn = generated_runners(side, side, runners, seed)
    ctx = Context(kb)
    tests = _tests(kb)
    fired: set[str] = set()
    held: set[str] = set()
    shown: set[str] = set()
    seen: dict[int, set[bool]] = {i: set() for i in range(len(tests))}
    for runner in drawn:
        run, diagnosis = ctx.diagnose(runner.profile)
        fired |= run.fired_claims
        findings = ctx.findings(runner.profile)
        held |= findings
        shown |= {a.id for a in diagnosis.advice} | {w.id for w in diagnosis.withheld}
        kept = kb.applicable(runner.profile.answers)
        for index, (_, test) in enumerate(tests):
            if isinstance(test, FindingTest):
                seen[index].add(test.finding in findings)
            elif test.question in kept:
                seen[index].add(bool(test.holds(kept[test.question])))
            else:
                seen[index].add(bool(test.holds_unanswered))
    one_way = []
    for index, (where, test) in enumerate(tests):
        for value, missing in ((True, "never true"), (False, "never false")):
            if value not in seen[index]:
                one_way.append((where, test.describe(), missing))
    return RunnerCoverage(
        runners=len(drawn),
        seed=seed,
        claims=tuple(c for c in kb.claims if c not in fired),
        findings=tuple(f for f in kb.findings if f not in held),
        advice=tuple(a for a in kb.advice if a not in shown),
        conditions=tuple(one_way),
        totals={
            "claims": len(kb.claims),
            "findings": len(kb.findings),
            "advice": len(kb.advice),
            "conditions": len(tests),
        },
    )


def render_runner_coverage(cov: RunnerCoverage) -> str:
    """The plain-text report."""
    t = cov.totals
    lines = [
        f"Coverage by {cov.runners} generated runners (seed {cov.seed})",
        f"  claims fired:      {t['claims'] - len(cov.claims)}/{t['claims']}",
        f"  findings held:     {t['findings'] - len(cov.findings)}/{t['findings']}",
        f"  advice shown:      {t['advice'] - len(cov.advice)}/{t['advice']}",
        f"  conditions made true and false: "
        f"{t['conditions'] - len({(w, c) for w, c, _ in cov.conditions})}/{t['conditions']}",
    ]
    for title, items in (
        ("Claims no runner fired", cov.claims),
        ("Findings that held for no runner", cov.findings),
        ("Advice shown to no runner (neither active nor withheld)", cov.advice),
    ):
        lines += ["", f"{title}: {len(items)}"]
        lines += [f"  {item}" for item in items]
    lines += ["", f"Conditions that went only one way: {len(cov.conditions)}"]
    lines += [f"  {where}: {cond} ({missing})" for where, cond, missing in cov.conditions]
    return "\n".join(lines) + "\n"
