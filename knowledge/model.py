"""The loaded, validated knowledge base: every item indexed by id, conditions parsed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .conditions import Condition, holds_all
from .schema import Advice, Claim, Conflict, Manifest, Question, Source, Theory


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
    conditions: Mapping[str, tuple[Condition, ...]]
    preconditions: Mapping[str, tuple[Condition, ...]]
    contradictions: Mapping[str, tuple[tuple[tuple[Condition, ...], str], ...]]
    content_hash: str
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
        """For each question, the claims whose conditions test it."""
        out: dict[str, list[str]] = {q: [] for q in self.questions}
        for cid, conds in self.conditions.items():
            for c in conds:
                out[c.question].append(cid)
        return {k: tuple(v) for k, v in out.items()}

    def applicable(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Keep only answers to questions whose ``ask_if`` holds (a fixed point, in order).

        An answer to a question that does not apply (bedding when cramps never come at
        night) is set aside, so a profile's result never depends on questions the
        consultation would not have asked.
        """
        kept = dict(answers)
        while True:
            dropped = [q for q in kept if not holds_all(self.preconditions.get(q, ()), kept)]
            if not dropped:
                return kept
            for q in dropped:
                del kept[q]
