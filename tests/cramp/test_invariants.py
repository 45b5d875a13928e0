"""The invariant suite: it holds on the knowledge base, and breaking any invariant shows.

``pytest --kb-dir DIR`` checks another knowledge base; ``--hypothesis-profile thorough``
checks many more runners. Each broken fixture (tests/fixtures/broken-invariants.yaml)
and each deliberately broken engine below must make its invariant fail with a minimal
runner printed in profile format, which, pasted back, reproduces the failure.
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from fixture_data import every_condition_kb

from cramp.authoring.invariant_suite import check_invariant, format_failure
from cramp.authoring.invariants import INVARIANTS, Context, Invariant, Violation
from expert import conclusions
from expert.engine import Reasoner, Run
from knowledge import KnowledgeBase, Profile, default_directory, load_knowledge_base
from knowledge.profile import load_profile_text

FIXTURES = Path(__file__).parent.parent / "fixtures"
BASES = {"kb-minimal": FIXTURES / "kb-minimal", "bundled": default_directory()}
BROKEN = yaml.safe_load((FIXTURES / "broken-invariants.yaml").read_text())["cases"]
BY_NAME = {i.name: i for i in INVARIANTS}


@pytest.fixture(scope="session")
def context(request: pytest.FixtureRequest) -> Context:
    """The knowledge base under test (``--kb-dir``, else the bundled one) and its engines."""
    directory = request.config.getoption("--kb-dir")
    return Context(load_knowledge_base(directory))


@pytest.fixture(scope="session")
def minimal() -> KnowledgeBase:
    return load_knowledge_base(BASES["kb-minimal"])


@pytest.mark.parametrize("invariant", INVARIANTS, ids=[i.name for i in INVARIANTS])
def test_the_knowledge_base_keeps_every_invariant(
    request: pytest.FixtureRequest, context: Context, invariant: Invariant
) -> None:
    outcome = check_invariant(context, invariant)
    if outcome.status == "skipped":
        pytest.skip(f"{invariant.name}: {outcome.reason}")
    if not outcome.ok:
        directory = request.config.getoption("--kb-dir")
        explain = f"cramp --kb {shlex.quote(directory)} explain" if directory else "cramp explain"
        pytest.fail(format_failure(outcome, explain=explain), pytrace=False)
    assert outcome.examples + outcome.searched > 0


def broken_copy(tmp_path: Path, base: str, edits: list[dict]) -> Path:
    """A copy of a knowledge base with the fixture's edits applied."""
    root = tmp_path / "kb"
    shutil.copytree(BASES[base], root)
    for edit in edits:
        target = root / edit["file"]
        text = target.read_text()
        if "append" in edit:
            text = text.rstrip("\n") + "\n" + edit["append"]
        else:
            assert edit["old"] in text, f"fixture edit does not apply to {edit['file']}"
            text = text.replace(edit["old"], edit["new"], 1)
        target.write_text(text)
    return root


def reproduces(kb: KnowledgeBase, invariant: Invariant, violation: Violation) -> None:
    """The runner printed, read back as a profile file, breaks the invariant again."""
    runners = [load_profile_text(r.to_yaml(), kb, "runner.yaml") for r in violation.runners]
    if invariant.name == "red-flags-never-lower-triage":
        added, before = runners
        flag = violation.message.split("'")[1]
        example: object = (before, flag, added)
    elif invariant.name == "order-independent":
        example = tuple(runners)
    elif invariant.name == "every-claim-can-fire":
        example = (violation.message.split("'")[1], runners[0])
    else:
        example = runners[0]
    assert invariant.check is not None
    with pytest.raises(Violation):
        invariant.check(Context(kb), example)


@pytest.mark.parametrize("case", BROKEN, ids=[c["name"] for c in BROKEN])
def test_breaking_an_invariant_in_a_copy_of_a_knowledge_base_fails_with_a_minimal_runner(
    tmp_path: Path, case: dict
) -> None:
    kb = load_knowledge_base(broken_copy(tmp_path, case["base"], case["edits"]))
    invariant = BY_NAME[case["invariant"]]
    outcome = check_invariant(kb, invariant)
    assert outcome.status == "broken", outcome
    report = format_failure(outcome)
    assert case["expect"] in report
    violation = outcome.violation
    assert violation is not None
    if "runner" in case:
        assert violation.runners[0].to_yaml() == case["runner"]
        assert "\n".join(f"    {line}" for line in case["runner"].splitlines()) in report
    if violation.runners:
        assert "save it as runner.yaml, then run: cramp explain runner.yaml" in report
        reproduces(kb, invariant, violation)


def test_every_broken_fixture_loads_so_only_the_invariant_catches_it(tmp_path: Path) -> None:
    for index, case in enumerate(BROKEN):
        load_knowledge_base(broken_copy(tmp_path / str(index), case["base"], case["edits"]))


def broken_engine_outcome(kb: KnowledgeBase, name: str):
    """Check one invariant on a freshly built engine (patches apply to it)."""
    kb._cache.clear()
    return check_invariant(Context(kb), BY_NAME[name])


