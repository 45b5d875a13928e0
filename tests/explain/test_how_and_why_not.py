"""*How* and *why not*: the chain behind a conclusion, and the smallest change that fires one."""

from __future__ import annotations

import pytest
from fixture_data import HOSTILE, NIGHT, fixture_kb, fixture_profile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from expert.engine import Reasoner
from explain.change import apply_changes
from explain.how import explain_how
from explain.items import Item, UnknownItem, resolve_item, triage_tier
from explain.why_not import explain_why_not, target_of
from knowledge import load_knowledge_base, parse_profile
from knowledge.schema import TIERS

REAL_KB = load_knowledge_base()


def items(kb) -> list[str]:
    return [
        *kb.theories,
        *kb.advice,
        *(f"finding:{f}" for f in kb.findings),
        "triage",
        *(f"triage:{t}" for t in TIERS),
    ]


def _fires(kb, profile, item: Item) -> bool:
    return target_of(item)(Reasoner.for_kb(kb).run(profile))


def test_items_resolve_to_causes_advice_and_triage_tiers():
    kb = fixture_kb()
    assert resolve_item(kb, "dehydration") == Item("cause", "dehydration", "Dehydration")
    assert resolve_item(kb, "rest_few_days").kind == "advice"
    assert resolve_item(kb, "triage").name == "triage"
    assert resolve_item(kb, "triage:urgent").name == "triage:urgent"
    with pytest.raises(UnknownItem, match=r"did you mean 'triage:urgent'\?"):
        resolve_item(kb, "triage:urgnet")


def test_how_lists_every_answer_and_claim_behind_a_cause():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(NIGHT))
    how = explain_how(kb, run, resolve_item(kb, "dehydration"))
    assert how.fired
    assert {a.question for a in how.rests_on} == {
        "cramp_timing",
        "hydration_before",
        "hydration_during",
    }
    assert how.unconditional == ("steve-dehydration-hedged",)
    claims = {s.claim.id for s in how.steps if s.claim}
    assert claims == {"rodmell-never-dehydrated", "steve-dehydration-hedged"}
    assert [s.rule for s in how.steps if not s.claim] == ["contradiction:dehydration:0"]
    # The hedged claim applies to every runner: background, shown, never counted.
    assert how.cause.arithmetic.endswith("= -1")
    assert sum(t.weight for t in how.cause.terms) == how.cause.standing


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(REAL_KB, names=True), st.sampled_from(items(REAL_KB)))
def test_how_rests_only_on_answers_the_runner_gave_and_cites_every_claim(profile, name):
    kb = REAL_KB
    item = resolve_item(kb, name)
    run = Reasoner.for_kb(kb).run(profile)
    how = explain_how(kb, run, item)
    for answer in how.rests_on:
        assert answer.question in run.answers
    for step in how.steps:
        if step.claim:
            assert step.claim.quote == kb.claims[step.claim.id].quote
            assert step.rule == f"claim:{step.claim.id}"
    if how.cause:
        shown = {s.claim.id for s in how.steps if s.claim}
        assert {c.id for c in (*how.cause.supporting, *how.cause.disputing)} <= shown


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(REAL_KB, names=True), st.sampled_from(items(REAL_KB)))
def test_a_proposed_change_is_valid_input_and_really_makes_the_item_fire(profile, name):
    kb = REAL_KB
    item = resolve_item(kb, name)
    run = Reasoner.for_kb(kb).run(profile)
    why = explain_why_not(kb, run, item)
    if item.kind == "triage" and (not item.id or item.id == "self_care"):
        assert not why.candidates and why.change is None
        return
    if why.fired:
        assert why.change is None
        return
    for candidate in why.candidates:
        # A candidate whose every condition holds has fired; one that has not, lists why.
        states = {c.state for c in candidate.conditions}
        assert candidate.fired == (states <= {"holds"}) or why.blockers
    if why.change is None:
        return
    changes = {c.question: c for c in why.change}
    assert len(changes) == len(why.change) <= why.max_changes
    # Apply the change as a runner would: through the profile format and its validation.
    data = profile.to_data()
    found = explain_why_not_changes(kb, run, item)
    data.update(apply_changes(profile, found).to_data())
    changed = parse_profile(data, kb)
    assert _fires(kb, changed, item)


def explain_why_not_changes(kb, run, item):
    """The raw answer values of the proposal (the report shows them in words)."""
    from explain.change import smallest_change
    from explain.why_not import candidate_claims

    candidates, blockers = candidate_claims(kb, item)
    return smallest_change(kb, run.profile, candidates, target_of(item), blockers=blockers).changes


def _single_changes(kb, profile):
    """Every profile that differs from ``profile`` in exactly one answer."""
    for qid, question in kb.questions.items():
        current = profile.answers.get(qid)
        if question.type == "multi":
            have = set(current or ())
            values = [tuple(sorted(have ^ {v})) for v in question.values]
        elif question.type == "number":
            bounds = {question.min, question.max}
            for claim_conds in kb.conditions.values():
                for c in claim_conds:
                    if c.question == qid:
                        bounds |= {b for b in (c.low, c.high) if b is not None}
            values = [float(b) for b in sorted(bounds)]
        else:
            values = list(question.values)
        for value in values:
            if value != current:
                yield apply_changes(profile, {qid: value})


