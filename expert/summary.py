"""The short version of a diagnosis: what every report shows first, on one screen.

A :class:`Summary` is read off a :class:`~expert.conclusions.Diagnosis`; it decides
nothing new. It holds the triage tier and its action; what is withheld and why; the
three likeliest causes, each in one sentence with its standing, how many claims are for
and against it, and the source's hedge kept; up to five things to do, grouped by phase,
with their caveats and cautions; and what was not checked or would sharpen the result.

Safety first, as everywhere: at the urgent and emergency tiers no self-care is put
beside the action (``now`` is empty), and withheld advice is named with its reason,
never as something to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.values import signed

if TYPE_CHECKING:
    from knowledge import KnowledgeBase

    from .conclusions import AdviceItem, Cause, ClaimRef, Diagnosis

#: How many causes and things to do the summary shows.
TOP_CAUSES = 3
TOP_ADVICE = 5
#: How many unchecked warning signs the summary names (the rest are counted and listed
#: with the evidence).
TOP_UNCHECKED = 3

#: A claim's modality as a short hedge beside it in the summary ("" when asserted).
HEDGES = {
    "asserts": "",
    "hedged": "may",
    "belief": "the author thinks",
    "suggests": "suggests",
    "anecdote": "the author's own experience",
    "prevalence": "how common it is, not a cause",
}

#: Short headings for the phases in the summary.
PHASE_SHORT = {
    "now": "Now",
    "next_days": "After",
    "prevention": "To prevent the next one",
    "professional": "See a professional",
}

#: Tiers at which no self-care is shown beside the action.
REFERRAL_FIRST = ("emergency", "urgent")


@dataclass(frozen=True)
class SummaryCause:
    """One of the likeliest causes, in one sentence."""

    id: str
    title: str
    status: str
    standing: float
    #: Claims for and against it that apply because of the runner's answers.
    supporting: int
    disputing: int
    #: What the articles say about it in general: shown elsewhere, never counted.
    general: int
    #: Scopes of the disputes made for other runners ("night cramps"): not counted.
    beyond_scope: tuple[str, ...]
    #: The strongest reason for it: what the claim says, who says it, and the hedge.
    reason: str
    reason_source: str
    hedge: str
    sentence: str


@dataclass(frozen=True)
class SummaryAdvice:
    """One thing to do, with what qualifies it."""

    id: str
    phase: str
    title: str
    text: str
    #: What qualifies it wherever it is shown (e.g. "fluid needs vary").
    caveats: tuple[str, ...] = ()
    #: Cautions a finding puts beside it: "<finding title>: <caution>".
    cautions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryPhase:
    """The things to do of one phase: now, after, to prevent, see a professional."""

    id: str
    title: str
    advice: tuple[SummaryAdvice, ...]


@dataclass(frozen=True)
class SummaryWithheld:
    """One reason advice is withheld, once, with the titles of what it withholds."""

    finding: str
    finding_title: str
    because: str
    advice: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SummaryQuestion:
    """A question: its id and its words."""

    question: str
    prompt: str


@dataclass(frozen=True)
class Summary:
    """What a report shows first: it fits one screen and one printed page."""

    tier: str
    tier_title: str
    action: str
    is_referral: bool
    #: Titles of the warning-sign findings that hold.
    warning_signs: tuple[str, ...]
    #: Self-care to do right now, beside the action: empty at the urgent and emergency
    #: tiers (and whenever advice is withheld), where only the action is shown there.
    now: tuple[SummaryAdvice, ...]
    withheld: tuple[SummaryWithheld, ...]
    causes: tuple[SummaryCause, ...]
    #: Other likely causes not in the top three.
    more_causes: int
    #: Up to five things to do, by phase (phases with nothing are left out).
    advice: tuple[SummaryPhase, ...]
    #: Recommended advice not among the five.
    more_advice: int
    #: Warning signs not ruled out (unanswered or "don't know").
    unchecked: tuple[SummaryQuestion, ...]
    #: Up to three of ``unchecked``, those that can reveal the most urgent sign first:
    #: the ones the summary names.
    unchecked_serious: tuple[SummaryQuestion, ...]
    #: Other questions answered "don't know".
    unknown: tuple[SummaryQuestion, ...]
    #: The unanswered questions that would change the result most.
    sharpen: tuple[SummaryQuestion, ...]


def summarise(kb: KnowledgeBase, d: Diagnosis) -> Summary:
    """The summary of one diagnosis."""
    likely = [c for c in d.causes if c.likely]
    causes = tuple(_cause(kb, c) for c in likely[:TOP_CAUSES])
    chosen = _top_advice(d.advice)
    referral_first = d.triage.tier in REFERRAL_FIRST or bool(d.withheld)
    now = () if referral_first else tuple(a for a in chosen if a.phase == "now")
    listed = [a for a in chosen if not (a.phase == "now" and now)]
    phases = tuple(
        SummaryPhase(p, PHASE_SHORT[p], tuple(a for a in listed if a.phase == p))
        for p in PHASE_SHORT
        if any(a.phase == p for a in listed)
    )
    unchecked = {u.question for u in d.triage.unchecked}
    unknown = set(d.unknown)
    return Summary(
        tier=d.triage.tier,
        tier_title=d.triage.title,
        action=d.triage.action,
        is_referral=d.triage.is_referral,
        warning_signs=tuple(f.title for f in d.findings if f.warning_sign),
        now=now,
        withheld=_withheld(kb, d),
        causes=causes,
        more_causes=max(len(likely) - len(causes), 0),
        advice=phases,
        more_advice=len(d.advice) - len(chosen),
        unchecked=tuple(SummaryQuestion(u.question, u.prompt) for u in d.triage.unchecked),
        unchecked_serious=_most_serious(kb, d),
        unknown=tuple(
            SummaryQuestion(q, kb.questions[q].prompt)
            for q in kb.questions
            if q in unknown and q not in unchecked
        ),
        sharpen=tuple(SummaryQuestion(s.question, s.prompt) for s in d.suggested),
    )


def source_name(kb: KnowledgeBase, source_id: str) -> str:
    """A source's author as a short name for a summary ("SPRYNG", "Charles Rodmell")."""
    source = kb.sources[source_id]
    if source.kind == "public_health":
        return "public health guidance"
    author = source.author.split(" (")[0].strip()
    if not author or author.lower().startswith(("unnamed", "summary of")):
        return source.publisher.split(",")[0].strip()
    return author


