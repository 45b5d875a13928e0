"""``cramp kb test``: the invariant suite from the command line, for content authors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import cramp.authoring.invariant_suite
from cramp.authoring.invariants import invariant_names
from cramp.cli import cli

MINIMAL = Path(__file__).parent.parent / "fixtures" / "kb-minimal"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def stop_medicine_kb(tmp_path: Path) -> Path:
    """kb-minimal whose advice to rest also tells the runner to stop their statins."""
    root = tmp_path / "my-kb"
    shutil.copytree(MINIMAL, root)
    advice = root / "advice.yaml"
    advice.write_text(
        advice.read_text().replace(
            "text: Take days off.", "text: Stop taking your statins and take days off."
        )
    )
    return root


def test_every_invariant_holds_on_the_bundled_knowledge_base(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["kb", "test", "--examples", "5"])
    assert result.exit_code == 0, result.output
    assert "profile ci, 5 runners each" in result.output
    for name in invariant_names():
        assert re.search(rf"^(held|skipped) +{name} ", result.output, re.MULTILINE), name
    assert re.search(r"^invariants: \d+ held, 0 broken, \d+ skipped", result.output, re.MULTILINE)


def test_a_broken_copy_exits_1_and_prints_the_minimal_runner_to_explain(
    runner: CliRunner, stop_medicine_kb: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["kb", "test", str(stop_medicine_kb)])
    assert result.exit_code == 1
    assert "broken  safety-rules-hold" in result.output
    assert "safety-rules-hold is broken:" in result.output
    assert (
        "advice 'rest' tells the runner to stop a medicine "
        "(“Stop taking your statins and take days off.”)" in result.output
    )
    command = f"cramp --kb {stop_medicine_kb} explain runner.yaml rest"
    assert f"save it as runner.yaml, then run: {command}" in result.output
    assert "\n    cramp_timing: [night]\n" in result.output
    assert re.search(r"^invariants: \d+ held, 1 broken", result.output, re.MULTILINE)

    # The runner pasted into a file is what `cramp explain` reads.
    (tmp_path / "runner.yaml").write_text("cramp_timing: [night]\n")
    explained = runner.invoke(
        cli, ["--kb", str(stop_medicine_kb), "explain", str(tmp_path / "runner.yaml"), "rest"]
    )
    assert explained.exit_code == 0, explained.output
    assert "alpha-rest" in explained.output


def test_the_kb_option_chooses_the_knowledge_base_too(
    runner: CliRunner, stop_medicine_kb: Path
) -> None:
    result = runner.invoke(
        cli, ["--kb", str(stop_medicine_kb), "kb", "test", "--only", "safety-rules-hold"]
    )
    assert result.exit_code == 1
    assert "invariants: 0 held, 1 broken, 0 skipped" in result.output


def test_only_checks_the_invariants_named(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["--kb", str(MINIMAL), "kb", "test", "--only", "unknown-never-fires"]
    )
    assert result.exit_code == 0
    assert "held    unknown-never-fires" in result.output
    assert "order-independent" not in result.output


def test_an_unknown_invariant_name_is_a_usage_error_with_a_suggestion(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["kb", "test", "--only", "unknown-never-fire"])
    assert result.exit_code == 2
    assert "did you mean 'unknown-never-fires'?" in result.stderr


def test_list_names_every_invariant_with_what_it_checks(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["kb", "test", "--list"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == invariant_names()


def test_an_invalid_knowledge_base_directory_is_refused_with_its_problems(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = tmp_path / "kb"
    shutil.copytree(MINIMAL, root)
    theories = root / "theories.yaml"
    theories.write_text(theories.read_text().replace("id: fatigue", "id: Fatigue"))
    result = runner.invoke(cli, ["kb", "test", str(root)])
    assert result.exit_code == 1
    assert "theories.yaml:2:9: id: 'Fatigue' is not a valid id" in result.stderr


def test_without_clipspy_the_engine_comparison_is_skipped_and_says_why(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        cramp.authoring.invariant_suite._PACKAGES, "clips", ("no_such_module_here", "clipspy")
    )
    result = runner.invoke(cli, ["--kb", str(MINIMAL), "kb", "test", "--only", "engines-agree"])
    assert result.exit_code == 0
    assert "skipped engines-agree" in result.output
    assert "needs clipspy, which is not installed (pip install clipspy)" in result.output
