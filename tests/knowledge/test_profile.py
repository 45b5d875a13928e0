"""Profiles: answers are checked against the vocabulary, every bad field named."""

from __future__ import annotations

import pytest

from knowledge import ProblemsError, load_profile_text, parse_profile


def test_answers_are_normalised(kb):
    profile = parse_profile(
        {
            "cramp_timing": ["night", "night", "after_run"],
            "hard_session_recent": "Yes",
            "recovery": "little",
            "name": "Sam",
        },
        kb,
    )
    assert profile.answers == {
        "cramp_timing": ("after_run", "night"),
        "hard_session_recent": True,
        "recovery": "little",
    }
    assert profile.name == "Sam"


def test_unknown_and_question_mark_mean_dont_know(kb):
    profile = parse_profile({"recovery": "unknown", "sleep_quality": "?"}, kb)
    assert profile.answers == {}
    assert profile.unknown == {"recovery", "sleep_quality"}


def test_none_is_an_empty_answer_to_a_multi_choice_question(kb):
    assert parse_profile({"leg_signs": "none"}, kb).answers == {"leg_signs": ()}
    assert parse_profile({"leg_signs": []}, kb).answers == {"leg_signs": ()}


def test_a_profile_round_trips_through_its_data_form(kb):
    data = {
        "cramp_timing": ["night"],
        "recovery": "little",
        "bedding": "yes",
        "sleep_quality": "unknown",
        "notes": "x",
    }
    profile = parse_profile(data, kb)
    assert parse_profile(profile.to_data(), kb) == profile


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cramp_timeing: [night]\n",
            "p.yaml:1:1: unknown question 'cramp_timeing' (did you mean 'cramp_timing'?); "
            "see `cramp kb questions` for the vocabulary",
        ),
        ("recovery: lots\n", "p.yaml:1:11: recovery: 'lots' is not one of: enough, some, little"),
        (
            "recovery: [some]\n",
            "p.yaml:1:11: recovery: expected a single answer, one of: enough, some, little",
        ),
        (
            "hard_session_recent: maybe\n",
            "p.yaml:1:22: hard_session_recent: 'maybe' is not yes or no",
        ),
        (
            "cramp_timing: [nite]\n",
            "p.yaml:1:15: cramp_timing: 'nite' is not one of: "
            "during_run, after_run, night, at_rest (did you mean 'night'?)",
        ),
        ("name: [1, 2]\n", "p.yaml:1:7: name: must be text"),
        ("- a\n- b\n", "p.yaml:1:1: a profile must be a mapping of question id to answer"),
        ("# only a comment\n", "p.yaml:1:1: profile is empty; expected question: answer pairs"),
        ("", "p.yaml:1:1: file is empty; expected question: answer pairs"),
    ],
    ids=[
        "unknown-key",
        "value",
        "list-for-single",
        "yesno",
        "multi-value",
        "name",
        "list",
        "comment-only",
        "empty",
    ],
)
def test_each_bad_answer_is_one_positioned_line(kb, text, expected):
    with pytest.raises(ProblemsError) as info:
        load_profile_text(text, kb, "p.yaml")
    assert [str(p) for p in info.value.problems] == [expected]


def test_every_bad_field_is_reported_not_only_the_first(kb):
    with pytest.raises(ProblemsError) as info:
        load_profile_text("recovery: lots\nsleep_quality: meh\nfoo: 1\n", kb, "p.yaml")
    assert [p.line for p in info.value.problems] == [1, 2, 3]


def test_non_utf8_bytes_are_a_clear_problem(kb):
    with pytest.raises(ProblemsError, match="not UTF-8 text"):
        load_profile_text(b"recovery: \xff\xfe\n", kb, "p.yaml")
