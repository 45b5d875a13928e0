"""One way to write an answer's value in each form, the same in every output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cramp.cli import cli
from knowledge.values import answer_text, json_value, profile_value, value_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_diagnose_and_report_write_the_same_json_answer_values(example: Path) -> None:
    runner = CliRunner()
    diagnosed = json.loads(
        runner.invoke(cli, ["diagnose", str(example), "--format", "json"]).stdout
    )
    reported = json.loads(
        runner.invoke(cli, ["report", str(example), "-o", "-", "--format", "json"]).stdout
    )
    given = {row["question"]: row["value"] for row in reported["answers"] if "value" in row}
    assert diagnosed["answers"]
    for question, value in diagnosed["answers"].items():
        assert given[question] == value


@pytest.mark.parametrize(
    ("value", "profile", "data", "text"),
    [
        (True, "yes", True, "yes"),
        (False, "no", False, "no"),
        (
            ("night", "after_run"),
            ["night", "after_run"],
            ["night", "after_run"],
            "night, after_run",
        ),
        ((), [], [], "none"),
        (12.0, 12, 12, "12"),
        (12.5, 12.5, 12.5, "12.5"),
        ("calf", "calf", "calf", "calf"),
    ],
)
def test_each_form_of_an_answer(value, profile, data, text) -> None:
    assert profile_value(value) == profile
    assert json_value(value) == data
    assert answer_text(value) == text


def test_a_huge_number_reads_short() -> None:
    assert value_text(1e308) == "1e+308"
