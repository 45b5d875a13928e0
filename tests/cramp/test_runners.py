"""The public strategies in cramp.authoring.runners: valid runners, shaped as asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from cramp.authoring.runners import answers, profiles, red_flag_claims, reorderings
from expert.engine import Reasoner
from knowledge import KnowledgeBase, Profile, load_knowledge_base, parse_profile
from knowledge.conditions import holds_all

KB = load_knowledge_base()
FLAGS = red_flag_claims(KB)


def raised_red_flags(profile: Profile) -> list[str]:
    kept = KB.applicable(profile.answers)
    findings = KB.holding_findings(kept)
    return [f for f in FLAGS if holds_all(KB.conditions[f], kept, findings)]


@given(profiles(KB, names=True))
def test_every_generated_profile_round_trips_through_profile_format(profile: Profile) -> None:
    assert parse_profile(profile.to_data(), KB) == profile


@given(profiles(KB, partial=False))
def test_complete_profiles_answer_every_question(profile: Profile) -> None:
    assert set(profile.answers) == set(KB.questions)
    assert not profile.unknown


@given(st.data())
def test_each_answer_is_one_the_question_allows(data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(list(KB.questions.values())))
    value = data.draw(answers(question))
    written = Profile({question.id: value}).to_data()
    assert parse_profile(written, KB).answers == {question.id: value}


@settings(max_examples=30)
@given(st.data())
def test_a_profile_satisfying_a_claim_makes_the_engine_fire_it(data: st.DataObject) -> None:
    claim = data.draw(st.sampled_from(sorted(KB.claims)))
    profile = data.draw(profiles(KB, satisfying=claim))
    assert claim in Reasoner.for_kb(KB).run(profile).fired_claims


@given(profiles(KB, red_flags=True))
def test_red_flags_true_gives_runners_with_a_warning_sign(profile: Profile) -> None:
    assert raised_red_flags(profile)


@given(profiles(KB, red_flags=False, partial=False))
def test_red_flags_false_gives_runners_without_one_even_when_complete(profile: Profile) -> None:
    assert raised_red_flags(profile) == []


@given(profiles(KB, satisfying="rodmell-fatigue-cause", red_flags=False))
def test_satisfying_and_no_red_flags_combine(profile: Profile) -> None:
    assert holds_all(KB.conditions["rodmell-fatigue-cause"], KB.applicable(profile.answers))
    assert raised_red_flags(profile) == []


@given(st.data())
def test_a_reordering_keeps_every_answer_and_only_changes_their_order(data) -> None:
    profile = data.draw(profiles(KB))
    other = data.draw(reorderings(profile))
    assert dict(other.answers) == dict(profile.answers)
    assert other.unknown == profile.unknown


def test_bedding_is_only_answered_for_night_cramps_in_profiles_satisfying_a_bedding_claim() -> None:
    @given(profiles(KB, satisfying="steve-bedding-points-foot"))
    def check(profile: Profile) -> None:
        assert "night" in profile.answers["cramp_timing"]
        assert profile.answers["bedding"] is True

    check()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"satisfying": "rodmell-fatigue-cuase"}, "did you mean 'rodmell-fatigue-cause'?"),
        ({"satisfying": "safety-hyponatraemia", "red_flags": False}, "is a red flag"),
        ({"red_flags": "yes"}, "must be True, False or None"),
        ({"partial": None}, "partial=None must be True or False"),
    ],
)
def test_invalid_options_are_reported_when_drawn_not_when_built(options, message) -> None:
    strategy = profiles(KB, **options)  # building never raises

    @given(strategy)
    def draw(_profile: Profile) -> None:
        raise AssertionError("never drawn")

    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(").replace("?", r"\?")):
        draw()


def test_a_claim_no_runner_can_satisfy_is_invalid_when_drawn(tmp_path) -> None:
    import shutil

    root = tmp_path / "kb"
    shutil.copytree(Path(__file__).parent.parent / "fixtures" / "kb-minimal", root)
    alpha = root / "sources/alpha.yaml"
    alpha.write_text(
        alpha.read_text().replace(
            "when: {bedding: yes}", "when: {bedding: yes, cramp_timing: {not: night}}"
        )
    )
    base: KnowledgeBase = load_knowledge_base(root)

    @given(profiles(base, satisfying="alpha-bedding"))
    def draw(_profile: Profile) -> None:
        raise AssertionError("never drawn")

    with pytest.raises(InvalidArgument, match="no runner's answers can satisfy it"):
        draw()


def test_red_flag_claims_are_the_claims_of_kind_red_flag() -> None:
    assert set(FLAGS) == {c.id for c in KB.claims.values() if c.kind == "red_flag"}
    assert "safety-hyponatraemia" in FLAGS


def test_the_module_docstring_example_runs_and_its_tests_pass() -> None:
    import textwrap

    import cramp.authoring.runners

    doc = cramp.authoring.runners.__doc__ or ""
    block = doc.split("Example::", 1)[1].split("\n\n", 1)[1]
    code = textwrap.dedent(block.split("\nShrinking goes", 1)[0])
    namespace: dict = {}
    exec(compile(code, "cramp/authoring/runners.py docstring", "exec"), namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        settings(max_examples=15)(test)()
