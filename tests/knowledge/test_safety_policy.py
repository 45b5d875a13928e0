"""The safety policy, and mutations of the knowledge base that would weaken safety.

The policy (knowledge/data/safety-policy.yaml) says, for each warning-sign finding, the
least tier and the advice tags that must never be active. It is pinned here: weakening
it (a lower tier, a tag taken away, an entry deleted) fails this test until the test is
changed too, in the same reviewed change.

The mutation tests take the real knowledge base, make one weakening edit in a copy (a
withholding deleted, a red flag's tier lowered) and check that ``cramp kb test``'s
invariants fail on it, naming the smallest runner it would harm.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cramp.authoring.invariants import Context, Violation, policy_search
from cramp.cli import cli
from knowledge import default_directory, load_knowledge_base
from knowledge.lint import lint_knowledge_base
from knowledge.schema import TIERS

KB = load_knowledge_base()

#: The policy as reviewed: finding → (least tier, tags that must never be active).
PINNED: dict[str, tuple[str | None, set[str]]] = {
    "possible_strain_or_tear": (None, {"heat", "alcohol", "running", "massage", "stretch"}),
    "tear_grade_2": ("see_doctor", {"heat", "alcohol", "running", "massage", "stretch"}),
    "tear_grade_3": ("urgent", {"heat", "alcohol", "running", "massage", "stretch"}),
    "lingering_or_worsening_pain": (
        "see_doctor",
        {"heat", "alcohol", "running", "massage", "stretch"},
    ),
    "possible_clot": ("urgent", {"massage", "heat", "stretch", "foam_rolling", "compression"}),
    "clot_with_breathlessness": (
        "emergency",
        {"massage", "heat", "stretch", "foam_rolling", "compression"},
    ),
    "possible_rhabdomyolysis": (
        "urgent",
        {"running", "massage", "electrolytes", "supplements", "potassium"},
    ),
    "hyponatraemia_signs": (None, {"drinking", "more_water"}),
    "possible_hyponatraemia": ("emergency", {"drinking", "more_water"}),
    "possible_heat_illness": ("emergency", set()),
    "drinks_lots_of_plain_water": (None, {"more_water"}),
    "cramp_not_easing": ("urgent", set()),
    "toxin_or_soil_wound": ("urgent", set()),
    "frequent_cramps": ("see_doctor", set()),
    "cramps_disturb_life": ("see_doctor", set()),
    "numbness_swelling_or_weakness": ("see_doctor", set()),
}


def test_the_bundled_policy_is_at_least_as_strict_as_reviewed() -> None:
    policy = {rule.finding: rule for rule in KB.policy}
    for finding, (tier, tags) in PINNED.items():
        assert finding in policy, f"the policy lost {finding!r}"
        rule = policy[finding]
        if tier is not None:
            assert rule.min_tier is not None, finding
            assert TIERS.index(rule.min_tier) <= TIERS.index(tier), finding
        assert tags <= set(rule.forbids), (finding, tags - set(rule.forbids))
    assert {"electrolytes", "supplements"} <= set(policy["salt_needs_doctor"].cautions)


def test_the_bundled_knowledge_base_lints_clean_against_its_policy() -> None:
    assert lint_knowledge_base().problems == ()


def test_every_red_flag_rests_on_a_finding_the_policy_covers() -> None:
    covered = {rule.finding for rule in KB.policy}
    for claim_id, claim in KB.claims.items():
        if claim.kind != "red_flag":
            continue
        tested = {getattr(t, "finding", None) for t in KB.conditions[claim_id]} - {None}
        assert tested & covered, claim_id


# --- mutations ---------------------------------------------------------------------------


def _mutations() -> list[tuple[str, str, Any]]:
    """(name, file, edit) for every weakening edit of the bundled knowledge base."""
    out: list[tuple[str, str, Any]] = []
    for finding_id, finding in KB.findings.items():
        for index, _group in enumerate(finding.withholds):
            out.append(
                (
                    f"delete withholding {index} of {finding_id}",
                    "findings.yaml",
                    ("drop", finding_id, index),
                )
            )
    for claim_id, claim in KB.claims.items():
        if claim.kind == "red_flag" and claim.triage and claim.triage != "self_care":
            lower = TIERS[TIERS.index(claim.triage) + 1]
            source = KB.claim_source[claim_id]
            out.append(
                (
                    f"lower {claim_id} from {claim.triage} to {lower}",
                    f"sources/{source}.yaml",
                    ("tier", claim_id, lower),
                )
            )
    return out


MUTATIONS = _mutations()


def _mutate(root: Path, file: str, edit: Any) -> None:
    path = root / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    kind, target, value = edit
    if kind == "drop":
        finding = next(f for f in data["findings"] if f["id"] == target)
        del finding["withholds"][value]
        if not finding["withholds"]:
            del finding["withholds"]
    else:
        claim = next(c for c in data["claims"] if c["id"] == target)
        claim["triage"] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _concerned(file: str, edit: Any) -> set[str]:
    """The policy's findings a mutation can weaken: the finding itself and those that
    imply it, or the findings the lowered red flag is about."""
    kind, target, _value = edit
    if kind == "drop":
        return {f for f in KB.findings if f == target or target in KB.implied_findings(f)}
    return {getattr(t, "finding", None) for t in KB.conditions[target]} - {None}


@pytest.mark.parametrize("name, file, edit", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_kb_test_catches_the_weakening_with_a_minimal_runner(
    name: str, file: str, edit: Any, tmp_path: Path
) -> None:
    # The search `cramp kb test` runs first for safety-rules-hold, over the runners for
    # whom the weakened finding holds (the whole search is run end to end below).
    root = tmp_path / "kb"
    shutil.copytree(default_directory(), root)
    _mutate(root, file, edit)
    context = Context(load_knowledge_base(root))
    with pytest.raises(Violation) as caught:
        policy_search(context, only=_concerned(file, edit))
    assert caught.value.runners, name
    assert caught.value.runners[0].profile.answers


def test_the_mutation_count_covers_every_withholding_and_red_flag() -> None:
    groups = sum(len(f.withholds) for f in KB.findings.values())
    flags = sum(1 for c in KB.claims.values() if c.kind == "red_flag")
    assert len(MUTATIONS) == groups + flags
    assert groups >= 5 and flags >= 12


def test_cramp_kb_test_fails_on_a_weakened_copy_and_prints_the_runner(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(default_directory(), root)
    _mutate(root, "findings.yaml", ("drop", "possible_clot", 0))
    result = CliRunner().invoke(
        cli,
        ["kb", "test", str(root), "--only", "safety-rules-hold", "--examples", "1"],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    assert "possible_clot" in result.output
    assert "cramp --kb" in result.output and "explain" in result.output
