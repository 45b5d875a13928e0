"""From an engine run to a diagnosis: triage, ranked causes, advice, conflicts, sources.

Everything here is read off the run's derived facts; nothing is decided twice. The
standing of a theory is plain arithmetic over the claims that fired for the runner::

    standing = Σ evidence weight × stance factor × kind factor

with the factors from the knowledge base's manifest, and each term kept so reports can
show the sum. Ordering is total and stable, so equal runs give equal diagnoses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from knowledge import KnowledgeBase
from knowledge.conditions import Condition
from knowledge.values import json_value, signed
from knowledge.vocabulary import PHASES, TIERS, is_theory_kind

from .engine import Run
from .question_ref import QuestionRef
from .summary import Summary, summarise

STATUSES = ("supported", "contested", "disputed", "contradicted", "general")


class PageRef(TypedDict):
    """A page a summarised source covers: its title, and its address if given."""

    title: str
    url: str | None


#: How each modality is said beside a claim, so no output drops the source's hedge.
MODALITY_WORDS = {
    "asserts": "",
    "hedged": "the source hedges: it may be so",
    "belief": "the author's belief",
    "anecdote": "the author's own experience",
    "prevalence": "a figure on how common it is, not evidence of a cause",
    "suggests": "a suggestion",
}


@dataclass(frozen=True)
class ClaimRef:
    """A claim as cited in a conclusion: what it says, who says it, and its words.

    An article's claim carries a verbatim ``quote``; a public-health claim carries a
    plain-words ``summary`` of the ``pages`` it cites instead, never shown as a quote.
    """

    id: str
    source: str
    source_title: str
    kind: str
    stance: str
    evidence: str
    says: str
    quote: str | None
    reason: str | None = None
    weight: float | None = None
    source_bias: str | None = None
    summary: str | None = None
    pages: tuple[PageRef, ...] = ()
    #: How firmly the source says it: asserts, hedged, belief, anecdote, prevalence or
    #: suggests (see :data:`MODALITY_WORDS` for how each is shown).
    modality: str = "asserts"
    #: The claim's scope in the article's own limits (e.g. "night cramps"), if given.
    scope: str | None = None
    #: A claim that applies to every runner: background, never counted.
    background: bool = False


@dataclass(frozen=True)
class ContradictedBy:
    """Answers that contradict a theory, and the plain reason."""

    because: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Cause:
    """A theory as it stands for this runner, with the evidence for and against."""

    id: str
    title: str
    summary: str
    standing: float
    status: str
    supporting: tuple[ClaimRef, ...]
    disputing: tuple[ClaimRef, ...]
    contradicted_by: tuple[ContradictedBy, ...]
    arithmetic: str
    #: What the articles say about it in general (claims with no conditions): shown, but
    #: never evidence about this runner.
    background: tuple[ClaimRef, ...] = ()
    #: Disputes made for other runners (outside their scope, e.g. "night cramps"):
    #: shown so no theory looks uncontested, but not counted.
    beyond_scope: tuple[ClaimRef, ...] = ()
    #: Likely for this runner: supported by their own answers, standing above zero, and
    #: not contradicted by them.
    likely: bool = False


@dataclass(frozen=True)
class CautionNote:
    """A caution a finding puts beside a piece of advice (e.g. "check with your doctor")."""

    finding: str
    finding_title: str
    says: str
    claims: tuple[ClaimRef, ...]


@dataclass(frozen=True)
class AdviceItem:
    """A recommendation with the claims backing it and any claims disputing it."""

    id: str
    phase: str
    title: str
    text: str
    claims: tuple[ClaimRef, ...]
    disputed_by: tuple[ClaimRef, ...] = ()
    conflicts: tuple[str, ...] = ()
    acts_on: tuple[str, ...] = ()
    cautions: tuple[CautionNote, ...] = ()
    #: Claims that qualify it wherever it is shown (e.g. "fluid needs vary").
    caveats: tuple[ClaimRef, ...] = ()


@dataclass(frozen=True)
class WithholdReason:
    """Why a piece of advice is withheld: the finding, what the advice acts on, the reason."""

    finding: str
    finding_title: str
    tags: tuple[str, ...]
    because: str
    claims: tuple[ClaimRef, ...]


@dataclass(frozen=True)
class WithheldAdvice:
    """Advice that would apply but that a warning-sign finding forbids for this runner."""

    id: str
    phase: str
    title: str
    withheld_by: tuple[ClaimRef, ...]
    reasons: tuple[WithholdReason, ...] = ()


@dataclass(frozen=True)
class FindingItem:
    """A finding that holds for this runner: what it may mean, and who says so."""

    id: str
    title: str
    says: str
    warning_sign: bool
    claims: tuple[ClaimRef, ...]


@dataclass(frozen=True)
class Side:
    """One side of a disagreement: a theory stance or a piece of advice, with its claims."""

    label: str
    item: str
    claims: tuple[ClaimRef, ...]


@dataclass(frozen=True)
class ConflictItem:
    """Sources disagreeing about something that applies to this runner; both sides shown."""

    id: str
    type: str
    title: str
    reason: str
    sides: tuple[Side, ...]


@dataclass(frozen=True)
class Triage:
    """The runner's triage level, every claim that set a tier, and what is unchecked.

    ``unchecked`` lists warning signs the answers have not ruled out (unanswered, or
    "don't know"); while there are any, self-care is never worded as an all-clear.
    """

    tier: str
    title: str
    action: str
    claims: tuple[ClaimRef, ...] = ()
    unchecked: tuple[QuestionRef, ...] = ()
    findings: tuple[str, ...] = ()

    @property
    def is_referral(self) -> bool:
        """Whether the runner should see a professional (any tier above self-care)."""
        return self.tier != "self_care"

    @property
    def all_clear(self) -> bool:
        """Self-care with every warning sign checked and none found."""
        return self.tier == "self_care" and not self.unchecked


@dataclass(frozen=True)
class SourceRef:
    """A source cited in the diagnosis, with its declared bias."""

    id: str
    title: str
    author: str
    publisher: str
    kind: str
    voice: str
    bias: str | None
    pages: tuple[PageRef, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """Everything ``cramp diagnose`` reports for one profile."""

    triage: Triage
    findings: tuple[FindingItem, ...]
    causes: tuple[Cause, ...]
    advice: tuple[AdviceItem, ...]
    advised_against: tuple[AdviceItem, ...]
    withheld: tuple[WithheldAdvice, ...]
    conflicts: tuple[ConflictItem, ...]
    sources: tuple[SourceRef, ...]
    answers: dict[str, Any]
    unknown: tuple[str, ...]
    set_aside: tuple[str, ...]
    name: str | None
    notes: str | None
    knowledge_base: dict[str, str]
    disclaimer: str
    fired_claims: tuple[str, ...] = field(default=())
    #: Up to three unanswered questions that would change the result most.
    suggested: tuple[QuestionRef, ...] = field(default=())
    #: What the sources observe for this runner that is neither a cause nor advice
    #: (which muscles cramp, how long a torn calf takes to heal...): ``note`` claims.
    observations: tuple[ClaimRef, ...] = field(default=())
    #: The short version every report shows first (see :mod:`expert.summary`).
    summary: Summary | None = field(default=None)

    def advice_in(self, phase: str) -> tuple[AdviceItem, ...]:
        """Recommended advice of one phase (now, next_days, prevention, professional)."""
        return tuple(a for a in self.advice if a.phase == phase)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON object (see docs/json-output.md)."""
        from knowledge.plain import plain

        data = plain(self)
        data["triage"]["is_referral"] = self.triage.is_referral
        data["triage"]["all_clear"] = self.triage.all_clear
        data["answers"] = {k: json_value(v) for k, v in self.answers.items()}
        data["advice_by_phase"] = {p: [a.id for a in self.advice_in(p)] for p in PHASES}
        return data


