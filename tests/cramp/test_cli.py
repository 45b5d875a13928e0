"""The command line, through click's CliRunner: output, exit statuses, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cramp.cli import cli
from knowledge.bundled import example_names, example_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_demo_prints_a_worked_consultation_with_triage_first(runner):
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Worked consultation: ")
    assert "  Q: When do your cramps come?\n  A: at night, in bed" in out
    assert out.index("TRIAGE:") < out.index("LIKELY CAUSES") < out.index("WHAT TO DO")


def test_demo_lists_and_runs_every_bundled_example(runner):
    listed = runner.invoke(cli, ["demo", "--list"]).output.split()
    assert listed == example_names() and len(listed) >= 3
    for name in listed:
        assert runner.invoke(cli, ["demo", "--example", name]).exit_code == 0


def test_diagnose_text_for_an_example(runner):
    result = runner.invoke(cli, ["diagnose", str(example_path("red-flag-calf-tear"))])
    assert result.exit_code == 0
    first_lines = result.output.splitlines()[:5]
    assert any(line.startswith("TRIAGE: URGENT") for line in first_lines)


def test_diagnose_json_has_the_documented_top_level_fields(runner):
    result = runner.invoke(cli, ["diagnose", str(example_path("long-hot-run")), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {"triage", "causes", "advice", "conflicts", "sources", "knowledge_base"} <= set(data)
    assert data["triage"]["tier"] == "self_care"
    assert data["causes"] and data["advice"]


def test_diagnose_reads_stdin_for_a_dash(runner):
    result = runner.invoke(
        cli, ["diagnose", "-", "--format", "json"], input='{"cramp_timing": ["night"]}'
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["answers"] == {"cramp_timing": ["night"]}


def test_the_examples_directory_is_the_bundled_one():
    assert sorted(p.stem for p in (REPO / "examples").glob("*.yaml")) == example_names()


BAD_INPUTS = [
    (
        "unknown-question",
        "p.yaml",
        "cramp_timeing: [night]\n",
        "cramp: p.yaml:1:1: unknown question 'cramp_timeing' (did you mean 'cramp_timing'?)",
    ),
    (
        "value-not-allowed",
        "p.yaml",
        "recovery: lots\n",
        "cramp: p.yaml:1:11: recovery: 'lots' is not one of: enough, some, little",
    ),
    (
        "wrong-type",
        "p.json",
        '{"hard_session_recent": 3}',
        "cramp: p.json:1:25: hard_session_recent: 3 is not yes or no",
    ),
    ("malformed-yaml", "p.yaml", "recovery: [some\n", "cramp: p.yaml:2:1: not valid YAML or JSON"),
    ("malformed-json", "p.json", '{"recovery": "some"', "cramp: p.json:2:1: not valid YAML"),
    ("empty-file", "p.yaml", "", "cramp: p.yaml:1:1: file is empty"),
    ("not-a-mapping", "p.yaml", "just text\n", "cramp: p.yaml:1:1: a profile must be a mapping"),
]


@pytest.mark.parametrize(
    ("name", "filename", "content", "expected"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_is_one_line_on_stderr_with_exit_status_2(
    runner, tmp_path, name, filename, content, expected
):
    path = tmp_path / filename
    path.write_text(content)
    result = runner.invoke(cli, ["diagnose", str(path)])
    expected = expected.replace("cramp: p.", f"cramp: {tmp_path}/p.")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["diagnose", "missing.yaml"],
            "cramp: missing.yaml: no such file; expected a profile file (YAML or JSON)",
        ),
        (["diagnose", "."], "cramp: .: is a directory, expected a profile file (YAML or JSON)"),
        (["diagnose"], "cramp: Missing argument 'PROFILE'."),
        (["diagnose", "x.yaml", "--format", "xml"], "cramp: Invalid value for '--format'"),
        (["demo", "--example", "long-hot"], "cramp: --example: no example 'long-hot'"),
        (["nonsense"], "cramp: No such command 'nonsense'."),
    ],
    ids=["missing-file", "directory", "no-argument", "bad-format", "bad-example", "bad-command"],
)
def test_usage_errors_are_one_line_with_exit_status_2(
    runner, tmp_path, monkeypatch, args, expected
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)


def test_an_invalid_knowledge_base_is_refused_with_every_problem_and_exit_1(runner, tmp_path):
    import shutil

    root = tmp_path / "kb"
    shutil.copytree(REPO / "tests" / "fixtures" / "kb-minimal", root)
    theories = root / "theories.yaml"
    theories.write_text(theories.read_text().replace("id: fatigue", "id: Fatigue"))
    result = runner.invoke(cli, ["--kb", str(root), "demo"])
    assert result.exit_code == 1
    assert "the knowledge base is invalid and was not loaded" in result.stderr
    assert "theories.yaml:2:9: id: 'Fatigue' is not a valid id" in result.stderr
    assert "Traceback" not in result.stderr


def test_kb_lint_reports_counts_for_a_valid_knowledge_base(runner, kb):
    result = runner.invoke(cli, ["kb", "lint"])
    assert result.exit_code == 0
    assert f"{len(kb.claims)} claims" in result.output


def test_kb_questions_lists_the_vocabulary(runner, kb):
    result = runner.invoke(cli, ["kb", "questions"])
    assert result.exit_code == 0
    for qid in kb.questions:
        assert f"\n{qid}: " in result.output
