"""``cramp report``, ``cramp explain`` and ``cramp kb graph`` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fixture_data import FIXTURE_KB, HOSTILE, NIGHT
from snapshot import assert_snapshot

from cramp.cli import cli


def run(*args: str, kb: bool = True):
    """Run through the group's own error handling (one line on stderr, exit status)."""
    argv = ["--kb", str(FIXTURE_KB), *args] if kb else list(args)
    return CliRunner().invoke(cli, argv, prog_name="cramp")


@pytest.mark.parametrize(
    ("name", "start"), [("r.md", "# "), ("r.html", "<!DOCTYPE html>"), ("r.json", "{")]
)
def test_report_writes_the_format_its_file_name_asks_for(tmp_path, name, start):
    out = tmp_path / name
    result = run("report", str(NIGHT), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith(start)
    assert f"wrote {out}" in result.output


def test_report_format_option_wins_over_the_extension(tmp_path):
    out = tmp_path / "report.txt"
    result = run("report", str(NIGHT), "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["triage"]["tier"] == "self_care"


def test_report_to_standard_output_needs_a_format():
    result = run("report", str(NIGHT), "-o", "-", "--format", "md")
    assert result.exit_code == 0 and result.output.startswith("# ")
    result = run("report", str(NIGHT), "-o", "-")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "--format md, html or json" in result.output


def test_report_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "r.md"
    out.write_text("precious")
    result = run("report", str(NIGHT), "-o", str(out))
    assert result.exit_code == 2
    assert result.output == f"cramp: {out}: already exists; use --force to overwrite it\n"
    assert out.read_text() == "precious"
    result = run("report", str(NIGHT), "-o", str(out), "--force")
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("# ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "r.txt"], "cannot tell the report format from 'r.txt'"),
        (["-o", "r.md", "--format", "pdf"], "Invalid value for '--format'"),
        (["-o", "no/such/dir/r.md"], "directory 'no/such/dir' does not exist"),
    ],
)
def test_bad_report_options_are_one_line_with_exit_status_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run("report", str(NIGHT), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_explain_shows_how_a_cause_was_reached():
    result = run("explain", str(NIGHT), "insufficient_recovery")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Standing +4, supported." in out
    assert "recovery = hardly any" in out  # an answer it rests on
    assert "“This gradual build-up of insufficient recovery" in out  # a verbatim quote
    assert "anecdote 1 × supports 1 × diagnostic 2 = +2" in out  # the arithmetic
    assert_snapshot("explain-how-insufficient_recovery.txt", out.replace(str(NIGHT), "PROFILE"))


def test_explain_why_not_names_failed_conditions_and_the_smallest_change():
    result = run("explain", str(NIGHT), "hydrate_before_during", "--why-not")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[cap-hydrate-before]" in out
    assert "FAIL cramp_timing includes after_run: you answered at night, in bed" in out
    assert "Smallest change that makes it fire (1 answer, checked by running the engine)" in out
    assert_snapshot("explain-why-not-hydrate.txt", out.replace(str(NIGHT), "PROFILE"))


def test_explain_why_not_on_a_conclusion_that_fired_points_to_how():
    result = run("explain", str(NIGHT), "rest_few_days", "--why-not")
    assert result.exit_code == 0
    assert "It did fire for these answers. See `cramp explain" in result.output
    assert "rest_few_days` for how." in result.output


def test_explain_how_on_a_conclusion_that_did_not_fire_points_to_why_not():
    result = run("explain", str(NIGHT), "hydrate_before_during")
    assert result.exit_code == 0
    assert "It did not come up for these answers." in result.output
    assert "hydrate_before_during --why-not" in result.output


def test_explain_why_not_for_withheld_advice_shows_the_finding_and_reason():
    result = run("explain", str(HOSTILE), "hydrate_before_during", "--why-not")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Safety rules that withhold it for you:" in out
    assert (
        "Possible low blood sodium (finding:possible_hyponatraemia) withholds advice on "
        "drinking: Drinking more can make low blood sodium worse" in out
    )
    assert "[safety-no-more-water]" in out and "[safety-hyponatraemia]" in out
    assert "ok   drank_lots_plain_water is yes: you answered yes" in out
    assert "Smallest change that makes it fire (1 answer" in out


def test_explain_triage_shows_the_warning_sign_behind_an_emergency():
    result = run("explain", str(HOSTILE), "triage")
    assert result.exit_code == 0
    out = result.output
    assert "Your triage level: Emergency." in out
    assert "drank_lots_plain_water = yes" in out
    assert "[safety-hyponatraemia]" in out
    # answer -> finding -> claim -> level, in the order the rules fired
    assert "Possible low blood sodium (finding:possible_hyponatraemia, warning sign)" in out
    steps = [
        "1. finding:possible_hyponatraemia:0: answer:drank_lots_plain_water",
        "2. claim:safety-hyponatraemia: finding:possible_hyponatraemia",
        "3. level:emergency: triage:safety-hyponatraemia -> level:emergency",
    ]
    assert [out.index(s) for s in steps] == sorted(out.index(s) for s in steps)


def test_explain_a_finding_shows_the_clause_that_holds():
    result = run("explain", str(HOSTILE), "finding:possible_hyponatraemia")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("HOW: Possible low blood sodium (finding:possible_hyponatraemia)")
    assert "It holds for your answers, and it is a warning sign" in out
    assert "general_symptoms = confusion, nausea or vomiting" in out
    assert "(clause 1 of 1: drank_lots_plain_water is yes and general_symptoms includes" in out
    assert_snapshot("explain-how-finding.txt", out.replace(str(HOSTILE), "PROFILE"))


def test_explain_why_not_a_finding_by_its_bare_id_shows_each_clause_and_the_change():
    result = run("explain", str(NIGHT), "possible_hyponatraemia", "--why-not")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "It does not hold for these answers." in out
    assert "finding:possible_hyponatraemia:0 (Possible low blood sodium, clause 1 of 1)" in out
    assert "?    drank_lots_plain_water is yes: not answered" in out
    assert "FAIL general_symptoms includes confusion" in out
    assert "Smallest change that makes it hold (2 answers" in out
    assert_snapshot("explain-why-not-finding.txt", out.replace(str(NIGHT), "PROFILE"))


def test_explain_why_not_an_emergency_follows_the_finding_it_needs():
    result = run("explain", str(NIGHT), "triage:emergency", "--why-not")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "FAIL finding: Possible low blood sodium: it does not hold; it would if" in out
    assert "finding:possible_hyponatraemia:0 (Possible low blood sodium, clause 1 of 1)" in out


def test_explain_how_withheld_advice_gives_the_finding_and_its_reason():
    result = run("explain", str(HOSTILE), "hydrate_before_during")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Not advised for you now, although claims back it, because of:" in out
    assert "Possible low blood sodium (finding:possible_hyponatraemia): Drinking more" in out
    assert "withhold:possible_hyponatraemia:0: finding:possible_hyponatraemia" in out


def test_explain_with_an_unknown_item_suggests_the_closest_and_lists_what_is_allowed():
    result = run("explain", str(NIGHT), "dehydratoin")
    assert result.exit_code == 2
    line = result.output
    assert line.count("\n") == 1
    assert line.startswith("cramp: ITEM: unknown item 'dehydratoin' (did you mean 'dehydration'?)")
    assert "triage:TIER (emergency, urgent, see_doctor, self_care)" in line
    assert "a finding (finding:ID; possible_hyponatraemia)" in line


def test_explain_with_a_bad_profile_is_one_line_per_problem_with_exit_status_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cramp_timing: [midnight]\n")
    result = run("explain", str(bad), "triage")
    assert result.exit_code == 2
    assert result.output.startswith(f"cramp: {bad}:1:")
    assert result.output.count("\n") == 1 and "did you mean 'night'?" in result.output


@pytest.mark.parametrize(
    ("fmt", "start"), [("dot", "digraph"), ("mermaid", "flowchart LR"), ("svg", "<svg")]
)
def test_kb_graph_exports_each_format(fmt, start):
    result = run("kb", "graph", "--format", fmt)
    assert result.exit_code == 0
    assert result.output.startswith(start)
    assert "safety-hyponatraemia" in result.output


def test_kb_graph_writes_a_file_from_its_extension_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "kb.svg"
    assert run("kb", "graph", "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<svg")
    again = run("kb", "graph", "-o", str(out))
    assert again.exit_code == 2 and "already exists; use --force" in again.output
    assert run("kb", "graph", "-o", str(out), "--force").exit_code == 0
    bad = run("kb", "graph", "-o", str(tmp_path / "kb.png"))
    assert bad.exit_code == 2 and "cannot tell the format" in bad.output


def test_every_new_command_has_help_with_an_example():
    for args in (["report"], ["explain"], ["kb", "graph"]):
        result = run(*args, "--help", kb=False)
        assert result.exit_code == 0
        assert "Example" in result.output