def claim_weight(kb: KnowledgeBase, claim_id: str) -> float:
    """A theory claim's contribution to its theory's standing, for a runner it applies to.

    evidence weight × stance factor × modality factor × kind factor. A claim with no
    conditions is background (see :func:`is_background`): it weighs nothing.
    """
    claim = kb.claims[claim_id]
    if is_background(kb, claim_id):
        return 0.0
    weights = kb.manifest.weights
    assert is_theory_kind(claim.kind), "only theory claims are weighed"
    modality = weights.modality.get(claim.modality or "asserts", 1.0)
    return round(
        weights.evidence[claim.evidence]
        * weights.stance[claim.stance]
        * modality
        * weights.kind[claim.kind],
        4,
    )


def is_background(kb: KnowledgeBase, claim_id: str) -> bool:
    """Whether a claim applies to every runner (no conditions): what an article says in
    general, shown as such, never evidence about this runner."""
    return not kb.conditions[claim_id]


def claim_ref(kb: KnowledgeBase, claim_id: str, *, weighted: bool = False) -> ClaimRef:
    """Cite a claim (with its weight if it bears on a theory).

    A citation depends on the knowledge base alone, and a diagnosis may cite a claim
    many times (each piece of advice a finding withholds cites the finding's claims):
    each is made once per knowledge base and shared, as it is immutable.
    """
    refs = kb._cache.get("claim_refs")
    if refs is None:
        refs = kb._cache["claim_refs"] = {}
    found = refs.get((claim_id, weighted))
    if found is None:
        found = refs[(claim_id, weighted)] = _claim_ref(kb, claim_id, weighted)
    return found


