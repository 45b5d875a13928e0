"""The summary every report shows first: referral first, withheld advice never among the
things to do, at most three causes and five things to do, hedges kept."""

from __future__ import annotations

import pytest

from expert import diagnose
from expert.summary import (
    HEDGES,
    PHASE_SHORT,
    REFERRAL_FIRST,
    TOP_ADVICE,
    TOP_CAUSES,
    TOP_UNCHECKED,
)
from knowledge import load_knowledge_base, load_profile_text
from knowledge.bundled import examples_directory

KB = load_knowledge_base()
EXAMPLES = sorted(p.stem for p in examples_directory().glob("*.yaml"))


def _diagnosis(name: str):
    source = examples_directory() / f"{name}.yaml"
    return diagnose(KB, load_profile_text(source.read_bytes(), KB, source.name))


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_summary_is_read_off_the_diagnosis_and_keeps_every_safety_rule(name):
    d = _diagnosis(name)
    s = d.summary
    assert (s.tier, s.tier_title, s.action) == (d.triage.tier, d.triage.title, d.triage.action)
    if s.tier in REFERRAL_FIRST or d.withheld:
        assert s.now == ()  # nothing is put beside the referral
    shown = [a.id for a in s.now] + [a.id for p in s.advice for a in p.advice]
    assert len(shown) <= TOP_ADVICE and len(set(shown)) == len(shown)
    recommended = {a.id for a in d.advice}
    assert set(shown) <= recommended
    assert not set(shown) & {w.id for w in d.withheld}
    # Phases in their order, each named.
    order = list(PHASE_SHORT)
    assert [p.id for p in s.advice] == sorted((p.id for p in s.advice), key=order.index)
    # Every withheld item is named in the summary, with the reason beside it.
    named = {title for w in s.withheld for title in w.advice}
    assert named == {w.title for w in d.withheld}
    assert all(w.because and w.finding_title for w in s.withheld)
    # The likeliest causes, in the diagnosis's order, with their counts and hedges.
    likely = [c for c in d.causes if c.likely]
    assert [c.id for c in s.causes] == [c.id for c in likely[:TOP_CAUSES]]
    assert s.more_causes == len(likely) - len(s.causes)
    for summary, cause in zip(s.causes, likely, strict=False):
        assert (summary.supporting, summary.disputing) == (
            len(cause.supporting),
            len(cause.disputing),
        )
        assert summary.hedge == HEDGES[cause.supporting[0].modality]
        if summary.hedge:
            assert summary.hedge in summary.sentence
    assert [q.question for q in s.unchecked] == [u.question for u in d.triage.unchecked]
    assert len(s.unchecked_serious) == min(len(s.unchecked), TOP_UNCHECKED)


def test_the_unchecked_signs_named_are_the_most_serious_not_the_first_asked():
    from expert.relevance import Rulebook

    gravity = Rulebook.for_kb(KB).sign_gravity
    s = _diagnosis("red-flag-calf-tear").summary
    assert len(s.unchecked) > TOP_UNCHECKED
    named = [q.question for q in s.unchecked_serious]
    rest = [q.question for q in s.unchecked if q.question not in named]
    assert min(gravity[q] for q in named) >= max(gravity[q] for q in rest)
    # The clot sign, which can lead to an emergency, first; among equals, question order.
    assert named[0] == "pain_worse_flexing_foot"
    order = [q.question for q in s.unchecked]
    ties = [q for q in named if gravity[q] == gravity[named[-1]]]
    assert ties == sorted(ties, key=order.index)


def test_a_red_flag_puts_the_referral_alone_at_the_top():
    s = _diagnosis("red-flag-calf-tear").summary
    assert s.is_referral and s.tier == "urgent" and s.now == ()
    assert s.warning_signs and s.withheld