def assert_broken_with_runner(kb: KnowledgeBase, outcome, expect: str) -> str:
    assert outcome.status == "broken", outcome
    report = format_failure(outcome)
    assert expect in report
    assert outcome.violation.runners, report
    for runner in outcome.violation.runners:
        load_profile_text(runner.to_yaml(), kb, "runner.yaml")
    return report


def test_a_recommendation_citing_no_quote_breaks_the_citation_invariant(minimal, monkeypatch):
    original = conclusions.claim_ref

    def unquoted(kb, claim_id, *, weighted=False):
        return dataclasses.replace(original(kb, claim_id, weighted=weighted), quote="")

    monkeypatch.setattr(conclusions, "claim_ref", unquoted)
    outcome = broken_engine_outcome(minimal, "recommendations-cite-sources")
    assert_broken_with_runner(minimal, outcome, "without citing a claim")
    # One answer is enough to be recommended something: the runner is shrunk to it.
    assert outcome.violation.runners[0].to_yaml().count("\n") == 1


def test_a_triage_printed_after_the_causes_breaks_the_referral_first_invariant(
    minimal, monkeypatch
):
    import explain.render

    original = explain.render.render_text

    def triage_last(diagnosis, *, title):
        head, _, rest = original(diagnosis, title=title).partition("TRIAGE:")
        triage, _, tail = rest.partition("LIKELY CAUSES")
        return f"{head}LIKELY CAUSES{tail}\nTRIAGE:{triage}"

    monkeypatch.setattr(explain.render, "render_text", triage_last)
    outcome = broken_engine_outcome(minimal, "red-flags-refer-first")
    report = assert_broken_with_runner(minimal, outcome, "does not put the triage first")
    assert "calf_can_contract: no" in report


def test_a_conflict_left_out_of_the_diagnosis_breaks_the_both_sides_invariant(minimal, monkeypatch):
    original = conclusions._conflicts
    monkeypatch.setattr(
        conclusions,
        "_conflicts",
        lambda kb, causes, advice: tuple(
            c for c in original(kb, causes, advice) if c.type != "advice"
        ),
    )
    outcome = broken_engine_outcome(minimal, "conflicts-show-both-sides")
    assert_broken_with_runner(minimal, outcome, "both sides of the conflict 'rest-or-resume'")


def first_answer(question):
    if question.type == "number":
        return float(question.min)
    if question.type == "multi":
        return (question.values[0],)
    return question.values[0]


def test_an_engine_that_reads_unknown_as_an_answer_breaks_the_unknown_invariant(
    minimal, monkeypatch
):
    original = Reasoner.run

    def guessing(self, profile: Profile) -> Run:
        # The bug: "unknown" taken as the first allowed answer.
        guessed = {q: first_answer(self.kb.questions[q]) for q in profile.unknown}
        return original(self, Profile({**profile.answers, **guessed}, profile.unknown))

    monkeypatch.setattr(Reasoner, "run", guessing)
    outcome = broken_engine_outcome(minimal, "unknown-never-fires")
    assert_broken_with_runner(minimal, outcome, "answered unknown")


def test_declaring_answers_in_the_order_given_breaks_the_order_invariant(kb, monkeypatch):
    # The trace keeps the real firing order; only declaring the answers in a fixed
    # order makes it the same for the same answers given in another order.
    monkeypatch.setattr(Reasoner, "declaration_order", staticmethod(list))
    outcome = broken_engine_outcome(kb, "order-independent")
    report = assert_broken_with_runner(kb, outcome, "in another order changes the trace")
    assert "The same answers in another order:" in report


def test_a_rule_recorded_without_its_answers_breaks_the_graph_invariant(minimal, monkeypatch):
    original = Reasoner.run

    def forgetful(self, profile: Profile) -> Run:
        run = original(self, profile)
        trace = tuple(
            dataclasses.replace(f, matched=()) if f.claim == "alpha-rest" else f for f in run.trace
        )
        return dataclasses.replace(run, trace=trace)

    monkeypatch.setattr(Reasoner, "run", forgetful)
    outcome = broken_engine_outcome(minimal, "derivation-graph-grounded")
    assert_broken_with_runner(minimal, outcome, "firing:claim:alpha-rest rests on no answer")


def test_the_failure_report_names_the_kb_in_the_explain_command(tmp_path):
    case = next(c for c in BROKEN if c["name"] == "advice_to_stop_a_medicine")
    kb = load_knowledge_base(broken_copy(tmp_path, case["base"], case["edits"]))
    outcome = check_invariant(kb, BY_NAME["safety-rules-hold"])
    report = format_failure(outcome, explain="cramp --kb ./my-kb explain")
    assert "then run: cramp --kb ./my-kb explain runner.yaml rest" in report


@pytest.mark.parametrize("invariant", INVARIANTS, ids=[i.name for i in INVARIANTS])
def test_every_invariant_holds_on_a_knowledge_base_using_every_kind_of_condition(
    tmp_path: Path, invariant: Invariant
) -> None:
    outcome = check_invariant(every_condition_kb(tmp_path), invariant)
    if outcome.status == "skipped":
        pytest.skip(f"{invariant.name}: {outcome.reason}")
    if not outcome.ok:
        pytest.fail(format_failure(outcome), pytrace=False)