def _claim_ref(kb: KnowledgeBase, claim_id: str, weighted: bool) -> ClaimRef:
    claim = kb.claims[claim_id]
    source = kb.source_of(claim_id)
    return ClaimRef(
        id=claim.id,
        source=source.id,
        source_title=source.title,
        kind=claim.kind,
        stance=claim.stance,
        evidence=claim.evidence,
        says=claim.says,
        quote=claim.quote,
        reason=claim.reason,
        weight=claim_weight(kb, claim_id) if weighted else None,
        source_bias=source.bias,
        summary=claim.summary,
        pages=tuple({"title": p.title, "url": p.url} for p in source.pages if p.id in claim.pages),
        modality=claim.modality or "asserts",
        scope=claim.scope,
        background=is_background(kb, claim_id),
    )


def diagnose_run(kb: KnowledgeBase, run: Run, *, suggest: bool = True) -> Diagnosis:
    """Turn one engine run into a :class:`Diagnosis`.

    ``suggest=False`` leaves out the questions that would tell most (``suggested``), the
    costliest part, for callers that compare many runs' conclusions.
    """
    triage = _triage(kb, run)
    findings = _findings(kb, run)
    causes = _causes(kb, run)
    advice, advised_against, withheld = _advice(kb, run)
    conflicts = _conflicts(kb, causes, advice)
    cited = {
        c.source
        for cause in causes
        for c in (*cause.supporting, *cause.disputing, *cause.background, *cause.beyond_scope)
    }
    # Withheld advice is shown with the claims that would otherwise back it.
    withheld_ids = {w.id for w in withheld}
    cited |= {
        kb.claim_source[c]
        for c in run.fired_claims
        if kb.claims[c].advice in withheld_ids and kb.claims[c].stance != "disputes"
    }
    cited |= {c.source for a in (*advice, *advised_against) for c in (*a.claims, *a.disputed_by)}
    cited |= {c.source for c in triage.claims}
    cited |= {c.source for w in withheld for c in w.withheld_by}
    cited |= {c.source for f in findings for c in f.claims}
    cited |= {c.source for a in advice for c in a.caveats}
    observations = tuple(
        claim_ref(kb, c) for c in sorted(run.fired_claims) if kb.claims[c].kind == "note"
    )
    cited |= {c.source for c in observations}
    cited |= {c.source for a in advice for note in a.cautions for c in note.claims}
    sources = tuple(
        SourceRef(
            s.id,
            s.title,
            s.author,
            s.publisher,
            s.kind,
            s.voice,
            s.bias,
            tuple({"title": p.title, "url": p.url} for p in s.pages),
        )
        for s in kb.sources.values()
        if s.id in cited
    )
    profile = run.profile
    diagnosis = Diagnosis(
        triage=triage,
        findings=findings,
        causes=causes,
        advice=advice,
        advised_against=advised_against,
        withheld=withheld,
        conflicts=conflicts,
        sources=tuple(sorted(sources, key=lambda s: s.id)),
        answers=dict(sorted(run.answers.items())),
        unknown=tuple(sorted(profile.unknown)),
        set_aside=run.set_aside,
        name=profile.name,
        notes=profile.notes,
        knowledge_base={"version": kb.version, "hash": kb.content_hash},
        disclaimer=kb.manifest.disclaimer,
        fired_claims=tuple(sorted(run.fired_claims)),
        suggested=_suggested(kb, run) if suggest else (),
        observations=observations,
    )
    return replace(diagnosis, summary=summarise(kb, diagnosis))


