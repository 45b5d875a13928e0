"""docs/authoring.md stays true: every invariant and option, real YAML, real output."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner
from test_invariants import BROKEN, BY_NAME, broken_copy

from cramp.authoring.invariant_suite import check_invariant, format_failure
from cramp.authoring.invariants import INVARIANTS
from cramp.cli import cli
from knowledge import KnowledgeBase, load_knowledge_base
from knowledge.conditions import parse_conditions

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "authoring.md").read_text()


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", GUIDE, re.DOTALL)


def test_the_guide_describes_every_invariant() -> None:
    for invariant in INVARIANTS:
        assert f"| `{invariant.name}` |" in GUIDE, invariant.name


def test_the_guide_describes_every_option_of_cramp_kb_test() -> None:
    result = CliRunner().invoke(cli, ["kb", "test", "--help"])
    options = set(re.findall(r"^\s+(--[a-z-]+)", result.output, re.MULTILINE)) - {"--help"}
    assert options == {
        "--profile",
        "--examples",
        "--only",
        "--list",
        "--coverage",
        "--mutations",
        "--mutant",
        "--runners",
        "--format",
    }
    for option in options:
        assert option in GUIDE


def test_the_guide_describes_every_option_of_cramp_kb_diff() -> None:
    result = CliRunner().invoke(cli, ["kb", "diff", "--help"])
    options = set(re.findall(r"^\s+(--[a-z-]+)", result.output, re.MULTILINE)) - {"--help"}
    assert "--rev" in options and "--allow-safety-change" in options
    for option in options:
        assert option in GUIDE, option


def test_the_conditions_in_the_guide_are_valid_for_the_real_questions(kb: KnowledgeBase) -> None:
    block = next(b for b in yaml_blocks() if b.startswith("when:"))
    conditions, errors = parse_conditions(yaml.safe_load(block)["when"], kb.questions)
    assert errors == []
    assert {c.op for c in conditions} == {"any", "none"}


def test_the_questions_in_the_guide_are_the_real_ones(kb: KnowledgeBase) -> None:
    block = next(b for b in yaml_blocks() if "id: hydration_before" in b)
    for question in yaml.safe_load(block):
        real = kb.questions[question["id"]].model_dump(exclude_defaults=True)
        real["choices"] = [dict(c) for c in real.get("choices", ())] or None
        assert {k: v for k, v in real.items() if v is not None} == {
            k: v for k, v in question.items() if v is not None
        }


def test_the_failure_shown_in_the_guide_is_what_cramp_kb_test_prints(tmp_path: Path) -> None:
    case = next(c for c in BROKEN if c["name"] == "red_flag_that_cancels_another")
    kb = load_knowledge_base(broken_copy(tmp_path, case["base"], case["edits"]))
    outcome = check_invariant(kb, BY_NAME[case["invariant"]])
    report = format_failure(outcome, explain="cramp --kb ./my-knowledge explain")
    assert report in GUIDE


def test_the_guide_shows_the_claim_that_can_never_fire_as_reported(tmp_path: Path) -> None:
    case = next(c for c in BROKEN if c["name"] == "claim_that_can_never_fire")
    kb = load_knowledge_base(broken_copy(tmp_path, case["base"], case["edits"]))
    assert format_failure(check_invariant(kb, BY_NAME[case["invariant"]])) in GUIDE


def test_every_condition_block_in_the_guide_is_valid_for_the_real_questions_and_findings(
    kb: KnowledgeBase,
) -> None:
    blocks = [b for b in yaml_blocks() if b.startswith("when:")]
    assert len(blocks) >= 2
    ops = set()
    for block in blocks:
        conditions, errors = parse_conditions(
            yaml.safe_load(block)["when"], kb.questions, kb.findings
        )
        assert errors == []
        ops |= {getattr(c, "op", "finding") for c in conditions}
    assert {"any", "none", "all", "unless", "finding"} <= ops


def test_the_finding_and_red_flag_in_the_guide_are_the_real_ones(kb: KnowledgeBase) -> None:
    finding = next(b for b in yaml_blocks() if "id: possible_clot" in b)
    [shown] = yaml.safe_load(finding)
    real = kb.findings["possible_clot"]
    assert (shown["title"], shown["says"]) == (real.title, real.says)
    clauses = tuple(
        tuple(parse_conditions(clause, kb.questions, kb.findings)[0])
        for clause in shown["when_any"]
    )
    assert clauses == kb.finding_clauses["possible_clot"]
    assert [tuple(g["tags"]) for g in shown["withholds"]] == [g.tags for g in real.withholds]
    claim = next(b for b in yaml_blocks() if "id: safety-dvt-signs" in b)
    [shown] = yaml.safe_load(claim)
    claim = kb.claims["safety-dvt-signs"]
    for key in ("kind", "triage", "says", "summary", "modality"):
        assert getattr(claim, key) == shown[key], key
    assert list(claim.pages) == shown["pages"]
