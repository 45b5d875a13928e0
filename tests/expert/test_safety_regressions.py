"""Safety regressions, as a table: every runner with a warning sign gets the referral
first, in every format and in a real terminal, and nothing that could hurt them as
something to do.

The runners are data (the red-flag table, knowledge/data/red-flags.yaml): answers, often
partial, the tier they must get, the findings that must hold, and the advice tags
(``acts_on``) that must never be active for them. Advice carrying a forbidden tag is
withheld with its reason.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import REPO, invoke, reuse_bundled_kb

from cramp.authoring.runners import profiles
from expert.conclusions import Diagnosis, diagnose_run
from expert.engine import Reasoner
from knowledge import KnowledgeBase, load_knowledge_base, parse_profile
from knowledge.red_flags import RED_FLAG_TABLE, read_red_flag_table
from knowledge.satisfy import pins, satisfying_answers
from knowledge.schema import TIERS

TABLE = yaml.safe_load((REPO / "knowledge" / "data" / RED_FLAG_TABLE).read_text())
ROWS: list[dict[str, Any]] = TABLE["runners"]
KB = load_knowledge_base()
IDS = [re.sub(r"\W+", "-", row["name"]).strip("-") for row in ROWS]


def _profile_text(row: dict[str, Any]) -> str:
    """The row as a profile file (yes/no written as yes/no, lists as lists)."""
    data = {"name": row["name"], **row["answers"]}
    lines = []
    for key, value in data.items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        lines.append(f"{key}: {json.dumps(value) if isinstance(value, str) else value}")
    return "\n".join(lines).replace("True", "yes").replace("False", "no") + "\n"


@pytest.fixture(params=ROWS, ids=IDS)
def row(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """One row, with its profile written to a file and the bundled KB reused."""
    reuse_bundled_kb(monkeypatch, KB)
    data = dict(request.param)
    path = tmp_path / "runner.yaml"
    path.write_text(_profile_text(data), encoding="utf-8")
    data["path"] = path
    return data


def _diagnose(row: dict[str, Any]) -> Diagnosis:
    profile = parse_profile(yaml.safe_load(row["path"].read_text()), KB)
    return diagnose_run(KB, Reasoner.for_kb(KB).run(profile))


def _harmful_backed(kb: KnowledgeBase, d: Diagnosis, forbidden: set[str]) -> list[str]:
    """Advice with a forbidden tag that some claim would back for this runner."""
    backed = {a.id for a in d.advice} | {w.id for w in d.withheld}
    return sorted(a for a in backed if forbidden & set(kb.advice[a].acts_on))


def test_the_red_flag_table_is_large_enough_and_covers_every_warning_sign() -> None:
    assert len(ROWS) >= 24
    named = {f for row in ROWS for f in row["findings"]}
    for finding in (
        "tear_grade_1",
        "tear_grade_2",
        "tear_grade_3",
        "possible_clot",
        "clot_with_breathlessness",
        "possible_rhabdomyolysis",
        "possible_hyponatraemia",
        "lingering_or_worsening_pain",
        "cramp_not_easing",
        "toxin_or_soil_wound",
    ):
        assert finding in named, finding
    # Hyponatraemia both with the water answered yes and with it unknown.
    water = [
        r["answers"].get("drank_lots_plain_water")
        for r in ROWS
        if "possible_hyponatraemia" in r["findings"]
    ]
    assert True in water and "unknown" in water


def test_the_table_module_reads_every_row_as_the_tests_do() -> None:
    rows = read_red_flag_table(KB.root)
    assert rows is not None
    assert [r.name for r in rows] == [row["name"] for row in ROWS]
    assert [r.tier for r in rows] == [row["tier"] for row in ROWS]


def test_each_runner_gets_the_tier_the_findings_and_nothing_harmful(row) -> None:
    d = _diagnose(row)
    assert d.triage.tier == row["tier"]
    assert set(row["findings"]) <= {f.id for f in d.findings}
    forbidden = set(row.get("forbidden", ()))
    active = {a.id: a for a in d.advice}
    for advice in active.values():
        assert not forbidden & set(advice.acts_on), (advice.id, advice.acts_on)
    withheld = {w.id: w for w in d.withheld}
    for advice_id in _harmful_backed(KB, d, forbidden):
        assert advice_id in withheld, advice_id
        reasons = withheld[advice_id].reasons
        assert reasons and all(r.because and r.claims for r in reasons)
    for advice in active.values():
        if set(row.get("cautioned", ())) & set(advice.acts_on):
            assert advice.cautions, advice.id
    # A warning sign not answered is never "nothing found".
    if row["tier"] == "self_care":
        assert not d.triage.all_clear


def test_the_json_diagnosis_agrees(row) -> None:
    result = invoke(["diagnose", str(row["path"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert next(iter(data)) == "triage"
    assert data["triage"]["tier"] == row["tier"]
    assert set(row["findings"]) <= {f["id"] for f in data["findings"]}
    forbidden = set(row.get("forbidden", ()))
    for advice in data["advice"]:
        assert not forbidden & set(advice["acts_on"]), advice["id"]


def _withheld_texts(row) -> list[str]:
    d = _diagnose(row)
    return [KB.advice[w.id].text for w in d.withheld]


def _first_content_line(text: str) -> str:
    lines = [
        line
        for line in text.splitlines()[1:]
        if line.strip() and not line.startswith(("Runner: ", "Notes: "))
    ]
    return lines[0]


def test_the_text_diagnosis_leads_with_the_tier_and_never_advises_what_is_withheld(row) -> None:
    result = invoke(["diagnose", str(row["path"])])
    assert result.exit_code == 0, result.output
    title = KB.manifest.tiers[row["tier"]].title
    assert _first_content_line(result.stdout).startswith(f"TRIAGE: {title.upper()}.")
    flat = " ".join(result.stdout.split())
    for text in _withheld_texts(row):
        assert " ".join(text.split()) not in flat


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_each_report_leads_with_the_tier_and_never_advises_what_is_withheld(row, fmt) -> None:
    result = invoke(["report", str(row["path"]), "-o", "-", "--format", fmt])
    assert result.exit_code == 0, result.output
    title = KB.manifest.tiers[row["tier"]].title
    if fmt == "md":
        headings = [line for line in result.stdout.splitlines() if line.startswith("## ")]
        assert headings[0].startswith(f"## Triage: {title}")
        flat = " ".join(result.stdout.split())
    else:
        headings = re.findall(r"<h2[^>]*>(.*?)</h2>", result.stdout)
        assert headings[0].startswith(f"Triage: {title}")
        flat = " ".join(re.sub(r"<[^>]+>", " ", result.stdout).split())
    for text in _withheld_texts(row):
        shown = " ".join(text.split())
        if fmt == "html":
            shown = shown.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")
        assert shown not in flat


def test_the_json_report_agrees(row) -> None:
    result = invoke(["report", str(row["path"]), "-o", "-", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["triage"]["tier"] == row["tier"]
    forbidden = set(row.get("forbidden", ()))
    for phase in data["phases"]:
        for advice in phase["advice"]:
            assert not forbidden & set(KB.advice[advice["id"]].acts_on), advice["id"]


def test_explain_triage_leads_with_the_tier(row) -> None:
    result = invoke(["explain", str(row["path"]), "triage"])
    assert result.exit_code == 0, result.output
    text = KB.manifest.tiers[row["tier"]]
    assert result.stdout.splitlines()[1].startswith(f"Your triage level: {text.title}.")


def test_answering_the_questions_one_by_one_shows_the_referral_as_soon_as_it_holds(row) -> None:
    # Replay the consultation with the row's answers ("don't know" to the rest): once a
    # red flag is settled, nothing but what could make it more urgent or tell more about
    # the warning sign is asked, and it ends at the row's tier.
    from expert.consultation import Consultation

    profile = parse_profile(yaml.safe_load(row["path"].read_text()), KB)
    consultation = Consultation(KB)
    raised = False
    while (question := consultation.next_question()) is not None:
        if raised:
            reasons = consultation.why(question.id).reasons
            tiers = {KB.claims[r.claim].triage for r in reasons if r.claim}
            rank = TIERS.index(consultation.diagnosis().triage.tier)
            assert any(t and TIERS.index(t) < rank for t in tiers) or any(
                r.rule.startswith("finding:") for r in reasons
            ), question.id
        if question.id in profile.answers:
            consultation.answer(question.id, profile.answers[question.id])
        else:
            consultation.unknown(question.id)
        raised = raised or consultation.is_red_flag
    assert consultation.diagnosis().triage.tier == row["tier"]


# --- through `cramp ask`, in a real pseudo-terminal ------------------------------------------

pexpect = pytest.importorskip("pexpect", reason="pexpect is a dev dependency")


def _spawn(*args: str, home: Path):
    from console_script import installed_cramp

    env = {**os.environ, "XDG_STATE_HOME": str(home), "TERM": "dumb", "COLUMNS": "200"}
    env.pop("CRAMP_KB", None)
    return pexpect.spawn(
        installed_cramp(), list(args), env=env, encoding="utf-8", timeout=60, dimensions=(50, 200)
    )


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals need a POSIX system")
def test_a_consultation_prefilled_with_the_answers_shows_the_referral_first(
    row, tmp_path: Path
) -> None:
    child = _spawn("ask", "--answers", str(row["path"]), home=tmp_path)
    # Answer whatever is still asked with "don't know": the referral must already hold.
    while True:
        index = child.expect_exact(["\r\n> ", "file> ", pexpect.EOF])
        if index == 0:
            child.sendline("?")
        elif index == 1:
            closing = child.before
            child.sendline("")
            child.expect(pexpect.EOF)
            break
        else:
            closing = child.before
            break
    child.close()
    assert child.exitstatus == 0, closing[-2000:]
    title = KB.manifest.tiers[row["tier"]].title
    final = closing[closing.rindex("TRIAGE: ") :]
    assert final.startswith(f"TRIAGE: {title.upper()}.")
    flat = " ".join(final.split())
    for text in _withheld_texts(row):
        assert " ".join(text.split()) not in flat
    if TIERS.index(row["tier"]) <= TIERS.index("urgent"):
        assert f"{title.upper()}: " in closing  # the referral was shown as it arose


# --- properties over generated runners ------------------------------------------------------

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(
    st.one_of(
        profiles(KB), profiles(KB, red_flags=False), profiles(KB, red_flags=False, partial=False)
    )
)
def test_nothing_found_is_said_only_when_no_warning_sign_can_still_be_found(profile) -> None:
    d = diagnose_run(KB, Reasoner.for_kb(KB).run(profile))
    if not d.triage.all_clear:
        return
    assert d.triage.action == KB.manifest.tiers["self_care"].action
    # All clear: no answer to a question left open, or answered "don't know", could
    # raise any red flag.
    kept = KB.applicable(profile.answers)
    held = pins(KB, kept, exact=True)
    for claim_id, claim in KB.claims.items():
        if claim.kind != "red_flag":
            continue
        found = satisfying_answers(KB, [*KB.conditions[claim_id], *held])
        assert found is None or set(found) <= set(kept), (claim_id, found)


def test_with_nothing_answered_no_cause_is_likely_and_nothing_is_an_all_clear() -> None:
    d = diagnose_run(KB, Reasoner.for_kb(KB).run(parse_profile({}, KB)))
    assert d.triage.tier == "self_care"
    assert not d.triage.all_clear
    assert d.triage.action == KB.manifest.tiers["self_care"].action_unchecked
    assert len(d.triage.unchecked) >= 8
    # Claims that hold for everyone never make a cause likely, and the three questions
    # that would tell most are named.
    assert not any(c.likely for c in d.causes)
    assert len(d.suggested) == 3


@QUICK
@given(profiles(KB, red_flags=True))
def test_every_referral_from_a_finding_has_at_least_two_hops(profile) -> None:
    run = Reasoner.for_kb(KB).run(profile)
    produced_by = {rec.key: f for f in run.trace for rec in f.declared}
    for firing in run.trace:
        triage = [r for r in firing.declared if r.type == "Triage"]
        findings = [m for m in firing.matched if m.type == "Finding"]
        if not (triage and findings):
            continue
        # answer → finding rule → Finding → red-flag claim → Triage → level → Level
        for finding in findings:
            origin = produced_by[finding.key]
            assert origin.rule.startswith("finding:")
            assert any(m.type in ("Answer", "Finding") for m in origin.matched)
        level = [f for f in run.trace if f.rule.startswith("level:")]
        assert any(triage[0] in f.matched for f in level) or run.tier != triage[0]["tier"]
