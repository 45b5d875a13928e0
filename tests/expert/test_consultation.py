"""The consultation library: what it asks, when it stops, and that it concludes as diagnose."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from consultation_support import (
    benign_answer,
    can_still_change,
    expected_red_tier,
    plan,
    settled_red_tier,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import answers, profiles
from expert import diagnose
from expert.consultation import RED_FLAG_TIERS, Consultation, read_answer
from expert.relevance import UNKNOWN
from knowledge import KnowledgeBase, Profile
from knowledge.conditions import holds_all, parse_test
from knowledge.lint import warning_on_no
from knowledge.schema import Claim, Question

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def complete_profiles(kb: KnowledgeBase) -> st.SearchStrategy[Profile]:
    """Profiles answering every question in the vocabulary."""
    return st.fixed_dictionaries({q.id: answers(q) for q in kb.questions.values()}).map(Profile)


def conclusions(diagnosis: Any) -> dict[str, Any]:
    data = diagnosis.to_dict()
    keys = ("triage", "causes", "advice", "advised_against", "withheld", "conflicts")
    return {k: data[k] for k in keys}


def replay(kb: KnowledgeBase, profile: Profile) -> Consultation:
    """Answer every asked question from a complete profile, checking each as it is asked.

    Refining to the end: every question that can change any conclusion is asked.
    """
    consultation = Consultation(kb)
    consultation.refine()
    while (question := consultation.next_question()) is not None:
        answers = consultation.answers
        assert holds_all(kb.preconditions[question.id], kb.applicable(answers))
        assert can_still_change(kb, answers, consultation.unknowns, question.id)
        consultation.answer(question.id, profile.answers[question.id])
    return consultation


@given(data=st.data())
@SETTINGS
def test_asking_only_what_matters_reaches_the_conclusions_of_the_complete_profile(
    kb: KnowledgeBase, data: st.DataObject
) -> None:
    profile = data.draw(complete_profiles(kb))
    consultation = replay(kb, profile)
    full = diagnose(kb, profile)
    got = consultation.diagnosis()
    if consultation.is_red_flag:
        assert got.triage.tier == full.triage.tier
        assert got.triage.is_referral
    else:
        assert conclusions(got) == conclusions(full)


@given(data=st.data())
@SETTINGS
def test_pre_filled_answers_even_ones_that_do_not_apply_yet_reach_the_same_conclusions(
    kb: KnowledgeBase, data: st.DataObject
) -> None:
    profile = data.draw(complete_profiles(kb))
    picked = data.draw(st.sets(st.sampled_from(sorted(kb.questions))), label="pre-filled")
    prefill = Profile({q: v for q, v in profile.answers.items() if q in picked})
    consultation = Consultation(kb, prefill)
    consultation.refine()
    while (question := consultation.next_question()) is not None:
        assert question.id not in prefill.answers
        consultation.answer(question.id, profile.answers[question.id])
    full = diagnose(kb, profile)
    got = consultation.diagnosis()
    if consultation.is_red_flag:
        assert got.triage.tier == full.triage.tier
    else:
        assert conclusions(got) == conclusions(full)


@given(data=st.data())
@SETTINGS
def test_the_consultation_knows_which_claims_fired_exactly_as_the_engine_does(
    kb: KnowledgeBase, data: st.DataObject
) -> None:
    profile = data.draw(complete_profiles(kb))
    picked = data.draw(st.sets(st.sampled_from(sorted(kb.questions))))
    unknown = data.draw(st.sets(st.sampled_from(sorted(kb.questions))))
    answers = {q: v for q, v in profile.answers.items() if q in picked and q not in unknown}
    consultation = Consultation(kb, Profile(answers, frozenset(unknown)))
    fired = {r.removeprefix("claim:") for r in consultation.fired_rules if r.startswith("claim:")}
    assert fired == set(consultation.diagnosis().fired_claims)
    red = settled_red_tier(kb, answers, frozenset(unknown))
    assert consultation.is_red_flag == (red is not None)
    if red is not None:
        assert consultation.diagnosis().triage.tier == expected_red_tier(kb, answers)


def test_a_question_is_never_asked_when_its_ask_if_does_not_hold(kb: KnowledgeBase) -> None:
    gated = [q for q, pre in kb.preconditions.items() if pre]
    assert gated, "the vocabulary has questions with ask_if"
    for qid in gated:
        consultation = Consultation(kb)
        # Answer every precondition so that it fails, then walk to the end.
        for c in kb.preconditions[qid]:
            question = kb.questions[c.question]
            failing = [v for v in _single_answers(question) if not c.holds(v)]
            if failing:
                consultation.answer(c.question, failing[0])
        asked = []
        while (question := consultation.next_question()) is not None:
            asked.append(question.id)
            consultation.answer(question.id, benign_answer(consultation, question))
        if not holds_all(kb.preconditions[qid], kb.applicable(consultation.answers)):
            assert qid not in asked


def _some_test(question: Question) -> Any:
    """A condition test, as an author writes it, that some answer of ``question`` meets."""
    if question.type == "number":
        return {"min": question.min}
    return question.values[0]


def _single_answers(question: Question) -> list[Any]:
    if question.type == "multi":
        return [(), *((v,) for v in question.values)]
    if question.type == "number":
        return [question.min, question.max]
    return list(question.values)


def test_refining_stops_when_nothing_left_can_change_the_result(kb: KnowledgeBase) -> None:
    _, consultation = plan(kb, refine=True)
    assert consultation.is_finished
    assert consultation.next_question() is None
    assert consultation.remaining() == 0
    assert not consultation.live_rules
    for qid in kb.questions:
        if qid not in consultation.history:
            assert not can_still_change(
                kb, consultation.answers, consultation.unknowns, qid
            ) or not holds_all(kb.preconditions[qid], kb.applicable(consultation.answers))


def test_it_asks_fewer_questions_than_the_vocabulary_holds(kb: KnowledgeBase) -> None:
    lines, _ = plan(kb)
    assert 0 < len(lines) < len(kb.questions)


def test_red_flag_questions_come_before_any_other(kb: KnowledgeBase) -> None:
    red_questions = {
        q
        for cid, claim in kb.claims.items()
        if claim.triage in RED_FLAG_TIERS
        for q in kb.questions_under(kb.conditions[cid])
    }
    consultation = Consultation(kb)
    first = consultation.next_question()
    assert first is not None and first.id in red_questions


def test_the_yes_no_warning_signs_come_on_one_screen(kb: KnowledgeBase) -> None:
    # Every yes/no question that looks for a warning sign from the start, and may be
    # ticked (its "no" raises no sign "don't know" would not), is on the first checklist
    # of warning signs: one screen, not one per group.
    consultation = Consultation(kb)
    hazards = warning_on_no(kb)
    opening = {
        q
        for q in consultation.warning_questions()
        if kb.questions[q].type == "yesno" and q not in hazards
    }
    assert len(opening) > 1
    screens = []
    while consultation.warning_questions():
        step = consultation.next_step()
        screens.append({q.id for q in step})
        consultation.answer_step({q.id: benign_answer(consultation, q) for q in step})
    with_signs = [s for s in screens if s & opening]
    assert len(with_signs) == 1 and opening <= with_signs[0], with_signs


def test_a_tier_two_signs_hold_until_answered_is_final_only_once_both_are(
    kb: KnowledgeBase,
) -> None:
    # Confusion and vomiting: low blood sodium after a long run, heatstroke after a run
    # in the heat. Each holds until its own question is answered no ("don't know" is not
    # no), so no single answer lowers the tier, but the two together do.
    consultation = Consultation(kb)
    consultation.answer("general_symptoms", ["confusion", "nausea_or_vomiting"])
    consultation.answer("drank_lots_plain_water", False)
    assert consultation.triage_tier == "emergency" and not consultation.is_red_flag
    [move] = consultation.outlook.released
    assert dict(move.answers) == {"long_run": False, "hot_weather": False}
    assert move.headline.tier != "emergency"
    assert {"long_run", "hot_weather"} <= set(consultation.could_change())


@given(data=st.data())
@settings(SETTINGS, max_examples=25)
def test_a_stopped_consultation_shows_the_tier_of_the_complete_answers(
    kb: KnowledgeBase, data: st.DataObject
) -> None:
    profile = data.draw(profiles(kb, partial=False, red_flags=False))
    consultation = Consultation(kb)
    while step := consultation.next_step():
        consultation.answer_step({q.id: profile.answers.get(q.id, UNKNOWN) for q in step})
    assert consultation.triage_tier == diagnose(kb, profile).triage.tier


def test_answering_calf_cannot_contract_makes_the_referral_urgent(kb: KnowledgeBase) -> None:
    consultation = Consultation(kb)
    consultation.answer("calf_can_contract", "no")
    assert consultation.is_red_flag
    assert consultation.triage_tier == "urgent"
    diagnosis = consultation.diagnosis()
    assert diagnosis.triage.tier == "urgent"
    assert "safety-calf-cannot-contract" in [c.id for c in diagnosis.triage.claims]


def test_after_a_red_flag_only_questions_that_could_make_it_more_urgent_are_asked(
    kb: KnowledgeBase,
) -> None:
    consultation = Consultation(kb)
    consultation.answer("calf_can_contract", False)
    # A calf that cannot contract: a possible grade III tear, urgent. What may still be
    # asked could make it an emergency, or tells more about the tear it points to.
    tear = {"possible_strain_or_tear", "tear_grade_1", "tear_grade_2", "tear_grade_3"}
    tear |= {"lingering_or_worsening_pain"}
    asked = []
    while (question := consultation.next_question()) is not None:
        why = consultation.why(question.id)
        tiers = {kb.claims[r.claim].triage for r in why.reasons if r.claim}
        findings = {r.rule.split(":")[1] for r in why.reasons if r.rule.startswith("finding:")}
        assert tiers <= {"emergency"} and findings <= tear
        assert tiers or findings
        asked.append(question.id)
        consultation.answer(question.id, benign_answer(consultation, question))
    assert consultation.triage_tier == "urgent"
    # After a sudden sharp pain: could you carry on? (the grade of the tear)
    assert "sudden_sharp_pain" in asked


def test_an_unknown_answer_never_fires_a_claim_that_needs_it(kb: KnowledgeBase) -> None:
    consultation = Consultation(kb)
    consultation.unknown("cramp_timing")
    while (question := consultation.next_question()) is not None:
        assert question.id != "cramp_timing"
        consultation.answer(question.id, benign_answer(consultation, question))
    diagnosis = consultation.diagnosis()
    needing = {
        cid
        for cid in kb.claims
        if any(getattr(c, "question", None) == "cramp_timing" for c in kb.conditions[cid])
    }
    assert needing and not needing & set(diagnosis.fired_claims)
    assert "cramp_timing" in diagnosis.unknown


def test_back_takes_back_the_last_answer_and_asks_that_question_again(kb: KnowledgeBase) -> None:
    consultation = Consultation(kb)
    first = consultation.next_question()
    assert first is not None
    consultation.answer(first.id, benign_answer(consultation, first))
    second = consultation.next_question()
    assert second is not None
    consultation.answer(second.id, benign_answer(consultation, second))
    assert consultation.back() == second.id
    assert second.id not in consultation.answers
    assert consultation.next_question() == second
    assert consultation.back() == first.id
    assert consultation.back() is None
    assert consultation.history == ()


def test_back_after_a_red_flag_lifts_the_referral(kb: KnowledgeBase) -> None:
    consultation = Consultation(kb)
    consultation.answer("calf_can_contract", False)
    assert consultation.diagnosis().triage.tier == "urgent"
    consultation.back()
    assert not consultation.is_red_flag
    assert consultation.diagnosis().triage.tier == "self_care"


def test_answering_again_moves_the_question_to_the_end_of_the_history(
    kb: KnowledgeBase,
) -> None:
    consultation = Consultation(kb)
    consultation.answer("calf_can_contract", True)
    consultation.unknown("leg_signs")
    consultation.answer("calf_can_contract", False)
    assert consultation.history == ("leg_signs", "calf_can_contract")
    assert consultation.unknowns == {"leg_signs"}
    consultation.answer("leg_signs", ["swelling"])
    assert consultation.unknowns == frozenset()
    assert consultation.answers["leg_signs"] == ("swelling",)


def test_prefilled_answers_come_first_in_the_history_and_are_not_asked(
    kb: KnowledgeBase,
) -> None:
    profile = Profile({"cramp_timing": ("night",), "calf_can_contract": True})
    consultation = Consultation(kb, profile)
    assert set(consultation.history) == {"cramp_timing", "calf_can_contract"}
    while (question := consultation.next_question()) is not None:
        assert question.id not in profile.answers
        consultation.answer(question.id, benign_answer(consultation, question))


def test_an_order_naming_an_unanswered_question_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="no answer"):
        Consultation(kb, Profile({"calf_can_contract": True}), ["leg_signs"])


def test_answers_are_validated_like_a_profile(kb: KnowledgeBase) -> None:
    consultation = Consultation(kb)
    with pytest.raises(ValueError, match="unknown question"):
        consultation.answer("no_such_question", True)
    with pytest.raises(ValueError):
        consultation.answer("cramp_frequency", "daily")
    assert consultation.history == ()


def test_why_names_each_live_rule_its_source_and_the_effect_of_every_answer(
    kb: KnowledgeBase,
) -> None:
    consultation = Consultation(kb)
    question = consultation.next_question()
    assert question is not None
    why = consultation.why()
    assert why.question == question.id and why.matters
    for reason in why.reasons:
        if reason.claim:
            assert reason.source_title == kb.source_of(reason.claim).title
            assert reason.says == kb.claims[reason.claim].says
        assert reason.needs
    named = {r.rule for r in why.reasons}
    for outcome in why.outcomes:
        assert set(outcome.fires) | set(outcome.rules_out) | set(outcome.keeps_open) == named
    assert len(why.outcomes) >= 2


def test_why_for_the_calf_question_says_no_fires_the_urgent_rule(kb: KnowledgeBase) -> None:
    why = Consultation(kb).why("calf_can_contract")
    by_answer = {o.answer: o for o in why.outcomes}
    assert "claim:safety-calf-cannot-contract" in by_answer["no"].fires
    assert "claim:safety-calf-cannot-contract" in by_answer["yes"].rules_out
    reason = next(r for r in why.reasons if r.claim == "safety-calf-cannot-contract")
    assert "Safety net" in (reason.source_title or "")


def test_why_explains_a_question_asked_only_to_open_another(kb: KnowledgeBase) -> None:
    gated = next((q for q, pre in kb.preconditions.items() if pre), None)
    assert gated is not None, "the vocabulary has questions with ask_if"
    gate = kb.preconditions[gated][0].question
    variant = with_claims(kb, {"test-gated-only": {gated: _some_test(kb.questions[gated])}})
    consultation = Consultation(variant)
    why = consultation.why(gate)
    assert any(r.via == gated and r.claim == "test-gated-only" for r in why.reasons)
    # An answer to the gate that closes the gated question rules the claim out.
    closing = [o for o in why.outcomes if "claim:test-gated-only" in o.rules_out]
    assert closing


def test_why_for_a_question_that_no_longer_matters_says_so(kb: KnowledgeBase) -> None:
    consultation = Consultation(kb)
    consultation.answer("calf_can_contract", True)
    assert not consultation.why("calf_can_contract").matters


@pytest.mark.parametrize(
    ("text", "expected"),
    [("y", True), ("No", False), ("YES", True), ("  n  ", False)],
)
def test_yes_no_accepts_y_n_yes_and_no(kb: KnowledgeBase, text: str, expected: bool) -> None:
    assert read_answer(kb.questions["calf_can_contract"], text) is expected


def test_choices_are_read_by_number_value_or_label(kb: KnowledgeBase) -> None:
    question = kb.questions["cramp_frequency"]
    assert read_answer(question, "3") == question.choices[2].value
    assert read_answer(question, question.choices[0].value) == question.choices[0].value
    assert read_answer(question, question.choices[1].label.upper()) == question.choices[1].value


def test_several_choices_are_read_from_numbers_and_none(kb: KnowledgeBase) -> None:
    question = kb.questions["leg_signs"]
    assert read_answer(question, "1,3") == tuple(
        sorted((question.choices[0].value, question.choices[2].value))
    )
    assert read_answer(question, "3 1, 3") == read_answer(question, "1,3")
    assert read_answer(question, "none") == ()


@pytest.mark.parametrize("text", ["", "maybe", "0", "99", "1,99", "1.5"])
def test_invalid_typed_answers_say_what_is_allowed(kb: KnowledgeBase, text: str) -> None:
    for qid in ("calf_can_contract", "cramp_frequency", "leg_signs"):
        question = kb.questions[qid]
        if question.type == "multi" and text == "0":
            continue  # 0 means none for a multi-choice question
        with pytest.raises(ValueError, match="answer with"):
            read_answer(question, text)


# --- number questions: none in the bundled vocabulary yet, so one is added here ----------


def with_claims(
    kb: KnowledgeBase,
    tests: dict[str, dict[str, Any]],
    questions: tuple[Question, ...] = (),
) -> KnowledgeBase:
    """An in-memory variant of ``kb`` with extra questions and cause claims (from steve)."""
    all_questions = {**kb.questions, **{q.id: q for q in questions}}
    claims, conditions, sources = dict(kb.claims), dict(kb.conditions), dict(kb.claim_source)
    for cid, when in tests.items():
        claims[cid] = Claim(
            id=cid,
            kind="cause",
            theory="muscle_fatigue",
            says=f"Test claim {cid}.",
            quote="a quote long enough",
            evidence="opinion",
        )
        conditions[cid] = tuple(parse_test(all_questions[q], t) for q, t in when.items())
        sources[cid] = "steve"
    return dataclasses.replace(
        kb,
        questions=all_questions,
        claims=claims,
        conditions=conditions,
        claim_source=sources,
        preconditions={**kb.preconditions, **{q.id: () for q in questions}},
        content_hash=f"variant-{'-'.join(tests)}",
        _cache={},
    )


@pytest.fixture(scope="module")
def kb_with_number(kb: KnowledgeBase) -> KnowledgeBase:
    """The bundled knowledge base plus a number question that two claims test."""
    question = Question(
        id="weekly_km",
        section="Training",
        prompt="How far do you run in a week?",
        help="Distance per week.",
        type="number",
        unit="km",
        min=0,
        max=200,
    )
    return with_claims(
        kb,
        {
            "test-high-mileage": {"weekly_km": {"min": 60}},
            "test-low-mileage": {"weekly_km": {"max": 20}},
        },
        (question,),
    )


def test_a_number_question_shows_each_range_that_changes_something(
    kb_with_number: KnowledgeBase,
) -> None:
    why = Consultation(kb_with_number).why("weekly_km")
    labels = [o.answer for o in why.outcomes]
    assert labels == ["0 to 20 km", "over 20 to under 60 km", "60 to 200 km"]
    assert why.outcomes[0].fires == ("claim:test-low-mileage",)
    assert why.outcomes[1].fires == ()
    assert why.outcomes[2].fires == ("claim:test-high-mileage",)


def test_a_number_is_read_with_or_without_its_unit_and_checked_against_its_range(
    kb_with_number: KnowledgeBase,
) -> None:
    question = kb_with_number.questions["weekly_km"]
    assert read_answer(question, "42") == 42.0
    assert read_answer(question, "42.5 km") == 42.5
    for bad in ("-1", "201", "far", "nan"):
        with pytest.raises(ValueError, match="from 0 to 200"):
            read_answer(question, bad)


@given(km=st.floats(0, 200, allow_nan=False))
@settings(max_examples=30, deadline=None)
def test_a_number_answer_reaches_the_same_conclusions_as_diagnose(
    kb_with_number: KnowledgeBase, km: float
) -> None:
    kb = kb_with_number
    profile = Profile({"weekly_km": km, "calf_can_contract": True, "leg_signs": ()})
    consultation = Consultation(kb, Profile({"calf_can_contract": True, "leg_signs": ()}))
    while (question := consultation.next_question()) is not None:
        value = profile.answers.get(question.id)
        consultation.answer(
            question.id, value if value is not None else benign_answer(consultation, question)
        )
    asked = Profile(dict(consultation.answers))
    assert "weekly_km" in consultation.answers
    assert conclusions(consultation.diagnosis()) == conclusions(diagnose(kb, asked))
    fired = set(consultation.diagnosis().fired_claims)
    assert ("test-high-mileage" in fired) == (km >= 60)
    assert ("test-low-mileage" in fired) == (km <= 20)