@pytest.mark.parametrize("path", [NIGHT, HOSTILE], ids=["night", "hostile"])
def test_no_single_answer_change_works_where_the_proposal_changes_more(path):
    kb = fixture_kb()
    profile = fixture_profile(path)
    run = Reasoner.for_kb(kb).run(profile)
    checked = 0
    for name in items(kb):
        item = resolve_item(kb, name)
        why = explain_why_not(kb, run, item)
        if why.change is None or len(why.change) < 2:
            continue
        checked += 1
        for changed in _single_changes(kb, profile):
            assert not _fires(kb, changed, item), f"{name}: one answer would do"
    assert checked  # the fixtures do have items that need several answers


def test_why_not_respects_ask_if_and_changes_the_precondition_too():
    kb = fixture_kb()
    # pace_collapse is asked only after a long run; the dehydration pattern needs both.
    profile = parse_profile({"cramp_timing": ["after_run"], "long_run": "no"}, kb)
    run = Reasoner.for_kb(kb).run(profile)
    from explain.change import smallest_change

    found = smallest_change(
        kb,
        profile,
        ["cap-pace-collapse-dehydrated"],
        lambda r: "cap-pace-collapse-dehydrated" in r.fired_claims,
    )
    assert dict(found.changes) == {"long_run": True, "pace_collapse": True}
    assert "pace_collapse" in found.run.answers
    assert run.fired_claims & {"cap-dehydration-second-cause"}


def test_why_not_reports_a_set_aside_answer_as_such():
    kb = fixture_kb()
    profile = parse_profile(
        {"cramp_timing": ["after_run"], "long_run": "no", "pace_collapse": "yes"}, kb
    )
    run = Reasoner.for_kb(kb).run(profile)
    why = explain_why_not(kb, run, resolve_item(kb, "dehydration"))
    assert why.fired  # cap-dehydration-second-cause applies
    advice = explain_why_not(kb, run, resolve_item(kb, "hydrate_before_during"))
    assert advice.fired
    states = {
        s.question: s
        for c in explain_why_not(kb, run, resolve_item(kb, "triage:emergency")).candidates
        for s in c.conditions
    }
    assert states["one_leg_only"].state == "unanswered"
    set_aside = [
        s
        for c in _candidates_for(kb, run, "cap-pace-collapse-dehydrated")
        for s in c.conditions
        if s.question == "pace_collapse"
    ]
    assert set_aside[0].state == "set_aside" and "long_run is yes" in set_aside[0].note


def _candidates_for(kb, run, claim_id):
    from explain.why_not import _candidate

    return [_candidate(kb, run, claim_id)]


def test_why_not_a_tier_below_the_current_level_says_the_level_is_already_higher():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(HOSTILE))
    assert triage_tier(run) == "emergency"
    why = explain_why_not(kb, run, resolve_item(kb, "triage:urgent"))
    assert not why.fired and not why.candidates and why.change is None


# --- findings --------------------------------------------------------------------------


def test_a_finding_is_an_item_by_its_prefixed_or_bare_id():
    kb = fixture_kb()
    item = resolve_item(kb, "finding:possible_hyponatraemia")
    assert item == Item("finding", "possible_hyponatraemia", "Possible low blood sodium")
    assert item.name == "finding:possible_hyponatraemia"
    assert resolve_item(kb, "possible_hyponatraemia") == item
    with pytest.raises(UnknownItem, match=r"did you mean 'finding:possible_hyponatraemia'\?"):
        resolve_item(kb, "finding:possible_hyponatremia")


def test_how_a_finding_holds_names_its_clause_and_the_answers_it_rests_on():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(HOSTILE))
    how = explain_how(kb, run, resolve_item(kb, "finding:possible_hyponatraemia"))
    assert how.fired and how.finding.title == "Possible low blood sodium"
    assert {a.question for a in how.rests_on} == {"drank_lots_plain_water", "general_symptoms"}
    (step,) = how.steps
    assert step.rule == "finding:possible_hyponatraemia:0"
    assert step.declared == ("finding:possible_hyponatraemia",)
    assert "drank_lots_plain_water is yes" in step.note


def test_how_an_emergency_was_reached_goes_through_the_finding():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(HOSTILE))
    how = explain_how(kb, run, resolve_item(kb, "triage"))
    assert [f.id for f in how.findings] == ["possible_hyponatraemia"]
    assert [s.rule for s in how.steps] == [
        "finding:possible_hyponatraemia:0",
        "claim:safety-hyponatraemia",
        "level:emergency",
    ]
    assert how.steps[1].matched == ("finding:possible_hyponatraemia",)