def hedge_of(claim: ClaimRef) -> str:
    """The claim's hedge in a word or three ("may", "the author thinks"); "" if asserted."""
    return HEDGES.get(claim.modality, "")


def _cause(kb: KnowledgeBase, cause: Cause) -> SummaryCause:
    strongest = cause.supporting[0]
    reason = strongest.says.rstrip(".")
    who = source_name(kb, strongest.source)
    hedge = hedge_of(strongest)
    counts = f"{len(cause.supporting)} for, {len(cause.disputing)} against"
    scopes = sorted({c.scope or "other runners" for c in cause.beyond_scope})
    if scopes:
        counts += f" (and {len(cause.beyond_scope)} against argued for {', '.join(scopes)}"
        counts += ", not counted)"
    tag = f"{who}; {hedge}" if hedge else who
    sentence = (
        f"{cause.title}: {cause.status}, standing {signed(cause.standing)}, {counts}; "
        f"the strongest reason: {_lower_first(reason)} ({tag})."
    )
    return SummaryCause(
        id=cause.id,
        title=cause.title,
        status=cause.status,
        standing=cause.standing,
        supporting=len(cause.supporting),
        disputing=len(cause.disputing),
        general=len(cause.background),
        beyond_scope=tuple(scopes),
        reason=reason,
        reason_source=who,
        hedge=hedge,
        sentence=sentence,
    )


def _top_advice(advice: tuple[AdviceItem, ...]) -> list[SummaryAdvice]:
    """Up to five pieces of advice: the best backed of each phase in turn, in phase order.

    Within a phase, advice backed by more claims comes first; advice disputed or in a
    conflict with other advice comes after advice that is not.
    """
    by_phase: dict[str, list[AdviceItem]] = {p: [] for p in PHASE_SHORT}
    for item in advice:
        by_phase[item.phase].append(item)
    for items in by_phase.values():
        items.sort(key=lambda a: (bool(a.disputed_by), bool(a.conflicts), -len(a.claims), a.id))
    chosen: list[AdviceItem] = []
    depth = 0
    while len(chosen) < TOP_ADVICE and any(len(v) > depth for v in by_phase.values()):
        for items in by_phase.values():
            if len(items) > depth and len(chosen) < TOP_ADVICE:
                chosen.append(items[depth])
        depth += 1
    order = {p: i for i, p in enumerate(PHASE_SHORT)}
    chosen.sort(key=lambda a: (order[a.phase], by_phase[a.phase].index(a)))
    return [
        SummaryAdvice(
            id=a.id,
            phase=a.phase,
            title=a.title,
            text=a.text,
            caveats=tuple(c.says for c in a.caveats),
            cautions=tuple(f"{n.finding_title}: {n.says}" for n in a.cautions),
        )
        for a in chosen
    ]


def _most_serious(kb: KnowledgeBase, d: Diagnosis) -> tuple[SummaryQuestion, ...]:
    """The unchecked warning signs that can reveal the most urgent sign, in question order
    among equals: a long list is cut to these, never to the first few asked."""
    from .relevance import Rulebook

    gravity = Rulebook.for_kb(kb).sign_gravity
    ranked = sorted(
        enumerate(d.triage.unchecked), key=lambda pair: (-gravity.get(pair[1].question, 0), pair[0])
    )
    return tuple(SummaryQuestion(u.question, u.prompt) for _, u in ranked[:TOP_UNCHECKED])


def _withheld(kb: KnowledgeBase, d: Diagnosis) -> tuple[SummaryWithheld, ...]:
    order: list[tuple[str, str]] = []
    groups: dict[tuple[str, str], list[str]] = {}
    reasons = {}
    for item in d.withheld:
        for reason in item.reasons:
            key = (reason.finding, reason.because)
            if key not in groups:
                order.append(key)
                groups[key] = []
                reasons[key] = reason
            groups[key].append(item.title)
    return tuple(
        SummaryWithheld(
            finding=reasons[key].finding,
            finding_title=reasons[key].finding_title,
            because=reasons[key].because,
            advice=tuple(groups[key]),
            sources=tuple(dict.fromkeys(source_name(kb, c.source) for c in reasons[key].claims)),
        )
        for key in order
    )


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is a name or an acronym."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first[1:].lower() != first[1:] or first in _NAMES):
        return text
    return text[:1].lower() + text[1:]


_NAMES = frozenset({"David", "Charles", "Steve", "SPRYNG", "Rodmell", "I"})
