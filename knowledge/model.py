"""The loaded, validated knowledge base: every item indexed by id, conditions parsed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .conditions import Condition, FindingTest, Test, holds_all

if TYPE_CHECKING:
    from .schema import (
        Advice,
        Checklist,
        Claim,
        Conflict,
        Finding,
        Manifest,
        PolicyRule,
        Question,
        Source,
        Theory,
        TheoryConflict,
    )


@dataclass(frozen=True, eq=False)
class KnowledgeBase:
    """Everything the engine and the explanations need, checked and cross-referenced."""

    root: Path
    manifest: Manifest
    questions: Mapping[str, Question]
    theories: Mapping[str, Theory]
    advice: Mapping[str, Advice]
    conflicts: Mapping[str, Conflict]
    sources: Mapping[str, Source]
    claims: Mapping[str, Claim]
    claim_source: Mapping[str, str]
    conditions: Mapping[str, tuple[Test, ...]]
    preconditions: Mapping[str, tuple[Condition, ...]]
    contradictions: Mapping[str, tuple[tuple[tuple[Test, ...], str], ...]]
    content_hash: str
    findings: Mapping[str, Finding] = field(default_factory=dict)
    #: Each finding's alternative clauses: it holds when every test of one clause holds.
    finding_clauses: Mapping[str, tuple[tuple[Test, ...], ...]] = field(default_factory=dict)
    policy: tuple[PolicyRule, ...] = ()
    #: Rival explanations of the same cramps, by conflict id.
    theory_conflicts: Mapping[str, TheoryConflict] = field(default_factory=dict)
    #: Related yes/no questions asked on one screen, by checklist id.
    checklists: Mapping[str, Checklist] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        """The content version authors give in the manifest."""
        return self.manifest.version

    @property
    def short_hash(self) -> str:
        """First 12 hex digits of the content hash, enough to tell versions apart."""
        return self.content_hash[:12]

    def source_of(self, claim_id: str) -> Source:
        """The source a claim is taken from."""
        return self.sources[self.claim_source[claim_id]]

    def words_of(self, claim_id: str) -> str:
        """A claim's words in plain text: “the quote”, or a public page's summary.

        A public-health claim is our summary of a page, so it is never put in quote marks.
        """
        claim = self.claims[claim_id]
        if claim.quote is not None:
            return f"“{' '.join(claim.quote.split())}”"
        titles = ", ".join(p.title for p in self.source_of(claim_id).pages if p.id in claim.pages)
        return f"Summary of {titles}: {claim.summary}"

    @cached_property
    def question_position(self) -> Mapping[str, int]:
        """Each question's place in the vocabulary (0 for the first)."""
        return {q: i for i, q in enumerate(self.questions)}

    @cached_property
    def checklist_of(self) -> Mapping[str, Checklist]:
        """For each question in a checklist, its checklist."""
        return {q: group for group in self.checklists.values() for q in group.questions}

    @cached_property
    def claims_by_theory(self) -> Mapping[str, tuple[Claim, ...]]:
        """Claims about each theory, in file order."""
        out: dict[str, list[Claim]] = {t: [] for t in self.theories}
        for claim in self.claims.values():
            if claim.theory:
                out[claim.theory].append(claim)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def claims_by_advice(self) -> Mapping[str, tuple[Claim, ...]]:
        """Claims that back or dispute each piece of advice, in file order."""
        out: dict[str, list[Claim]] = {a: [] for a in self.advice}
        for claim in self.claims.values():
            if claim.advice:
                out[claim.advice].append(claim)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def questions_used(self) -> Mapping[str, tuple[str, ...]]:
        """For each question, the claims and findings whose conditions test it.

        A claim that tests a finding uses every question the finding's clauses test.
        """
        out: dict[str, list[str]] = {q: [] for q in self.questions}
        for cid, conds in self.conditions.items():
            for q in sorted(self.questions_under(conds)):
                out[q].append(cid)
        for fid, clauses in self.finding_clauses.items():
            for q in sorted({q for clause in clauses for q in self.questions_under(clause)}):
                if f"finding:{fid}" not in out[q]:
                    out[q].append(f"finding:{fid}")
        return {k: tuple(v) for k, v in out.items()}

    def questions_under(self, tests: tuple[Test, ...]) -> frozenset[str]:
        """Every question ``tests`` depend on, directly or through the findings they test."""
        return frozenset(t.question for t in self.answer_tests_under(tests))

    def answer_tests_under(self, tests: tuple[Test, ...]) -> list[Condition]:
        """The tests on answers among ``tests`` and in every clause of the findings they
        test (and of the findings those test), each finding walked once."""
        found: list[Condition] = []
        seen: set[str] = set()
        pending = list(tests)
        while pending:
            test = pending.pop()
            if isinstance(test, FindingTest):
                if test.finding not in seen:
                    seen.add(test.finding)
                    for clause in self.finding_clauses.get(test.finding, ()):
                        pending.extend(clause)
            else:
                found.append(test)
        return found

    def implied_findings(self, finding: str) -> frozenset[str]:
        """Findings that hold whenever ``finding`` holds (see :func:`implied_findings`).

        Worked out once per finding: the consultation asks it of every pair of warning
        signs, which made it quadratic in a large knowledge base.
        """
        known = self._cache.get("implied_findings")
        if known is None:
            known = self._cache["implied_findings"] = {}
        found = known.get(finding)
        if found is None:
            pure = self._cache.get("pure_finding_clauses")
            if pure is None:
                pure = self._cache["pure_finding_clauses"] = pure_finding_clauses(
                    self.finding_clauses
                )
            found = known[finding] = implied_findings(self.finding_clauses, finding, pure)
        return found

    @cached_property
    def advice_by_tag(self) -> Mapping[str, tuple[str, ...]]:
        """For each ``acts_on`` tag, the advice that carries it (in file order)."""
        out: dict[str, list[str]] = {t: [] for t in self.manifest.advice_tags}
        for advice in self.advice.values():
            for tag in advice.acts_on:
                out.setdefault(tag, []).append(advice.id)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def warning_sign_questions(self) -> tuple[str, ...]:
        """Questions that a warning-sign finding or a red-flag claim depends on.

        Until each is answered, the answers cannot rule out a warning sign: triage then
        never reads as an all-clear. In vocabulary order.
        """
        wanted: set[str] = set()
        for fid, finding in self.findings.items():
            if finding.warning_sign:
                for clause in self.finding_clauses[fid]:
                    wanted |= self.questions_under(clause)
        for cid, claim in self.claims.items():
            if claim.kind == "red_flag":
                wanted |= self.questions_under(self.conditions[cid])
        return tuple(q for q in self.questions if q in wanted)

    def holding_findings(self, answers: Mapping[str, Any]) -> frozenset[str]:
        """Findings whose clauses hold on these (already applicable) answers.

        Worked out from the condition semantics alone, to a fixed point (findings test
        findings, never their absence), so checks can compare the engine against it.
        """
        holding: set[str] = set()
        moved = True
        while moved:
            moved = False
            for fid, clauses in self.finding_clauses.items():
                if fid not in holding and any(holds_all(c, answers, holding) for c in clauses):
                    holding.add(fid)
                    moved = True
        return frozenset(holding)

    def applicable(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Keep only answers to questions whose ``ask_if`` holds (a fixed point, in order).

        An answer to a question that does not apply (bedding when cramps never come at
        night) is set aside, so a profile's result never depends on questions the
        consultation would not have asked.
        """
        kept = dict(answers)
        while True:
            dropped = [
                q
                for q in kept
                if q in self.preconditions and not holds_all(self.preconditions[q], kept)
            ]
            if not dropped:
                return kept
            for q in dropped:
                del kept[q]


def pure_finding_clauses(
    finding_clauses: Mapping[str, tuple[tuple[Test, ...], ...]],
) -> tuple[tuple[str, frozenset[str]], ...]:
    """Each clause made only of finding tests, as (its finding, the findings it tests)."""
    return tuple(
        (fid, frozenset(t.finding for t in clause if isinstance(t, FindingTest)))
        for fid, clauses in finding_clauses.items()
        for clause in clauses
        if clause and all(isinstance(t, FindingTest) for t in clause)
    )


def implied_findings(
    finding_clauses: Mapping[str, tuple[tuple[Test, ...], ...]],
    finding: str,
    pure: tuple[tuple[str, frozenset[str]], ...] | None = None,
) -> frozenset[str]:
    """Findings that hold whenever ``finding`` holds, read off the clauses' structure.

    ``finding`` implies what every one of its clauses tests, and any finding with a
    clause made only of findings it implies. A safety check may count on these.
    ``pure`` is :func:`pure_finding_clauses` of ``finding_clauses``, if already known.
    """
    if pure is None:
        pure = pure_finding_clauses(finding_clauses)

    def required_by(fid: str) -> set[str]:
        tested = [
            {t.finding for t in clause if isinstance(t, FindingTest)}
            for clause in finding_clauses.get(fid, ())
        ]
        return set.intersection(*tested) if tested else set()

    implied: set[str] = set()
    frontier = {finding}
    while frontier:
        found: set[str] = set()
        for fid in frontier:
            found |= required_by(fid)
        holding = implied | {finding} | found
        found.update(fid for fid, needs in pure if needs <= holding)
        frontier = found - implied - {finding}
        implied |= frontier
    return frozenset(implied)