def test_how_withheld_advice_gives_the_finding_and_its_reason():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(HOSTILE))
    how = explain_how(kb, run, resolve_item(kb, "hydrate_before_during"))
    assert not how.fired and how.withheld is not None
    (reason,) = how.withheld.reasons
    assert reason.finding == "possible_hyponatraemia"
    rules = [s.rule for s in how.steps]
    assert "withhold:possible_hyponatraemia:0" in rules
    withhold = next(s for s in how.steps if s.rule == "withhold:possible_hyponatraemia:0")
    # Only the Withhold fact for what this advice acts on is part of its chain.
    assert withhold.declared == ("withhold:possible_hyponatraemia:0:drinking",)


def test_why_not_a_finding_lists_each_clause_and_the_smallest_change_that_makes_it_hold():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(NIGHT))
    why = explain_why_not(kb, run, resolve_item(kb, "possible_hyponatraemia"))
    assert not why.fired
    (clause,) = why.candidates
    assert clause.rule == "finding:possible_hyponatraemia:0" and clause.claim is None
    assert {s.question: s.state for s in clause.conditions} == {
        "drank_lots_plain_water": "unanswered",
        "general_symptoms": "fails",
    }
    assert {c.question: c.after for c in why.change} == {
        "drank_lots_plain_water": "yes",
        "general_symptoms": "confusion",
    }
    assert why.change_fires == ("finding:possible_hyponatraemia",)


def test_why_not_a_claim_that_needs_a_finding_follows_the_finding_into_its_clauses():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(NIGHT))
    why = explain_why_not(kb, run, resolve_item(kb, "triage:emergency"))
    (candidate,) = [c for c in why.candidates if c.claim.id == "safety-hyponatraemia"]
    (state,) = candidate.conditions
    assert state.finding == "possible_hyponatraemia" and state.state == "fails"
    (clause,) = state.clauses
    assert clause.rule == "finding:possible_hyponatraemia:0" and not clause.fired
    assert {s.question for s in clause.conditions} == {"drank_lots_plain_water", "general_symptoms"}
    assert why.change is not None and _fires(
        kb,
        apply_changes(fixture_profile(NIGHT), explain_why_not_changes(kb, run, why.item)),
        why.item,
    )


def test_why_not_withheld_advice_names_the_finding_its_reason_and_the_clause_that_holds():
    kb = fixture_kb()
    run = Reasoner.for_kb(kb).run(fixture_profile(HOSTILE))
    why = explain_why_not(kb, run, resolve_item(kb, "hydrate_before_during"))
    (blocker,) = why.blockers
    assert blocker.finding == "possible_hyponatraemia" and blocker.tags == ("drinking",)
    assert blocker.because.startswith("Drinking more can make low blood sodium worse")
    assert [c.id for c in blocker.reason_claims] == ["safety-no-more-water"]
    assert [c.rule for c in blocker.clauses] == ["finding:possible_hyponatraemia:0"]
    # The smallest change stops the finding holding, and the engine confirms it.
    assert [(c.question, c.after) for c in why.change] == [("drank_lots_plain_water", "no")]


def test_dont_know_is_not_no_for_an_unless_test_and_the_change_honours_it():
    kb = REAL_KB
    profile = parse_profile({"leg_signs": ["warm_skin"], "one_leg_only": "unknown"}, kb)
    run = Reasoner.for_kb(kb).run(profile)
    assert "possible_clot" in run.findings
    how = explain_how(kb, run, resolve_item(kb, "possible_clot"))
    assert any("one_leg_only is not no" in a for s in how.steps for a in s.absent)
    # Answered "no", the clause fails; why-not shows it and the change puts it back.
    profile = parse_profile({"leg_signs": ["warm_skin"], "one_leg_only": "no"}, kb)
    run = Reasoner.for_kb(kb).run(profile)
    why = explain_why_not(kb, run, resolve_item(kb, "finding:possible_clot"))
    unless = next(
        s
        for c in why.candidates
        for s in c.conditions
        if s.question == "one_leg_only" and "not known" in s.test
    )
    assert unless.state == "fails"
    assert len(why.change) == 1  # one answer: one_leg_only, or a sign that the clot moved
    for change in ({"one_leg_only": True}, explain_why_not_changes(kb, run, why.item)):
        assert "possible_clot" in Reasoner.for_kb(kb).run(apply_changes(profile, change)).findings


def test_how_cautioned_advice_shows_the_caution_and_the_finding_behind_it():
    from explain.render import render_how

    kb = REAL_KB
    answers = {"cramp_timing": ["after_run"], "hot_weather": "yes", "medications": ["diuretic"]}
    run = Reasoner.for_kb(kb).run(parse_profile(answers, kb))
    how = explain_how(kb, run, resolve_item(kb, "replace_electrolytes"))
    assert how.fired and [c.finding for c in how.advice.cautions] == ["salt_needs_doctor"]
    assert [f.id for f in how.findings] == ["salt_needs_doctor"]
    assert "caution:salt_needs_doctor:0" in [s.rule for s in how.steps]
    text = render_how(how, command="cramp explain PROFILE")
    assert "Caution (Salt or electrolyte supplements need a doctor's" in text
    assert "Check with your doctor or pharmacist" in text
