"""`cramp batch`: a report per runner, a summary table, bad profiles reported and skipped."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cramp.batch import batch_inputs
from cramp.cli import cli
from knowledge.bundled import example_path


def summary(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def athletes(tmp_path: Path) -> Path:
    folder = tmp_path / "athletes"
    folder.mkdir()
    for name in ("night-cramps-after-hard-week", "red-flag-calf-tear"):
        shutil.copy(example_path(name), folder / f"{name}.yaml")
    (folder / "typo.yaml").write_text("cramp_timing: [nigth]\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a profile\n", encoding="utf-8")
    return folder


def test_a_bad_profile_is_reported_on_one_line_and_skipped_and_the_batch_exits_2(
    athletes, tmp_path
):
    out = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["batch", str(athletes), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 2, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "night-cramps-after-hard-week.html",
        "red-flag-calf-tear.html",
        "summary.csv",
    ]
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"cramp: {athletes / 'typo.yaml'}:1:")
    assert "did you mean 'night'" in errors[0]
    rows = {row["runner"]: row for row in summary(out)}
    assert list(rows) == [
        "night-cramps-after-hard-week.yaml",
        "red-flag-calf-tear.yaml",
        "typo.yaml",
    ]
    assert rows["typo.yaml"]["status"] == "invalid" and "nigth" in rows["typo.yaml"]["error"]
    tear = rows["red-flag-calf-tear.yaml"]
    assert (tear["status"], tear["triage"], tear["report"]) == (
        "ok",
        "urgent",
        "red-flag-calf-tear.html",
    )
    assert tear["top_cause"] and int(tear["advice"]) > 0
    assert "wrote 2 of 3 reports (html)" in result.stdout


def test_json_lines_in_a_process_pool_give_one_report_per_line_and_exit_0(tmp_path):
    source = tmp_path / "squad.jsonl"
    source.write_text(
        json.dumps({"name": "Ann", "cramp_timing": ["night"], "recovery": "little"})
        + "\n\n"
        + json.dumps({"calf_can_contract": "no"})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        cli, ["batch", str(source), "-o", str(out), "--format", "json", "--jobs", "2", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    rows = summary(out)
    assert [(r["runner"], r["name"], r["status"]) for r in rows] == [
        ("squad.jsonl:1", "Ann", "ok"),
        ("squad.jsonl:3", "", "ok"),
    ]
    report = json.loads((out / rows[1]["report"]).read_text(encoding="utf-8"))
    assert report["triage"]["tier"] == rows[1]["triage"] == "urgent"


def test_a_bad_json_line_points_at_its_line_in_the_file(tmp_path):
    source = tmp_path / "squad.jsonl"
    source.write_text('{"cramp_timing": ["night"]}\n{"recovery": "lots"}\n', encoding="utf-8")
    (item,) = [i for i in batch_inputs(source) if i.label.endswith(":2")]
    result = CliRunner().invoke(cli, ["batch", str(source), "-o", str(tmp_path / "out"), "-j1"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"cramp: {source}:2:")
    assert item.stem == "squad-00002"


def test_an_existing_summary_is_not_replaced_without_force(athletes, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "summary.csv").write_text("old\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(athletes), "-o", str(out)])
    assert result.exit_code == 2
    expected = f"cramp: {out / 'summary.csv'}: already exists; use --force to overwrite it\n"
    assert result.stderr == expected
    assert (out / "summary.csv").read_text(encoding="utf-8") == "old\n"


@pytest.mark.parametrize("name", ["missing", "empty"])
def test_a_source_without_profiles_is_one_line_and_exit_2(tmp_path, name):
    source = tmp_path / name
    if name == "empty":
        source.mkdir()
    result = CliRunner().invoke(cli, ["batch", str(source), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_every_report_is_synced_before_its_name_and_the_directory_once_at_the_end(
    athletes, tmp_path, monkeypatch
):
    import os
    import stat

    out = tmp_path / "reports"
    synced: list[tuple[str, list[str]]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            synced.append(("directory", sorted(p.name for p in out.iterdir())))
        else:
            synced.append(("file", []))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = CliRunner().invoke(cli, ["batch", str(athletes), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 2, result.output  # typo.yaml is invalid
    reports = ["night-cramps-after-hard-week.html", "red-flag-calf-tear.html"]
    files = [kind for kind, _ in synced if kind == "file"]
    directories = [names for kind, names in synced if kind == "directory"]
    assert len(files) == len(reports) + 1  # each report, then summary.csv
    # Once after the last report (every name in place), once after the summary.
    assert directories == [reports, [*reports, "summary.csv"]]
