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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowledge.values import signed

from .question_ref import QuestionRef, help_text

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
    """One of the likeliest causes in the summary, in one sentence."""

    id: str = field(metadata=help_text("Theory id (its evidence is at `#cause-<id>`)."))
    title: str = field(metadata=help_text("Theory title."))
    status: str = field(metadata=help_text("supported or contested (see `CauseView.status`)."))
    standing: float = field(metadata=help_text("Its standing (see `CauseView.standing`)."))
    supporting: int = field(
        metadata=help_text("How many claims for it apply because of the runner's answers.")
    )
    disputing: int = field(metadata=help_text("How many claims against it apply: counted."))
    general: int = field(
        metadata=help_text(
            "How many claims say something about it in general (to every runner): never counted."
        )
    )
    beyond_scope: tuple[str, ...] = field(
        metadata=help_text(
            'Scopes of the disputes made for other runners (e.g. "night cramps"): shown as '
            '"argued for night cramps", not counted.'
        )
    )
    reason: str = field(metadata=help_text("What the strongest claim for it says."))
    reason_source: str = field(metadata=help_text("Who says it (the source's author, short)."))
    hedge: str = field(
        metadata=help_text(
            'The strongest claim\'s hedge ("may", "the author thinks"...), or empty.'
        )
    )
    sentence: str = field(
        metadata=help_text("All of the above in one sentence, the hedge and the counts kept.")
    )


@dataclass(frozen=True)
class SummaryAdvice:
    """One thing to do in the summary, with what qualifies it."""

    id: str = field(metadata=help_text("Advice id (its evidence is at `#advice-<id>`)."))
    phase: str = field(metadata=help_text("now, next_days, prevention or professional."))
    title: str = field(metadata=help_text("Short title."))
    text: str = field(metadata=help_text("What to do, in full."))
    caveats: tuple[str, ...] = field(
        metadata=help_text('What qualifies it wherever it is shown ("fluid needs vary").')
    )
    cautions: tuple[str, ...] = field(
        metadata=help_text("Cautions a finding puts beside it, each `<finding title>: <caution>`.")
    )


@dataclass(frozen=True)
class SummaryPhase:
    """The summary's things to do of one phase."""

    id: str = field(metadata=help_text("now, next_days, prevention or professional."))
    title: str = field(
        metadata=help_text(
            "Short heading: Now, After, To prevent the next one, See a professional."
        )
    )
    advice: tuple[SummaryAdvice, ...] = field(
        metadata=help_text("The advice of this phase among the summary's five.")
    )


@dataclass(frozen=True)
class SummaryWithheld:
    """One reason advice is withheld, once, with the titles of what it withholds."""

    finding: str = field(metadata=help_text("Id of the finding that withholds the advice."))
    finding_title: str = field(metadata=help_text("Title of that finding."))
    because: str = field(metadata=help_text("The reason, in plain words."))
    advice: tuple[str, ...] = field(
        metadata=help_text("Titles of the advice it withholds (never their text).")
    )
    sources: tuple[str, ...] = field(metadata=help_text("Who says why (sources, short)."))


@dataclass(frozen=True)
class Summary:
    """The short version every report shows first: it fits one screen and one printed page.

    Safety first: at the urgent and emergency tiers (and whenever advice is withheld)
    `now` is empty, so no self-care stands beside the action; withheld advice is named
    by its title with the reason.
    """

    tier: str = field(metadata=help_text("emergency, urgent, see_doctor or self_care."))
    tier_title: str = field(metadata=help_text("The tier's name for people."))
    action: str = field(metadata=help_text("What to do at this tier: the first thing to read."))
    is_referral: bool = field(metadata=help_text("True when the runner should see a professional."))
    warning_signs: tuple[str, ...] = field(
        metadata=help_text("Titles of the warning-sign findings that hold.")
    )
    now: tuple[SummaryAdvice, ...] = field(
        metadata=help_text(
            "Self-care to do right now, shown beside the action: empty at the urgent and "
            "emergency tiers and whenever advice is withheld."
        )
    )
    withheld: tuple[SummaryWithheld, ...] = field(
        metadata=help_text("Each reason advice is withheld, with what it withholds.")
    )
    causes: tuple[SummaryCause, ...] = field(
        metadata=help_text(
            "The three likeliest causes, strongest first (fewer if fewer are likely)."
        )
    )
    more_causes: int = field(metadata=help_text("How many other causes are likely."))
    advice: tuple[SummaryPhase, ...] = field(
        metadata=help_text(
            "Up to five things to do, by phase (now, after, to prevent, see a professional); "
            "phases with none are left out, and so is what `now` shows."
        )
    )
    more_advice: int = field(metadata=help_text("How many other pieces of advice are recommended."))
    unchecked: tuple[QuestionRef, ...] = field(
        metadata=help_text('Warning signs not ruled out (unanswered or "don\'t know").')
    )
    unchecked_serious: tuple[QuestionRef, ...] = field(
        metadata=help_text(
            "Up to three of `unchecked`, those that can reveal the most urgent sign first: "
            "the ones the summary names (the others are counted and listed with the evidence)."
        )
    )
    unknown: tuple[QuestionRef, ...] = field(
        metadata=help_text('Other questions answered "don\'t know".')
    )
    sharpen: tuple[QuestionRef, ...] = field(
        metadata=help_text("Unanswered questions whose answers would change the result most.")
    )


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
        unchecked=d.triage.unchecked,
        unchecked_serious=_most_serious(kb, d),
        unknown=tuple(
            QuestionRef(q, kb.questions[q].prompt)
            for q in kb.questions
            if q in unknown and q not in unchecked
        ),
        sharpen=d.suggested,
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


def _most_serious(kb: KnowledgeBase, d: Diagnosis) -> tuple[QuestionRef, ...]:
    """The unchecked warning signs that can reveal the most urgent sign, in question order
    among equals: a long list is cut to these, never to the first few asked."""
    from .relevance import Rulebook

    gravity = Rulebook.for_kb(kb).sign_gravity
    ranked = sorted(
        enumerate(d.triage.unchecked), key=lambda pair: (-gravity.get(pair[1].question, 0), pair[0])
    )
    return tuple(u for _, u in ranked[:TOP_UNCHECKED])


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
