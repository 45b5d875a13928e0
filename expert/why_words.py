"""A consultation explained to a runner in words: the headline so far, and ``why``.

No claim ids and no condition syntax here (``why --detail`` shows those): theories,
warning signs and advice by their titles, sources by their titles, and what each answer
would do to the headline (:mod:`expert.headline`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.vocabulary import is_tier

from .headline import Headline, headline
from .outlook import answer_outcomes

if TYPE_CHECKING:
    from .consultation import Consultation

#: How many questions that could still change the headline are named.
SHOW_QUESTIONS = 3


def _titles(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def headline_lines(c: Consultation) -> list[tuple[str, str | None]]:
    """The headline so far as lines (each with the tier to colour it by, or None)."""
    kb = c.kb
    diagnosis = c.diagnosis()
    now = headline(diagnosis)
    lines: list[tuple[str, str | None]] = [
        (f"The result so far ({len(c.history)} answered):", None),
        (f"How urgent: {_tier_title(c, now.tier)}. {diagnosis.triage.action}", now.tier),
    ]
    if now.causes:
        ranked = "; ".join(f"{n}. {kb.theories[t].title}" for n, t in enumerate(now.causes, 1))
        lines.append((f"Likeliest causes: {ranked}", None))
    else:
        lines.append(("Likeliest causes: none stands out from your answers yet.", None))
    if now.now:
        lines.append((f"What to do now: {'; '.join(kb.advice[a].title for a in now.now)}", None))
    else:
        lines.append(("What to do now: nothing recommended yet from your answers.", None))
    if diagnosis.triage.unchecked:
        lines.append(("Warning signs not checked yet, so this is not an all-clear.", None))
    movers = c.could_change()
    if movers:
        named = [kb.questions[q].prompt for q in movers[:SHOW_QUESTIONS]]
        lines.append(("What could still change it:", None))
        lines += [(f"  - {prompt}", None) for prompt in named]
        rest = len(movers) - len(named)
        if rest > 0:
            lines.append((f"  - and {rest} more question{'s' if rest != 1 else ''}", None))
    elif not c.is_finished:
        lines.append(("Nothing still to ask can change this; type more to refine the rest.", None))
    else:
        lines.append(("Nothing still to ask can change any part of the result.", None))
    return lines


def why_in_words(c: Consultation, qid: str) -> list[str]:
    """Why ``qid`` is asked, for a runner: what it bears on, who says so, what each
    answer would change in the headline."""
    kb = c.kb
    why = c.why(qid)
    if not why.matters:
        return ["Your answer to this no longer changes anything in the result."]
    signs: list[str] = []
    theories: list[str] = []
    advice: list[str] = []
    sources: list[str] = []
    tiers: list[str] = []
    for reason in why.reasons:
        if reason.claim is not None:
            claim = kb.claims[reason.claim]
            if claim.triage in ("emergency", "urgent"):
                _add(tiers, _tier_title(c, claim.triage))
            if claim.theory is not None:
                _add(theories, kb.theories[claim.theory].title)
            if claim.advice is not None:
                _add(advice, kb.advice[claim.advice].title)
            if reason.source_title:
                _add(sources, reason.source_title)
        elif reason.finding is not None:
            finding = kb.findings[reason.finding]
            if finding.warning_sign:
                _add(signs, finding.title)
            else:
                _add(theories, finding.title)
        elif reason.theory is not None:
            _add(theories, kb.theories[reason.theory].title)
    lines = ["Why I ask this:"]
    if signs:
        lines.append(f"  - It checks for a warning sign: {_titles(signs)}.")
    if tiers:
        lines.append(f"  - One answer could mean you need help first: {_titles(tiers)}.")
    if theories:
        lines.append(f"  - It bears on what may cause your cramps: {_titles(theories)}.")
    if advice:
        lines.append(f"  - It decides whether to suggest: {_titles(advice)}.")
    if sources:
        lines.append(f"  - Who says so: {_titles(sources)}.")
    lines.append("What each answer would change:")
    outlook = c.outlook
    single = outlook.single.get(qid)
    question = kb.questions[qid]
    moved = {m.label: m.headline for m in single[1]} if single else {}
    for label, _value in answer_outcomes(outlook.analysis, question):
        after = moved.get(label)
        lines.append(f"  - {label}: {_change_words(c, outlook.headline, after)}")
    return lines


def _change_words(c: Consultation, now: Headline, after: Headline | None) -> str:
    """What moving from ``now`` to ``after`` means, in words."""
    kb = c.kb
    if after is None or after == now:
        return "leaves the urgency, the likeliest causes and what to do now as they are"
    parts = []
    for part in now.differences(after):
        if part == "tier":
            parts.append(f"makes it {_tier_title(c, after.tier)}")
        elif part == "causes":
            named = [kb.theories[t].title for t in after.causes]
            parts.append(
                f"makes the likeliest causes {_titles(named)}"
                if named
                else "leaves no likely cause"
            )
        else:
            parts.append("changes what to do now")
    return "; ".join(parts)


def _tier_title(c: Consultation, tier: str) -> str:
    """A tier's title as the knowledge base words it (Emergency, Self-care)."""
    return c.kb.manifest.tiers[tier].title if is_tier(tier) else tier


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


__all__ = ["headline_lines", "why_in_words"]
