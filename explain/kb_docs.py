"""Render the knowledge base as Markdown for runners and authors: a directory of pages,
or one document.

The pages (:func:`render_kb_pages`, templates ``kb-pages/*.md.j2``) are what the
documentation site shows under ``docs/knowledge-base/``: an index, one page per source
with every claim it makes and its verbatim quote, and pages for the triage tiers, the
theories, the advice, the disagreements and the questions, linked to one another. The
single document (:func:`render_kb_docs`, template ``knowledge-base.md.j2``) holds the
same content on one page.

Every template receives a single :class:`KbDocs` object, built here from the loaded
knowledge base; every field is documented below so other templates can be written
against the same contract. The output is deterministic (no dates, no content hash), so
the committed pages change only when content does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge.conditions import FindingTest
from knowledge.coverage import KINDS, Coverage, coverage, positions
from knowledge.vocabulary import PHASES, TIERS

from .render import PHASE_TITLES, environment

if TYPE_CHECKING:
    from knowledge import KnowledgeBase
    from knowledge.schema import Question

TEMPLATE = "knowledge-base.md.j2"
#: Templates of the pages, under explain/templates/.
PAGES = "kb-pages"
#: Where the repository keeps the generated pages.
PAGES_DIR = "docs/knowledge-base"
#: The command that regenerates them.
COMMAND = f"cramp kb docs -o {PAGES_DIR}/"
#: What a single document names as the command that wrote it.
SINGLE_COMMAND = "cramp kb docs"
#: Pages other than the index and the sources', in the order the index lists them.
TOPIC_PAGES = ("triage", "findings", "theories", "advice", "conflicts", "questions")
#: Headings for the claims of each kind on a source's page.
KIND_TITLES = {
    "cause": "Causes",
    "mechanism": "Mechanisms",
    "diagnostic": "Patterns that point to a cause",
    "relief": "Relief during a cramp",
    "aftercare": "Aftercare",
    "prevention": "Prevention",
    "referral": "When to see a professional",
    "red_flag": "Warning signs",
}

KIND_LABELS = {
    "coach_blog": "coach's blog",
    "running_blog": "running blog",
    "product_maker": "product maker's blog",
    "public_health": "public health guidance",
}
EVIDENCE_LABELS = {
    "anecdote": "personal anecdote",
    "opinion": "opinion",
    "claims_research": "says research shows it (references not on the page)",
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
    withholds: tuple[str, ...]  #: titles of advice withheld by the findings it backs
    theory: str | None  #: id of the theory it concerns, if any
    advice: str | None  #: id of the advice it concerns, if any
    tier: str | None  #: id of the triage tier it sets, if any
    withheld: tuple[str, ...]  #: ids of that advice


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
    claims: tuple[ClaimView, ...]  #: its claims, in file order


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
    conflicts_with: tuple[tuple[str, str], ...]  #: (conflict id, id of the other advice)
    withheld_by: tuple[str, ...]  #: ids of the findings that withhold it


@dataclass(frozen=True)
class FindingView:
    """A finding: when it holds, who says so, and what it withholds."""

    id: str  #: finding id
    title: str  #: short title
    says: str  #: what it may mean, in plain words
    warning_sign: bool  #: whether it may not be a cramp at all
    clauses: tuple[str, ...]  #: each way it can hold, in words
    backed_by: tuple[str, ...]  #: ids of the claims that describe it
    withholds: tuple[tuple[str, str, tuple[str, ...]], ...]  #: (tags, because, claim ids)
    cautions: tuple[tuple[str, str, tuple[str, ...]], ...]  #: (tags, says, claim ids)
    policy: str | None  #: what the safety policy requires of it, in words


@dataclass(frozen=True)
class PhaseView:
    """The advice of one phase."""

    id: str  #: now, next_days, prevention or professional
    title: str  #: heading, e.g. "Now, during a cramp"
    advice: tuple[AdviceView, ...]  #: advice in file order


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
    used_by: int  #: number of claims that test it


@dataclass(frozen=True)
class SectionView:
    """The questions of one section, in file order."""

    title: str  #: section title
    questions: tuple[QuestionView, ...]  #: its questions


@dataclass(frozen=True)
class KbDocs:
    """Everything ``knowledge-base.md.j2`` and the ``kb-pages/`` templates render."""

    title: str  #: the knowledge base's title
    version: str  #: content version from the manifest
    disclaimer: str  #: notice shown with every report
    command: str  #: the command that regenerates the document or pages
    counts: dict[str, int]  #: sources, claims, theories, advice, conflicts, questions
    sources: tuple[SourceView, ...]  #: every source, in file order
    tiers: tuple[TierView, ...]  #: triage tiers, most urgent first
    theories: tuple[TheoryView, ...]  #: every theory, in file order
    phases: tuple[PhaseView, ...]  #: advice grouped by phase
    coverage: Coverage  #: counts and disagreements (see knowledge.coverage)
    source_titles: dict[str, str]  #: source id -> title
    sections: tuple[SectionView, ...]  #: the question vocabulary
    claims: dict[str, ClaimView]  #: every claim, by id
    theory_titles: dict[str, str]  #: theory id -> title
    advice_titles: dict[str, str]  #: advice id -> title
    kind_titles: dict[str, str]  #: claim kind -> heading for its claims, in report order
    findings: tuple[FindingView, ...] = ()  #: every finding, in file order
    finding_titles: dict[str, str] = field(default_factory=dict)  #: finding id -> title


def build_context(kb: KnowledgeBase, command: str = COMMAND) -> KbDocs:
    """The documented context the Markdown templates render."""
    cov = coverage(kb)
    counted = {s.id: s.by_kind for s in cov.sources}
    cited = {cid: _claim(kb, cid) for cid in kb.claims}
    withheld_by: dict[str, list[str]] = {}
    for fid, finding in kb.findings.items():
        tags = {t for g in finding.withholds for t in g.tags}
        for advice in kb.advice.values():
            if tags & set(advice.acts_on):
                withheld_by.setdefault(advice.id, []).append(fid)
    conflicts_of: dict[str, list[tuple[str, str]]] = {}
    for conflict in kb.conflicts.values():
        a, b = conflict.between
        conflicts_of.setdefault(a, []).append((conflict.id, b))
        conflicts_of.setdefault(b, []).append((conflict.id, a))

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
            tuple(cited[c.id] for c in s.claims),
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
                    tuple((c, kb.advice[other].title) for c, other in conflicts_of.get(a.id, ())),
                    tuple(conflicts_of.get(a.id, ())),
                    tuple(withheld_by.get(a.id, ())),
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
        command=command,
        counts={
            "sources": len(kb.sources),
            "claims": len(kb.claims),
            "theories": len(kb.theories),
            "advice": len(kb.advice),
            "conflicts": len(kb.conflicts),
            "questions": len(kb.questions),
        },
        sources=sources,
        tiers=tiers,
        theories=theories,
        phases=phases,
        coverage=cov,
        source_titles={s.id: s.title for s in kb.sources.values()},
        sections=tuple(SectionView(title, tuple(qs)) for title, qs in sections.items()),
        claims=cited,
        theory_titles={t.id: t.title for t in kb.theories.values()},
        advice_titles={a.id: a.title for a in kb.advice.values()},
        kind_titles={kind: KIND_TITLES.get(kind, kind) for kind in KINDS},
        findings=tuple(_finding(kb, fid) for fid in kb.findings),
        finding_titles={f.id: f.title for f in kb.findings.values()},
    )


def _finding(kb: KnowledgeBase, fid: str) -> FindingView:
    finding = kb.findings[fid]
    rule = next((r for r in kb.policy if r.finding == fid), None)
    policy = None
    if rule is not None:
        parts = []
        if rule.min_tier:
            parts.append(f"at least the tier {kb.manifest.tiers[rule.min_tier].title}")
        if rule.forbids:
            parts.append(f"never advice that acts on {', '.join(rule.forbids)}")
        if rule.cautions:
            parts.append(f"a caution beside advice that acts on {', '.join(rule.cautions)}")
        policy = "; ".join(parts) + f". {rule.why}"
    return FindingView(
        fid,
        finding.title,
        finding.says,
        finding.warning_sign,
        tuple(_describe(clause, kb) for clause in kb.finding_clauses[fid]),
        finding.backed_by,
        tuple((", ".join(g.tags), g.because, g.backed_by) for g in finding.withholds),
        tuple((", ".join(g.tags), g.says, g.backed_by) for g in finding.cautions),
        policy,
    )


def render_kb_docs(kb: KnowledgeBase) -> str:
    """The knowledge base as one Markdown document (what ``cramp kb docs -o FILE`` writes)."""
    return environment().get_template(TEMPLATE).render(d=build_context(kb, SINGLE_COMMAND))


def render_kb_pages(kb: KnowledgeBase) -> dict[str, str]:
    """The knowledge base as pages (what ``cramp kb docs -o DIR/`` writes), by path.

    ``index.md``, ``sources/ID.md`` for each source, and one page for each of
    :data:`TOPIC_PAGES`; paths are relative to the directory and use ``/``.
    """
    env = environment()
    d = build_context(kb)
    pages = {"index.md": env.get_template(f"{PAGES}/index.md.j2").render(d=d)}
    source = env.get_template(f"{PAGES}/source.md.j2")
    for s in d.sources:
        pages[f"sources/{s.id}.md"] = source.render(d=d, s=s)
    for name in TOPIC_PAGES:
        pages[f"{name}.md"] = env.get_template(f"{PAGES}/{name}.md.j2").render(d=d)
    return pages


def _claim(kb: KnowledgeBase, claim_id: str) -> ClaimView:
    claim = kb.claims[claim_id]
    # Advice withheld by the findings whose withholding this claim gives the reason for.
    tags = {
        t
        for finding in kb.findings.values()
        for g in finding.withholds
        if claim_id in g.backed_by
        for t in g.tags
    }
    withheld = tuple(a.id for a in kb.advice.values() if tags & set(a.acts_on))
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
        when=_describe(kb.conditions[claim_id], kb) or "always",
        triage=kb.manifest.tiers[claim.triage].title if claim.triage else None,
        withholds=tuple(kb.advice[a].title for a in withheld),
        theory=claim.theory,
        advice=claim.advice,
        tier=claim.triage,
        withheld=withheld,
    )


def _describe(conditions: tuple[Any, ...], kb: KnowledgeBase | None = None) -> str:
    """Conditions in words: answers by question id, findings by title."""
    words = []
    for c in conditions:
        if isinstance(c, FindingTest):
            title = kb.findings[c.finding].title if kb is not None else c.finding
            words.append(f"finding “{title}” (`{c.finding}`)")
        else:
            words.append(c.describe(f"`{c.question}`"))
    return "; ".join(words)


def _answers(question: Question) -> str:
    if question.type == "number":
        return f"a number of {question.unit}, {question.min:g} to {question.max:g}"
    if question.type == "yesno":
        return "yes or no"
    values = ", ".join(f"`{c.value}` ({c.label})" for c in question.choices)
    return f"{TYPE_LABELS[question.type]}: {values}"


__all__ = [
    "COMMAND",
    "PAGES_DIR",
    "KbDocs",
    "build_context",
    "render_kb_docs",
    "render_kb_pages",
]