def _suggested(kb: KnowledgeBase, run: Run) -> tuple[QuestionRef, ...]:
    from .relevance import Analysis, Rulebook

    analysis = Analysis(Rulebook.for_kb(kb), run.profile.answers, run.profile.unknown)
    return tuple(QuestionRef(q, kb.questions[q].prompt) for q in analysis.most_telling(3))


def _triage(kb: KnowledgeBase, run: Run) -> Triage:
    from .relevance import unchecked_warning_signs

    facts = run.derived("Triage")
    claims = sorted(facts, key=lambda f: (TIERS.index(f["tier"]), f["claim"]))
    tier = run.tier
    text = kb.manifest.tiers[tier]
    unchecked = tuple(
        QuestionRef(q, kb.questions[q].prompt)
        for q in unchecked_warning_signs(kb, run.profile.answers, run.profile.unknown)
    )
    # Emergency is as far as triage goes: nothing unchecked could raise it.
    if tier == "emergency":
        unchecked = ()
    action = text.action_unchecked if unchecked and text.action_unchecked else text.action
    warning = tuple(f for f in kb.findings if f in run.findings and kb.findings[f].warning_sign)
    return Triage(
        tier,
        text.title,
        action,
        tuple(claim_ref(kb, f["claim"]) for f in claims),
        unchecked,
        warning,
    )


def _findings(kb: KnowledgeBase, run: Run) -> tuple[FindingItem, ...]:
    """Findings that hold, warning signs first, each with the claims behind it."""
    holding = [f for f in kb.findings if f in run.findings]
    holding.sort(key=lambda f: not kb.findings[f].warning_sign)
    return tuple(
        FindingItem(
            f,
            kb.findings[f].title,
            kb.findings[f].says,
            kb.findings[f].warning_sign,
            tuple(claim_ref(kb, c) for c in kb.findings[f].backed_by),
        )
        for f in holding
    )


def _causes(kb: KnowledgeBase, run: Run) -> tuple[Cause, ...]:
    """Every theory a claim or a contradiction speaks to for this runner, ranked.

    Only claims that apply because of this runner's answers count; claims that apply to
    everyone are background, and a dispute made for other runners (outside its scope)
    is shown beside the theory but not counted. Likely causes come first, strongest
    first; then the rest; contradicted theories last.
    """
    evidence: dict[str, list[str]] = {}
    for fact in run.derived("Evidence"):
        evidence.setdefault(fact["theory"], []).append(fact["claim"])
    beyond: dict[str, list[str]] = {}
    for fact in run.derived("Beyond"):
        beyond.setdefault(fact["theory"], []).append(fact["claim"])
    contradicted: dict[str, list[int]] = {}
    for fact in run.derived("Contradiction"):
        contradicted.setdefault(fact["theory"], []).append(fact["clause"])
    causes = []
    for theory_id in sorted(set(evidence) | set(contradicted)):
        theory = kb.theories[theory_id]
        all_refs = [claim_ref(kb, c, weighted=True) for c in evidence.get(theory_id, [])]
        background = tuple(sorted((r for r in all_refs if r.background), key=lambda r: r.id))
        refs = [r for r in all_refs if not r.background]
        # Heaviest evidence first on each side, so the strongest reason reads first.
        refs.sort(key=lambda r: (-abs(r.weight or 0.0), r.id))
        supporting = tuple(r for r in refs if r.stance != "disputes")
        disputing = tuple(r for r in refs if r.stance == "disputes")
        aside = tuple(claim_ref(kb, c, weighted=False) for c in sorted(beyond.get(theory_id, [])))
        standing = round(sum(r.weight or 0.0 for r in refs), 4)
        contradictions = tuple(
            ContradictedBy(
                because=kb.contradictions[theory_id][i][1],
                answers=tuple(
                    c.question
                    for c in kb.contradictions[theory_id][i][0]
                    if isinstance(c, Condition)
                ),
            )
            for i in sorted(contradicted.get(theory_id, []))
        )
        backing = [r for r in background if r.stance != "disputes"]
        if contradictions:
            status = "contradicted"
        elif (supporting or backing) and (disputing or aside):
            status = "contested"
        elif supporting:
            status = "supported"
        elif disputing:
            status = "disputed"
        else:
            status = "general"
        terms = " ".join(f"{signed(r.weight or 0.0)} ({r.id})" for r in refs) or "no claims"
        likely = bool(supporting) and standing > 0 and not contradictions
        causes.append(
            Cause(
                theory.id,
                theory.title,
                theory.summary,
                standing,
                status,
                supporting,
                disputing,
                contradictions,
                f"{terms} = {signed(standing)}",
                background,
                aside,
                likely,
            )
        )
    causes.sort(
        key=lambda c: (
            not c.likely,
            c.status == "contradicted",
            c.status == "general",
            -c.standing,
            c.id,
        )
    )
    return tuple(causes)


