"""Render the whole knowledge base as one Markdown document for runners and authors.

The template ``knowledge-base.md.j2`` receives a single :class:`KbDocs` object, built
here from the loaded knowledge base; every field is documented below so other templates
can be written against the same contract. The output is deterministic (no dates, no
content hash), so the committed ``docs/knowledge-base.md`` changes only when content
does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.coverage import Coverage, coverage, positions
from knowledge.schema import PHASES, TIERS, Question

from .render import PHASE_TITLES, environment

if TYPE_CHECKING:
    from knowledge import KnowledgeBase
    from knowledge.conditions import Test

TEMPLATE = "knowledge-base.md.j2"
#: The command that regenerates the committed document.
COMMAND = "cramp kb docs -o docs/knowledge-base.md"

KIND_LABELS = {
    "coach_blog": "coach's blog",
    "running_blog": "running blog",
    "product_maker": "product maker's blog",
    "public_health": "public health guidance",
}
EVIDENCE_LABELS = {
    "anecdote": "personal anecdote",
    "opinion": "opinion",
    "cites_research": "cites research",
    "public_health": "public health guidance",
}
TYPE_LABELS = {"yesno": "yes/no", "choice": "one of", "multi": "any of", "number": "number"}


@dataclass(frozen=True)
class ClaimView:
    """One claim as the document cites it."""

    id: str  #: claim id
    source: str  #: id of the source it is taken from
    kind: str  #: cause, mechanism, diagnostic, relief, aftercare, prevention, referral, red_flag
    stance: str  #: supports, hedged or disputes
    evidence: str  #: kind of evidence, in words (e.g. "cites research")
    says: str  #: our neutral paraphrase
    quote: str | None  #: verbatim quote from the article (None for a public-health claim)
    summary: str | None  #: for a public-health claim: summary of the pages it cites
    reason: str | None  #: the source's reason, for a disputing claim
    when: str  #: the runner it applies to, in words ("always" when unconditional)
    triage: str | None  #: triage tier title it sets, if any


@dataclass(frozen=True)
class StanceView:
    """All claims of one source taking one stance on a theory or a piece of advice."""

    source: str  #: source id
    stance: str  #: supports, hedged or disputes
    claims: tuple[ClaimView, ...]  #: the claims, in file order


@dataclass(frozen=True)
class SourceView:
    """A source with its metadata, counts and gaps."""

    id: str  #: source id
    title: str  #: article or page title
    author: str  #: author as the source gives it
    publisher: str  #: site or organisation
    kind: str  #: kind of source, in words
    voice: str  #: how the source argues: hedging, evidence, tone
    bias: str | None  #: declared bias, if any
    seed: str | None  #: file the quotes are verified against
    pages: tuple[tuple[str, str | None], ...]  #: (title, url or None) of pages cited
    counts: tuple[tuple[str, int], ...]  #: (claim kind, count) for kinds with claims
    total: int  #: number of claims
    gaps: tuple[str, ...]  #: what the source announces and does not give


@dataclass(frozen=True)
class TheoryView:
    """A theory with where each source stands and the answers that contradict it."""

    id: str  #: theory id
    title: str  #: short title
    summary: str  #: what the theory says
    stances: tuple[StanceView, ...]  #: supports first, then hedged, then disputes
    contradicted_when: tuple[tuple[str, str], ...]  #: (answers in words, because)


@dataclass(frozen=True)
class AdviceView:
    """A piece of advice with the claims for and against it."""

    id: str  #: advice id
    title: str  #: short title
    text: str  #: what the runner is told
    backing: tuple[ClaimView, ...]  #: claims recommending it
    disputing: tuple[ClaimView, ...]  #: claims disputing it
    conflicts: tuple[tuple[str, str], ...]  #: (conflict id, title of the other advice)
    acts_on: tuple[str, ...]  #: what following it acts on (its ``acts_on`` tags)
    withheld_by: tuple[str, ...]  #: ids of findings that withhold it
    cautioned_by: tuple[str, ...]  #: ids of findings that put a caution beside it


@dataclass(frozen=True)
class PhaseView:
    """The advice of one phase."""

    id: str  #: now, next_days, prevention or professional
    title: str  #: heading, e.g. "Now, during a cramp"
    advice: tuple[AdviceView, ...]  #: advice in file order


@dataclass(frozen=True)
class RuleGroupView:
    """What a finding withholds or cautions: advice, by what it acts on, and why."""

    tags: tuple[str, ...]  #: ``acts_on`` tags it covers
    advice: tuple[str, ...]  #: titles of the advice those tags reach
    says: str  #: the reason (withholding) or the caution, in plain words
    claims: tuple[str, ...]  #: ids of the claims behind it


@dataclass(frozen=True)
class FindingView:
    """A finding: what a runner probably has, when it holds, and what it does."""

    id: str  #: finding id
    title: str  #: short title
    says: str  #: what it may mean, in plain words
    warning_sign: bool  #: something that may not be a cramp at all
    when_any: tuple[str, ...]  #: its clauses in words; any one of them makes it hold
    backed_by: tuple[ClaimView, ...]  #: claims whose sources describe it
    withholds: tuple[RuleGroupView, ...]  #: advice it withholds, with the reason
    cautions: tuple[RuleGroupView, ...]  #: advice it puts a caution beside
    min_tier: str | None  #: the least triage tier the safety policy gives it (title)
    policy: str | None  #: why the safety policy says so


@dataclass(frozen=True)
class TierView:
    """A triage tier with the claims that set it."""

    id: str  #: emergency, urgent, see_doctor or self_care
    title: str  #: tier title
    action: str  #: what the runner is told to do
    claims: tuple[ClaimView, ...]  #: red flags and referrals setting this tier


@dataclass(frozen=True)
class QuestionView:
    """A question of the vocabulary."""

    id: str  #: question id
    prompt: str  #: what the runner is asked
    help: str  #: why it is asked, from the sources
    answers: str  #: allowed answers, in words
    ask_if: str | None  #: when it is asked at all, in words
    used_by: int  #: number of claims and findings that test it


@dataclass(frozen=True)
class SectionView:
    """The questions of one section, in file order."""

    title: str  #: section title
    questions: tuple[QuestionView, ...]  #: its questions


@dataclass(frozen=True)
class KbDocs:
    """Everything ``knowledge-base.md.j2`` renders."""

    title: str  #: the knowledge base's title
    version: str  #: content version from the manifest
    disclaimer: str  #: notice shown with every report
    command: str  #: the command that regenerates the document
    counts: dict[str, int]  #: sources, claims, findings, theories, advice, conflicts, questions
    sources: tuple[SourceView, ...]  #: every source, in file order
    tiers: tuple[TierView, ...]  #: triage tiers, most urgent first
    findings: tuple[FindingView, ...]  #: every finding, in file order
    theories: tuple[TheoryView, ...]  #: every theory, in file order
    phases: tuple[PhaseView, ...]  #: advice grouped by phase
    coverage: Coverage  #: counts and disagreements (see knowledge.coverage)
    source_titles: dict[str, str]  #: source id -> title
    sections: tuple[SectionView, ...]  #: the question vocabulary


def build_context(kb: KnowledgeBase) -> KbDocs:
    """The documented context the Markdown template renders."""
    cov = coverage(kb)
    counted = {s.id: s.by_kind for s in cov.sources}
    cited = {cid: _claim(kb, cid) for cid in kb.claims}
    withheld_by: dict[str, list[str]] = {}
    cautioned_by: dict[str, list[str]] = {}

    def group(g: object, text: str) -> RuleGroupView:
        tags = tuple(g.tags)  # type: ignore[attr-defined]
        reached = [a.title for a in kb.advice.values() if set(tags) & set(a.acts_on)]
        return RuleGroupView(tags, tuple(reached), text, tuple(g.backed_by))  # type: ignore[attr-defined]

    policy = {rule.finding: rule for rule in kb.policy}
    findings = []
    for fid, finding in kb.findings.items():
        for target, groups in ((withheld_by, finding.withholds), (cautioned_by, finding.cautions)):
            tags = {t for g in groups for t in g.tags}
            for advice in kb.advice.values():
                if tags & set(advice.acts_on) and fid not in target.get(advice.id, ()):
                    target.setdefault(advice.id, []).append(fid)
        rule = policy.get(fid)
        findings.append(
            FindingView(
                fid,
                finding.title,
                finding.says,
                finding.warning_sign,
                tuple(_describe(clause) for clause in kb.finding_clauses[fid]),
                tuple(cited[c] for c in finding.backed_by),
                tuple(group(g, g.because) for g in finding.withholds),
                tuple(group(g, g.says) for g in finding.cautions),
                kb.manifest.tiers[rule.min_tier].title if rule and rule.min_tier else None,
                " ".join(rule.why.split()) if rule else None,
            )
        )
    conflicts_of: dict[str, list[tuple[str, str]]] = {}
    for conflict in kb.conflicts.values():
        a, b = conflict.between
        conflicts_of.setdefault(a, []).append((conflict.id, kb.advice[b].title))
        conflicts_of.setdefault(b, []).append((conflict.id, kb.advice[a].title))

    def stances(claim_ids: list[str]) -> tuple[StanceView, ...]:
        return tuple(
            StanceView(p.source, p.stance, tuple(cited[c] for c in p.claims))
            for p in positions(kb, claim_ids)
        )

    sources = tuple(
        SourceView(
            s.id,
            s.title,
            s.author,
            s.publisher,
            KIND_LABELS[s.kind],
            s.voice,
            s.bias,
            s.seed,
            tuple((p.title, p.url) for p in s.pages),
            tuple((k, n) for k, n in counted[s.id].items() if n),
            len(s.claims),
            tuple(str(g) for g in s.gaps),
        )
        for s in kb.sources.values()
    )
    tiers = tuple(
        TierView(
            t,
            kb.manifest.tiers[t].title,
            kb.manifest.tiers[t].action,
            tuple(cited[c.id] for c in kb.claims.values() if c.triage == t),
        )
        for t in TIERS
    )
    theories = tuple(
        TheoryView(
            t.id,
            t.title,
            t.summary,
            stances([c.id for c in kb.claims_by_theory[t.id]]),
            tuple((_describe(conds), because) for conds, because in kb.contradictions[t.id]),
        )
        for t in kb.theories.values()
    )
    phases = tuple(
        PhaseView(
            phase,
            PHASE_TITLES[phase],
            tuple(
                AdviceView(
                    a.id,
                    a.title,
                    a.text,
                    tuple(cited[c.id] for c in kb.claims_by_advice[a.id] if c.stance != "disputes"),
                    tuple(cited[c.id] for c in kb.claims_by_advice[a.id] if c.stance == "disputes"),
                    tuple(conflicts_of.get(a.id, ())),
                    a.acts_on,
                    tuple(withheld_by.get(a.id, ())),
                    tuple(cautioned_by.get(a.id, ())),
                )
                for a in kb.advice.values()
                if a.phase == phase
            ),
        )
        for phase in PHASES
    )
    sections: dict[str, list[QuestionView]] = {}
    for q in kb.questions.values():
        sections.setdefault(q.section, []).append(
            QuestionView(
                q.id,
                q.prompt,
                q.help,
                _answers(q),
                _describe(kb.preconditions[q.id]) or None,
                len(kb.questions_used[q.id]),
            )
        )
    return KbDocs(
        title=kb.manifest.title,
        version=kb.version,
        disclaimer=kb.manifest.disclaimer,
        command=COMMAND,
        counts={
            "sources": len(kb.sources),
            "claims": len(kb.claims),
            "findings": len(kb.findings),
            "theories": len(kb.theories),
            "advice": len(kb.advice),
            "conflicts": len(kb.conflicts),
            "questions": len(kb.questions),
        },
        sources=sources,
        tiers=tiers,
        findings=tuple(findings),
        theories=theories,
        phases=phases,
        coverage=cov,
        source_titles={s.id: s.title for s in kb.sources.values()},
        sections=tuple(SectionView(title, tuple(qs)) for title, qs in sections.items()),
    )


def render_kb_docs(kb: KnowledgeBase) -> str:
    """The knowledge base as Markdown (what ``cramp kb docs`` writes)."""
    return environment().get_template(TEMPLATE).render(d=build_context(kb))


#: What the template puts near the top of every document it generates.
GENERATED_MARK = b"<!-- Generated from "


def is_generated_docs(path: Path | str) -> bool:
    """Whether ``path`` is a regular file this command wrote (its mark is in its first lines)."""
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return False
    return GENERATED_MARK in head and b"by `cramp kb docs" in head


def _claim(kb: KnowledgeBase, claim_id: str) -> ClaimView:
    claim = kb.claims[claim_id]
    return ClaimView(
        id=claim.id,
        source=kb.claim_source[claim_id],
        kind=claim.kind,
        stance=claim.stance,
        evidence=EVIDENCE_LABELS[claim.evidence],
        says=claim.says,
        quote=" ".join(claim.quote.split()) if claim.quote else None,
        summary=kb.words_of(claim_id) if claim.quote is None else None,
        reason=claim.reason,
        when=_describe(kb.conditions[claim_id]) or "always",
        triage=kb.manifest.tiers[claim.triage].title if claim.triage else None,
    )


def _describe(conditions: tuple[Test, ...]) -> str:
    from knowledge.conditions import FindingTest

    return "; ".join(
        f"finding `{c.finding}` holds"
        if isinstance(c, FindingTest)
        else c.describe(f"`{c.question}`")
        for c in conditions
    )


def _answers(question: Question) -> str:
    if question.type == "number":
        return f"a number of {question.unit}, {question.min:g} to {question.max:g}"
    if question.type == "yesno":
        return "yes or no"
    values = ", ".join(f"`{c.value}` ({c.label})" for c in question.choices)
    return f"{TYPE_LABELS[question.type]}: {values}"


__all__ = ["COMMAND", "KbDocs", "build_context", "is_generated_docs", "render_kb_docs"]
