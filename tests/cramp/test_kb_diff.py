"""`cramp kb diff`: the conclusions an edit changes, shown on the runners it changes them for.

Each test edits a copy of a fixture knowledge base (the minimal one, or the bundled one
where findings and withholding are needed) and diffs it against the original.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.fixture_data import FIXTURES
from tests.reliability_support import assert_one_line_error, invoke

MINIMAL = FIXTURES / "kb-minimal"
BUNDLED = REPO / "knowledge" / "data"


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _edit(path: Path, find: str, replace: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(find) == 1, find
    path.write_text(text.replace(find, replace), encoding="utf-8")


def _diff(old: Path, new: Path, *extra: str) -> tuple[int, dict]:
    fixed = ["--runners", "30", "--jobs", "1", "--format", "json"]
    result = invoke(["kb", "diff", str(old), str(new), *fixed, *extra])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def test_a_lowered_triage_exits_1_and_names_the_smallest_runner(tmp_path: Path) -> None:
    new = _copy(MINIMAL, tmp_path / "new")
    _edit(new / "sources" / "beta.yaml", "    triage: urgent\n", "    triage: see_doctor\n")
    status, report = _diff(MINIMAL, new)
    assert status == 1
    assert report["safety_regression"] is True
    down = next(c for c in report["changes"] if c["kind"] == "triage-down")
    assert down["safety"] and down["runners"] >= 1
    smallest = down["smallest_runner"]
    # Shrunk to the one answer that matters, ready for `cramp explain`.
    assert smallest["profile"] == {"calf_can_contract": "no"}
    assert smallest["yaml"] == "calf_can_contract: no\n"
    assert smallest["changes"] == ["triage urgent → see_doctor"]
    assert any(d["id"] == "beta-tear" and d["change"] == "modified" for d in report["data"])
    # A reviewed, intended change passes with the flag.
    assert (
        invoke(
            ["kb", "diff", str(MINIMAL), str(new), "--runners", "5", "--allow-safety-change"]
        ).exit_code
        == 0
    )


def test_a_removed_withholding_exits_1_and_names_the_runner(tmp_path: Path) -> None:
    new = _copy(BUNDLED, tmp_path / "new")
    _edit(
        new / "findings.yaml",
        "    withholds:\n      - tags: [running, massage, foam_rolling, electrolytes, supplements, "
        "potassium]\n        because: >-\n          Until a doctor has seen you: no running, no "
        "massage, and no potassium or\n          electrolyte supplements.\n        backed_by: "
        "[safety-rhabdomyolysis-until-seen]\n",
        "",
    )
    # The policy is weakened with it, so the loader accepts the edit.
    policy = yaml.safe_load((new / "safety-policy.yaml").read_text())
    for rule in policy["policy"]:
        if rule["finding"] == "possible_rhabdomyolysis":
            rule.pop("forbids")
    (new / "safety-policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    status, report = _diff(BUNDLED, new)
    assert status == 1
    given = next(c for c in report["changes"] if c["kind"] == "withheld-advice-given")
    assert given["runners"] >= 1
    assert "dark_urine: yes" in given["smallest_runner"]["yaml"]
    assert any("possible_rhabdomyolysis" in p for p in report["policy_weakened"])


def test_a_reworded_says_changes_no_conclusion(tmp_path: Path) -> None:
    new = _copy(MINIMAL, tmp_path / "new")
    _edit(
        new / "sources" / "beta.yaml",
        "    says: High mileage tires muscles.\n",
        "    says: A high weekly mileage tires the muscles.\n",
    )
    status, report = _diff(MINIMAL, new)
    assert status == 0
    assert report["changes"] == []
    assert report["data"] == [
        {"category": "claim", "id": "beta-mileage", "change": "modified", "fields": ["says"]}
    ]
    text = invoke(["kb", "diff", str(MINIMAL), str(new), "--runners", "10"]).stdout
    assert "No conclusion changes for any runner." in text


def test_a_new_claim_reports_the_runners_it_reaches(tmp_path: Path) -> None:
    new = _copy(MINIMAL, tmp_path / "new")
    _edit(
        new / "sources" / "beta.yaml",
        "  - id: beta-tear\n",
        "  - id: beta-high-mileage-resume\n    kind: aftercare\n    advice: resume\n"
        "    evidence: opinion\n    says: Resume slowly after high mileage.\n"
        "    quote: resume at a gentle pace\n    when: {weekly_km: {min: 100}}\n"
        "  - id: beta-tear\n",
    )
    status, report = _diff(MINIMAL, new)
    assert status == 0
    reach = next(r for r in report["claims_reach"] if r["claim"] == "beta-high-mileage-resume")
    assert reach["change"] == "added" and reach["runners"] >= 1
    assert "weekly_km: " in reach["smallest_runner"]["yaml"]
    active = next(c for c in report["changes"] if c["kind"] == "advice-active")
    assert ("resume", active["runners"]) in [
        (s["subject"], s["runners"]) for s in active["subjects"]
    ]
    markdown = invoke(
        ["kb", "diff", str(MINIMAL), str(new), "--runners", "10", "--format", "markdown"]
    ).stdout
    assert markdown.startswith("## Knowledge-base diff")
    assert "| `beta-high-mileage-resume` | added |" in markdown


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=a", "-c", "user.email=a@b", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_rev_reads_a_revision_of_a_clone_without_checking_it_out(
    tmp_path: Path, monkeypatch
) -> None:
    origin = tmp_path / "origin"
    _copy(MINIMAL, origin / "knowledge" / "data")
    _git(origin, "init", "-q")
    _git(origin, "add", ".")
    _git(origin, "commit", "-qm", "first")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    beta = clone / "knowledge" / "data" / "sources" / "beta.yaml"
    _edit(beta, "    triage: urgent\n", "    triage: see_doctor\n")
    monkeypatch.chdir(clone)
    result = invoke(["kb", "diff", "--rev", "HEAD", "--runners", "5", "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert "Comparing HEAD" in result.stdout and "working tree" in result.stdout
    assert "Triage goes down" in result.stdout
    # Nothing was checked out: the edit is still in the working tree.
    assert "triage: see_doctor" in beta.read_text()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    )
    assert status.stdout.strip() == "M knowledge/data/sources/beta.yaml"


def test_rev_refuses_outside_a_git_repository(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["kb", "diff", "--rev", "HEAD"])
    assert_one_line_error(result, 2, "--rev needs a git repository")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["kb", "diff", str(MINIMAL)], "compares two knowledge bases"),
        (["kb", "diff", "--rev", "a", "--rev", "b", "--rev", "c"], "--rev: give it once"),
    ],
)
def test_bad_arguments_get_a_one_line_error(args: list[str], fragment: str) -> None:
    assert_one_line_error(invoke(args), 2, fragment)


def test_an_invalid_side_gets_its_problems_and_no_traceback(tmp_path: Path) -> None:
    new = _copy(MINIMAL, tmp_path / "new")
    _edit(new / "sources" / "beta.yaml", "    triage: urgent\n", "    triage: soonish\n")
    result = invoke(["kb", "diff", str(MINIMAL), str(new)])
    assert result.exit_code == 2
    assert "the knowledge base is invalid" in result.stderr
    assert "Traceback" not in result.output