def held_by(
    kb: KnowledgeBase, run: Run, fact_type: str, advice_ids: Iterable[str]
) -> dict[str, dict[tuple[str, int], set[str]]]:
    """For each piece of advice, the groups of findings that hold it back, and by what.

    ``fact_type`` is ``Withhold`` or ``Caution``: a finding's group declares one such
    fact per tag it names. A group holds back the advice acting on any of its tags;
    the tag given is the group's first that the advice acts on. Only ``advice_ids``
    (the advice some claim named in this run) are looked at.
    """
    by_tag: dict[str, set[tuple[str, int]]] = {}
    for fact in run.derived(fact_type):
        by_tag.setdefault(fact["tag"], set()).add((fact["finding"], fact["group"]))
    out: dict[str, dict[tuple[str, int], set[str]]] = {}
    if not by_tag:
        return out
    for advice_id in advice_ids:
        acts_on = kb.advice[advice_id].acts_on
        for tag in acts_on:
            for finding, group in by_tag.get(tag, ()):
                finding_rec = kb.findings[finding]
                rules = finding_rec.withholds if fact_type == "Withhold" else finding_rec.cautions
                first = next(t for t in rules[group].tags if t in acts_on)
                out.setdefault(advice_id, {}).setdefault((finding, group), set()).add(first)
    return out


