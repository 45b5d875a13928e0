"""The compiled engine: rules fire from answers, every firing is traced, order is irrelevant."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from expert import diagnose
from expert.engine import Reasoner
from knowledge import Profile, load_knowledge_base, parse_profile

MINIMAL = load_knowledge_base(Path(__file__).parent.parent / "fixtures" / "kb-minimal")


def run(data):
    return Reasoner.for_kb(MINIMAL).run(parse_profile(data, MINIMAL))


def test_claims_fire_when_all_their_conditions_hold():
    result = run({"cramp_timing": ["night"], "recovery": "little"})
    assert result.fired_claims == {
        "alpha-fatigue",
        "alpha-pattern",
        "alpha-no-dehydration",
        "alpha-rest",
        "beta-dehydration",
        "beta-resume",
    }


def test_every_firing_records_the_answers_it_matched_and_the_facts_it_declared():
    result = run({"cramp_timing": ["night"], "recovery": "little"})
    firing = next(f for f in result.trace if f.claim == "alpha-pattern")
    assert firing.rule == "claim:alpha-pattern"
    assert [m.key for m in firing.matched] == ["answer:cramp_timing", "answer:recovery"]
    assert [d.key for d in firing.declared] == ["evidence:alpha-pattern"]
    assert firing.declared[0]["stance"] == "supports"


def test_a_claim_without_conditions_fires_for_everyone_and_matches_no_answer():
    firing = next(f for f in run({}).trace if f.claim == "beta-dehydration")
    assert firing.matched == ()


def test_recommendations_are_derived_from_the_supports_that_back_them():
    result = run({"cramp_timing": ["night"]})
    firings = [f for f in result.trace if f.rule == "recommend:rest"]
    assert [m.key for f in firings for m in f.matched] == ["support:alpha-rest"]
    assert {f.key for f in result.facts if f.type == "Recommendation"} == {
        "recommendation:rest",
        "recommendation:resume",
    }


def test_an_unknown_answer_never_fires_a_claim_that_needs_it():
    result = run({"cramp_timing": ["night"], "recovery": "unknown"})
    assert "alpha-pattern" not in result.fired_claims
    assert "alpha-fatigue" in result.fired_claims


def test_an_answer_whose_precondition_fails_is_set_aside():
    result = run({"cramp_timing": ["during_run"], "bedding": "yes"})
    assert result.set_aside == ("bedding",)
    assert "alpha-bedding" not in result.fired_claims
    assert "alpha-bedding" in run({"cramp_timing": ["night"], "bedding": "yes"}).fired_claims


def test_number_conditions_use_inclusive_bounds():
    assert "beta-mileage" in run({"weekly_km": 80}).fired_claims
    assert "beta-mileage" not in run({"weekly_km": 79.5}).fired_claims


def test_red_flags_fire_before_anything_else():
    result = run({"cramp_timing": ["night"], "calf_can_contract": "no"})
    assert result.trace[0].claim == "beta-tear"


def test_contradicting_answers_declare_a_contradiction():
    result = run({"recovery": "enough"})
    assert [f.key for f in result.facts if f.type == "Contradiction"] == ["contradiction:fatigue:0"]


def test_one_reasoner_is_reused_and_runs_do_not_leak_into_each_other():
    first = run({"cramp_timing": ["night"], "recovery": "little"})
    second = run({})
    assert second.fired_claims == {"beta-dehydration"}
    assert run({"cramp_timing": ["night"], "recovery": "little"}) == first


def shuffled(profile: Profile, seed: int) -> Profile:
    items = list(profile.answers.items())
    random.Random(seed).shuffle(items)
    return Profile(dict(items), profile.unknown, profile.name, profile.notes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_valid_profile_gives_the_same_result_under_any_order_of_its_answers(kb, data):
    profile = data.draw(profiles(kb))
    seed = data.draw(st.integers(0, 2**32 - 1))
    reasoner = Reasoner.for_kb(kb)
    original, permuted = reasoner.run(profile), reasoner.run(shuffled(profile, seed))
    assert original.trace == permuted.trace
    assert original.facts == permuted.facts
    assert diagnose(kb, profile) == diagnose(kb, shuffled(profile, seed))


@pytest.mark.parametrize("seed", range(3))
def test_the_trace_is_identical_across_fresh_engines(kb, seed):
    profile = parse_profile(
        {
            "cramp_timing": ["night", "after_run"],
            "recovery": "some",
            "hard_session_recent": "yes",
            "hot_weather": "yes",
        },
        kb,
    )
    assert Reasoner(kb).run(shuffled(profile, seed)).trace == Reasoner.for_kb(kb).run(profile).trace
