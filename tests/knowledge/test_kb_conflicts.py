"""Disagreements are shown, never merged: a runner both sides apply to sees both."""

from __future__ import annotations

import json
from itertools import product

import pytest
from click.testing import CliRunner

from cramp.cli import cli
from expert import diagnose
from knowledge import KnowledgeBase, Profile, parse_profile
from knowledge.bundled import example_names, example_path
from knowledge.satisfy import satisfying_answers

HEAT_OR_ICE = {
    "cramp_timing": ["during_run"],
    "muscles": ["calf"],
    "eases_with_stretch": "yes",
    "long_run": "yes",
}
#: Conflicts the articles plainly contain, and the two sources on either side.
BRIEF_CONFLICTS = {
    "heat-or-ice-first": {"steve", "spryng"},
    "rest-or-resume": {"rodmell", "david-d"},
}


def run_cli(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout


def answers_for_both_sides(kb: KnowledgeBase, conflict_id: str) -> dict | None:
    """Answers under which one backing claim of each side fires, if any exist."""
    a, b = kb.conflicts[conflict_id].between
    for left, right in product(kb.claims_by_advice[a], kb.claims_by_advice[b]):
        if "disputes" in (left.stance, right.stance):
            continue
        found = satisfying_answers(kb, (*kb.conditions[left.id], *kb.conditions[right.id]))
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("conflict_id", sorted(BRIEF_CONFLICTS))
def test_the_brief_conflicts_are_encoded_between_the_right_sources(
    kb: KnowledgeBase, conflict_id: str
) -> None:
    a, b = kb.conflicts[conflict_id].between
    sources = {kb.source_of(c.id).id for c in (*kb.claims_by_advice[a], *kb.claims_by_advice[b])}
    assert sources == BRIEF_CONFLICTS[conflict_id]


def test_every_advice_conflict_is_shown_to_some_runner_both_sides_apply_to(
    kb: KnowledgeBase,
) -> None:
    for conflict_id in kb.conflicts:
        answers = answers_for_both_sides(kb, conflict_id)
        assert answers is not None, f"no runner can meet both sides of {conflict_id}"
        shown = {c.id for c in diagnose(kb, Profile(answers)).conflicts}
        assert f"advice:{conflict_id}" in shown, (conflict_id, answers)


def test_diagnose_text_shows_both_sides_of_heat_first_and_ice_first() -> None:
    code, out = run_cli("diagnose", "-", stdin=json.dumps(HEAT_OR_ICE))
    assert code == 0
    disagree = out.split("WHERE THE SOURCES DISAGREE", 1)[1].split("WHAT TO DO", 1)[0]
    assert "Heat on the cramped muscle / Ice at the onset of the cramp" in disagree
    assert "[steve]" in disagree
    assert "[spryng]" in disagree


def test_diagnose_json_lists_the_conflict_with_each_side_and_its_sources() -> None:
    code, out = run_cli("diagnose", "-", "--format", "json", stdin=json.dumps(HEAT_OR_ICE))
    assert code == 0
    conflicts = {c["id"]: c for c in json.loads(out)["conflicts"]}
    sides = conflicts["advice:heat-or-ice-first"]["sides"]
    assert [s["item"] for s in sides] == ["heat_on_cramp", "ice_at_onset"]
    assert {c["source"] for c in sides[0]["claims"]} == {"steve"}
    assert {c["source"] for c in sides[1]["claims"]} == {"spryng"}


def test_a_runner_with_night_and_mid_run_cramps_sees_days_off_and_resume_gently(
    kb: KnowledgeBase,
) -> None:
    profile = parse_profile(
        {"cramp_timing": ["night", "during_run"], "eases_with_stretch": "yes"}, kb
    )
    result = diagnose(kb, profile)
    [conflict] = [c for c in result.conflicts if c.id == "advice:rest-or-resume"]
    assert [s.item for s in conflict.sides] == ["rest_few_days", "resume_gently"]
    shown = {a.id for a in result.advice}
    assert {"rest_few_days", "resume_gently"} <= shown


def test_sources_disputing_a_theory_are_shown_beside_those_supporting_it(
    kb: KnowledgeBase,
) -> None:
    result = diagnose(kb, parse_profile({"cramp_timing": ["night"]}, kb))
    electrolytes = next(c for c in result.causes if c.id == "electrolyte_imbalance")
    assert electrolytes.status == "contested"
    assert {c.source for c in electrolytes.disputing} == {"rodmell"}
    assert "theory:electrolyte_imbalance" in {c.id for c in result.conflicts}


def test_the_over_hydrated_runner_gets_an_emergency_and_no_advice_to_drink(
    kb: KnowledgeBase,
) -> None:
    drinking = {
        t for f in ("hyponatraemia_signs",) for g in kb.findings[f].withholds for t in g.tags
    }
    withheld = {a.id for a in kb.advice.values() if drinking & set(a.acts_on)}
    code, out = run_cli(
        "diagnose", str(example_path("over-hydration-emergency")), "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["triage"]["tier"] == "emergency"
    assert data["triage"]["claims"][0]["source"] == "safety-net"
    assert not withheld & {a["id"] for a in data["advice"]}
    assert {w["id"] for w in data["withheld"]} <= withheld
    assert "drink_plenty_water" in {w["id"] for w in data["withheld"]}


@pytest.mark.parametrize("name", example_names())
def test_every_bundled_example_is_a_valid_profile_that_diagnoses(
    kb: KnowledgeBase, name: str
) -> None:
    code, _ = run_cli("diagnose", str(example_path(name)))
    assert code == 0


def test_the_conflicting_advice_example_shows_several_conflicts() -> None:
    code, out = run_cli("diagnose", str(example_path("conflicting-advice")), "--format", "json")
    assert code == 0
    shown = {c["id"] for c in json.loads(out)["conflicts"]}
    assert {"advice:heat-or-ice-first", "advice:rest-or-resume"} <= shown


# --- the disagreements the articles contain, both sides visible with their sources ------

#: Conflict → the authors that must be named on either side (golden: the real articles).
GOLDEN = {
    "advice:own-muscles-or-stretch-night-cramp": ({"rodmell"}, {"steve"}),
    "theories:night-cramps-fatigue-or-foot-position": ({"rodmell"}, {"steve"}),
    "theory:electrolyte_imbalance": ({"steve"}, {"rodmell"}),
    "theory:dehydration": ({"steve"}, {"rodmell"}),
}


def test_a_night_cramp_runner_sees_every_night_disagreement_with_both_sides(
    kb: KnowledgeBase,
) -> None:
    profile = parse_profile({"cramp_timing": ["night"], "bedding": True}, kb)
    shown = {c.id: c for c in diagnose(kb, profile).conflicts}
    for conflict_id, (left, right) in GOLDEN.items():
        assert conflict_id in shown, conflict_id
        sides = shown[conflict_id].sides
        assert len(sides) == 2
        assert left <= {c.source for c in sides[0].claims}, conflict_id
        assert right <= {c.source for c in sides[1].claims}, conflict_id
        # Each side cites its claims with their words, quoted from the article.
        assert all(c.quote for side in sides for c in side.claims)


def test_a_dispute_made_for_night_cramps_is_shown_to_a_runner_whose_cramps_come_on_runs(
    kb: KnowledgeBase,
) -> None:
    profile = parse_profile(
        {"cramp_timing": ["during_run"], "heavy_sweating": True, "long_run": True}, kb
    )
    result = diagnose(kb, profile)
    electrolytes = next(c for c in result.causes if c.id == "electrolyte_imbalance")
    assert electrolytes.status == "contested"
    beyond = {c.id: c for c in electrolytes.beyond_scope}
    assert "rodmell-salt-body-wide" in beyond
    assert beyond["rodmell-salt-body-wide"].scope == "night cramps"
    assert beyond["rodmell-salt-body-wide"].weight is None  # shown, not counted
    assert "rodmell-salt-body-wide" not in {c.id for c in electrolytes.disputing}
    conflict = next(c for c in result.conflicts if c.id == "theory:electrolyte_imbalance")
    assert "rodmell" in {c.source for c in conflict.sides[1].claims}
    text = run_cli(
        "diagnose", "-", stdin="cramp_timing: [during_run]\nheavy_sweating: yes\nlong_run: yes\n"
    )[1]
    assert "not counted: argued for night cramps" in text


def test_david_d_s_ballistic_stretches_stand_against_static_stretching(kb: KnowledgeBase) -> None:
    a, b = kb.conflicts["ballistic-or-static-stretching"].between
    assert {kb.source_of(c.id).id for c in kb.claims_by_advice[a]} == {"david-d"}
    assert "spryng" in {kb.source_of(c.id).id for c in kb.claims_by_advice[b]}
    answers = answers_for_both_sides(kb, "ballistic-or-static-stretching")
    assert answers is not None
    shown = diagnose(kb, Profile(answers)).conflicts
    assert "advice:ballistic-or-static-stretching" in {c.id for c in shown}