def _advice(
    kb: KnowledgeBase, run: Run
) -> tuple[tuple[AdviceItem, ...], tuple[AdviceItem, ...], tuple[WithheldAdvice, ...]]:
    backing: dict[str, list[str]] = {}
    against: dict[str, list[str]] = {}
    for fact in run.derived("Support"):
        target = against if fact["stance"] == "disputes" else backing
        target.setdefault(fact["advice"], []).append(fact["claim"])
    named = backing.keys() | against.keys()
    withheld_by = held_by(kb, run, "Withhold", named)
    cautioned = held_by(kb, run, "Caution", named)
    recommended = {f["advice"] for f in run.derived("Recommendation")}
    # The conflicts between pieces of advice both recommended (shown by _conflicts),
    # each piece's in the conflicts' order: known before any piece is made.
    clashes: dict[str, list[str]] = {}
    for clash in kb.conflicts.values():
        if recommended.issuperset(clash.between):
            for advice_id in dict.fromkeys(clash.between):
                clashes.setdefault(advice_id, []).append(f"advice:{clash.id}")

    def item(advice_id: str) -> AdviceItem:
        advice = kb.advice[advice_id]
        notes = tuple(
            CautionNote(
                finding,
                kb.findings[finding].title,
                kb.findings[finding].cautions[group].says,
                tuple(claim_ref(kb, c) for c in kb.findings[finding].cautions[group].backed_by),
            )
            for finding, group in sorted(cautioned.get(advice_id, {}))
        )
        return AdviceItem(
            advice.id,
            advice.phase,
            advice.title,
            advice.text,
            tuple(claim_ref(kb, c) for c in sorted(backing.get(advice_id, []))),
            tuple(claim_ref(kb, c) for c in sorted(against.get(advice_id, []))),
            conflicts=tuple(sorted(clashes.get(advice_id, ()))),
            acts_on=advice.acts_on,
            cautions=notes,
            caveats=tuple(claim_ref(kb, c) for c in advice.caveats),
        )

    # Many pieces of advice are withheld for the same reasons (a finding's group holds
    # back every piece acting on its tags): each reason, and each set of reasons with
    # the claims it cites, is made once per run and shared, as they are immutable.
    reason_made: dict[tuple[str, int, tuple[str, ...]], WithholdReason] = {}
    why_made: dict[tuple[Any, ...], tuple[tuple[WithholdReason, ...], tuple[ClaimRef, ...]]] = {}

    def reason(finding: str, group: int, tags: tuple[str, ...]) -> WithholdReason:
        made = reason_made.get((finding, group, tags))
        if made is None:
            rule = kb.findings[finding].withholds[group]
            made = reason_made[(finding, group, tags)] = WithholdReason(
                finding,
                kb.findings[finding].title,
                tags,
                rule.because,
                tuple(claim_ref(kb, c) for c in rule.backed_by),
            )
        return made

    def reasons(advice_id: str) -> tuple[tuple[WithholdReason, ...], tuple[ClaimRef, ...]]:
        """Why a piece of advice is withheld, and the claims those reasons cite."""
        key = tuple(
            (finding, group, tuple(sorted(tags)))
            for (finding, group), tags in sorted(withheld_by[advice_id].items())
        )
        made = why_made.get(key)
        if made is None:
            why = tuple(reason(*k) for k in key)
            cited = sorted({c.id for r in why for c in r.claims})
            made = why_made[key] = (why, tuple(claim_ref(kb, c) for c in cited))
        return made

    def order(advice_id: str) -> tuple[int, str]:
        return (PHASES.index(kb.advice[advice_id].phase), advice_id)

    advice = tuple(item(a) for a in sorted(recommended, key=order))
    advised_against = tuple(
        item(a) for a in sorted(set(against) - recommended - set(withheld_by), key=order)
    )
    withheld = []
    for a in sorted(set(withheld_by) & set(backing), key=order):
        why, cited = reasons(a)
        withheld.append(WithheldAdvice(a, kb.advice[a].phase, kb.advice[a].title, cited, why))
    return advice, advised_against, tuple(withheld)


def _conflicts(
    kb: KnowledgeBase, causes: tuple[Cause, ...], advice: tuple[AdviceItem, ...]
) -> tuple[ConflictItem, ...]:
    out = []
    for cause in causes:
        # A dispute made for other runners (beyond its scope) still shows: no theory
        # looks uncontested because its critic wrote about another kind of cramp.
        against = (*cause.disputing, *cause.beyond_scope)
        # Both sides, what the articles say in general included: a disagreement shows
        # even when only the general claims support the theory for this runner.
        backing = (*cause.supporting, *(r for r in cause.background if r.stance != "disputes"))
        if backing and against:
            out.append(
                ConflictItem(
                    id=f"theory:{cause.id}",
                    type="theory",
                    title=f"Sources disagree: {cause.title}",
                    reason="; ".join(sorted({r.reason for r in against if r.reason})),
                    sides=(
                        Side("supports", cause.id, backing),
                        Side("disputes", cause.id, against),
                    ),
                )
            )
    offered = {c.id: c for c in causes if c.supporting or c.background}
    for conflict in kb.theory_conflicts.values():
        a, b = conflict.between
        if a in offered and b in offered:
            out.append(
                ConflictItem(
                    id=f"theories:{conflict.id}",
                    type="theories",
                    title=f"{offered[a].title} / {offered[b].title}",
                    reason=conflict.reason,
                    sides=(
                        Side(offered[a].title, a, offered[a].supporting or offered[a].background),
                        Side(offered[b].title, b, offered[b].supporting or offered[b].background),
                    ),
                )
            )
    shown = {a.id: a for a in advice}
    for clash in kb.conflicts.values():
        a, b = clash.between
        if a in shown and b in shown:
            out.append(
                ConflictItem(
                    id=f"advice:{clash.id}",
                    type="advice",
                    title=f"{kb.advice[a].title} / {kb.advice[b].title}",
                    reason=clash.reason,
                    sides=(
                        Side(kb.advice[a].title, a, shown[a].claims),
                        Side(kb.advice[b].title, b, shown[b].claims),
                    ),
                )
            )
    return tuple(sorted(out, key=lambda c: c.id))
