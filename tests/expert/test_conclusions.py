"""Conclusions: triage, standing arithmetic, disagreements and advice conflicts."""

from __future__ import annotations

from pathlib import Path

from expert import diagnose
from knowledge import load_knowledge_base, parse_profile

MINIMAL = load_knowledge_base(Path(__file__).parent.parent / "fixtures" / "kb-minimal")


def diagnosis(data, kb=MINIMAL):
    return diagnose(kb, parse_profile(data, kb))


def test_standing_is_the_sum_of_weighted_claims_and_the_sum_is_shown():
    d = diagnosis({"cramp_timing": ["night"], "recovery": "little", "bedding": "yes"})
    fatigue = next(c for c in d.causes if c.id == "fatigue")
    # cause opinion 1 + diagnostic anecdote 2×1 + hedged cause opinion 0.5
    assert fatigue.standing == 3.5
    assert {c.id: c.weight for c in fatigue.supporting} == {
        "alpha-fatigue": 1.0,
        "alpha-pattern": 2.0,
        "alpha-bedding": 0.5,
    }
    assert fatigue.arithmetic.endswith("= +3.5")
    assert fatigue.status == "supported"


def test_a_theory_with_claims_on_both_sides_is_contested_and_listed_as_a_disagreement():
    d = diagnosis({"cramp_timing": ["night"]})
    dehydration = next(c for c in d.causes if c.id == "dehydration")
    assert dehydration.status == "contested"
    # The research claim applies to every runner: background, shown, never counted; so
    # only the anecdote's dispute (−1) counts, and the theory is not likely.
    assert dehydration.standing == -1.0
    assert [c.id for c in dehydration.background] and not dehydration.likely
    conflict = next(c for c in d.conflicts if c.id == "theory:dehydration")
    assert [s.label for s in conflict.sides] == ["supports", "disputes"]
    assert conflict.reason == "Never had them while dehydrated."


def test_causes_are_ranked_by_standing_with_contradicted_theories_last():
    d = diagnosis({"cramp_timing": ["night"], "recovery": "enough"})
    assert [c.id for c in d.causes] == ["dehydration", "fatigue"]
    assert d.causes[-1].status == "contradicted"
    assert d.causes[-1].contradicted_by[0].because == "you report plenty of recovery"


def test_advice_that_cannot_both_be_followed_is_shown_with_both_sides():
    d = diagnosis({"cramp_timing": ["night"]})
    assert {a.id for a in d.advice_in("next_days")} == {"rest", "resume"}
    conflict = next(c for c in d.conflicts if c.type == "advice")
    assert {s.item for s in conflict.sides} == {"rest", "resume"}
    assert all(side.claims for side in conflict.sides)
    assert {a.id: a.conflicts for a in d.advice}["rest"] == ("advice:rest-or-resume",)


def test_triage_is_the_most_urgent_tier_set_and_defaults_to_self_care():
    assert diagnosis({}).triage.tier == "self_care"
    assert not diagnosis({}).triage.is_referral
    urgent = diagnosis({"calf_can_contract": "no"}).triage
    assert urgent.tier == "urgent"
    assert [c.id for c in urgent.claims] == ["beta-tear"]


def test_every_recommendation_cites_a_claim_with_source_and_quote(kb):
    d = diagnosis({"cramp_timing": ["night"], "recovery": "little", "hot_weather": "yes"}, kb)
    assert d.advice
    for item in d.advice:
        assert item.claims
        for claim in item.claims:
            assert claim.source in kb.sources and claim.quote


def test_the_json_form_carries_the_documented_fields(kb):
    data = diagnosis({"cramp_timing": ["night"], "recovery": "little"}, kb).to_dict()
    assert {"triage", "causes", "advice", "conflicts", "sources", "knowledge_base"} <= set(data)
    assert data["knowledge_base"] == {"version": kb.version, "hash": kb.content_hash}
    cause = data["causes"][0]
    assert {"id", "title", "standing", "supporting", "disputing", "arithmetic"} <= set(cause)
    assert {"id", "source", "quote", "weight"} <= set(cause["supporting"][0])
    advice = data["advice"][0]
    assert {"id", "text", "phase", "claims"} <= set(advice)
