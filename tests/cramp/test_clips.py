"""The CLIPS oracle: the same knowledge base compiled to CLIPS agrees with experta.

The agreement on the bundled knowledge base over generated runners is also the
``engines-agree`` invariant (tests/cramp/test_invariants.py); here: the compiled text, the
bundled examples, a tricky fixture, and a deliberately divergent compile being caught.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fixture_data import every_condition_kb
from hypothesis import given, settings
from hypothesis import strategies as st

import cramp.authoring.clips
from cramp.authoring.invariant_suite import check_invariant, format_failure
from cramp.authoring.invariants import INVARIANTS, Context, engine_differences
from cramp.authoring.runners import profiles
from knowledge import load_knowledge_base, load_profile_text, parse_profile
from knowledge.bundled import example_names, example_path
from knowledge.conditions import Condition, FindingTest

pytest.importorskip("clips", reason="clipspy is a test dependency: uv sync installs it")

FIXTURES = Path(__file__).parent.parent / "fixtures"
REAL = Context(load_knowledge_base())
MINIMAL = Context(load_knowledge_base(FIXTURES / "kb-minimal"))
ENGINES_AGREE = next(i for i in INVARIANTS if i.name == "engines-agree")


def test_the_compiled_source_is_the_same_every_time_and_has_a_rule_per_claim() -> None:
    kb = REAL.kb
    source = cramp.authoring.clips.compile_clips(kb)
    assert source == cramp.authoring.clips.compile_clips(load_knowledge_base())
    for claim_id in kb.claims:
        assert source.count(f"(defrule claim-{claim_id}\n") == 1
    for advice_id in kb.advice:
        assert f"(defrule recommend-{advice_id}\n" in source
    assert source.count("(defrule contradiction-") == sum(
        len(c) for c in kb.contradictions.values()
    )
    assert "experta" not in source


def test_the_clips_module_shares_no_matching_code_with_the_experta_compiler() -> None:
    tree = ast.parse(Path(cramp.authoring.clips.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    # It reads the one rule list (what each rule tests and declares) and the condition
    # types; matching, negation and the agenda are CLIPS's own.
    assert imported <= {"__future__", "os", "tempfile", "collections.abc", "dataclasses"} | {
        "typing",
        "knowledge",
        "knowledge.conditions",
        "expert.rules",
        "clips",
    }
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not used & {"holds", "holds_all", "applicable", "satisfying"}


@pytest.mark.parametrize("name", example_names())
def test_experta_and_clips_agree_on_every_bundled_example(name: str) -> None:
    path = example_path(name)
    profile = load_profile_text(path.read_bytes(), REAL.kb, path.name)
    assert engine_differences(REAL, profile) == []
    assert REAL.clips.run(profile).fired_claims  # a run that fires nothing proves little


@settings(max_examples=200)
@given(profiles(MINIMAL.kb))
def test_experta_and_clips_agree_on_every_runner_of_the_minimal_fixture(profile) -> None:
    assert engine_differences(MINIMAL, profile) == []


@settings(max_examples=100, deadline=None)
@given(st.one_of(profiles(REAL.kb), profiles(REAL.kb, red_flags=True)))
def test_experta_and_clips_agree_on_findings_tier_and_withheld_advice(profile) -> None:
    # Findings, the triage level, withheld and cautioned advice are rules in both
    # engines, with CLIPS's own matching and negation: they must agree exactly.
    assert engine_differences(REAL, profile) == []


def test_clips_sets_aside_an_answer_whose_ask_if_fails_as_experta_does() -> None:
    profile = parse_profile({"cramp_timing": ["during_run"], "bedding": "yes"}, MINIMAL.kb)
    result = MINIMAL.clips.run(profile)
    assert "bedding" not in result.answers
    assert "alpha-bedding" not in result.fired_claims
    night = parse_profile({"cramp_timing": ["night"], "bedding": "yes"}, MINIMAL.kb)
    assert "alpha-bedding" in MINIMAL.clips.run(night).fired_claims


@pytest.fixture(scope="module")
def every_condition(tmp_path_factory) -> Context:
    return Context(every_condition_kb(tmp_path_factory.mktemp("kb")))


def test_the_fixture_uses_every_kind_of_condition(every_condition: Context) -> None:
    kb = every_condition.kb
    conditions = [c for conds in kb.conditions.values() for c in conds]
    conditions += [c for conds in kb.preconditions.values() for c in conds]
    conditions += [
        c for clauses in kb.contradictions.values() for conds, _ in clauses for c in conds
    ]
    conditions += [c for clauses in kb.finding_clauses.values() for cl in clauses for c in cl]
    tested_findings = {c.finding for c in conditions if isinstance(c, FindingTest)}
    conditions = [c for c in conditions if isinstance(c, Condition)]
    kinds = {(c.qtype, c.op, c.low is None, c.high is None) for c in conditions}
    for kind in ("multi", "choice", "yesno"):
        assert (kind, "any", True, True) in kinds
        assert (kind, "none", True, True) in kinds
    assert {("number", "range", False, True), ("number", "range", True, False)} <= kinds
    assert ("number", "range", False, False) in kinds
    # "unless" on a yes/no, "all" of a multi-choice, and findings testing findings.
    assert ("yesno", "unless", True, True) in kinds
    assert ("multi", "all", True, True) in kinds
    assert tested_findings == {"hard_week", "torn_calf"}
    assert kb.findings["torn_calf"].withholds


def test_experta_and_clips_agree_on_every_kind_of_condition(every_condition: Context) -> None:
    @settings(max_examples=300)
    @given(profiles(every_condition.kb))
    def agree(profile) -> None:
        assert engine_differences(every_condition, profile) == []

    agree()


def test_includes_none_of_never_holds_for_an_unanswered_or_unknown_question(
    every_condition: Context,
) -> None:
    kb = every_condition.kb
    for answers in ({}, {"cramp_timing": "unknown"}):
        result = every_condition.clips.run(parse_profile(answers, kb))
        assert "beta-resume" not in result.fired_claims
    answered = parse_profile({"cramp_timing": []}, kb)
    assert "beta-resume" in every_condition.clips.run(answered).fired_claims


def test_a_divergent_clips_rule_is_caught_with_a_minimal_runner(monkeypatch) -> None:
    original = cramp.authoring.clips.compile_clips

    def divergent(kb):
        # The bug: the torn-calf red flag tests the wrong answer.
        return original(kb).replace(
            '(answer (question "calf_can_contract") (value no))',
            '(answer (question "calf_can_contract") (value yes))',
        )

    monkeypatch.setattr(cramp.authoring.clips, "compile_clips", divergent)
    outcome = check_invariant(Context(MINIMAL.kb), ENGINES_AGREE)
    assert outcome.status == "broken"
    report = format_failure(outcome)
    assert "claims fired: only experta has beta-tear" in report
    assert outcome.violation.runners[0].to_yaml() in (
        "calf_can_contract: no\n",
        "calf_can_contract: yes\n",
    )
    assert "then run: cramp explain runner.yaml triage" in report
