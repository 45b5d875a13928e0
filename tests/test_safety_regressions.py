"""Safety regressions: runners with red flags get the right triage tier, first, in every
output format. The cases are data: tests/fixtures/safety/*.yaml, listed with their
expected tier and safety-net claim in tests/fixtures/safety/cases.yaml."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from consultation_support import benign_answer, plan
from reliability_support import REPO, invoke, reuse_bundled_kb

from expert.consultation import Consultation
from knowledge import KnowledgeBase, load_knowledge_base, load_profile_text

SAFETY = REPO / "tests" / "fixtures" / "safety"
CASES: dict[str, dict[str, str]] = yaml.safe_load((SAFETY / "cases.yaml").read_text())
KB = load_knowledge_base()


def test_every_safety_profile_is_listed_with_its_tier_and_every_listed_one_exists() -> None:
    files = {p.stem for p in SAFETY.glob("*.yaml") if p.name != "cases.yaml"}
    assert files == set(CASES)
    for name, case in CASES.items():
        assert case["tier"] in ("emergency", "urgent"), name
        assert KB.claims[case["claim"]].triage == case["tier"], name
        assert KB.claim_source[case["claim"]] == "safety-net", name


def test_the_cases_cover_every_red_flag_the_issue_names() -> None:
    claims = {case["claim"] for case in CASES.values()}
    for needed in (
        "safety-calf-cannot-contract",
        "safety-calf-bruising-after-sharp-pain",
        "safety-dvt-one-leg",
        "safety-dvt-breathless",
        "safety-cramp-over-ten-minutes",
        "safety-hyponatraemia",
        "safety-rhabdomyolysis",
    ):
        assert needed in claims


@pytest.fixture(params=sorted(CASES), ids=sorted(CASES))
def case(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str, str, str, str]:
    """(profile path, tier, claim, tier title, tier action) for one safety case."""
    reuse_bundled_kb(monkeypatch, KB)
    name = request.param
    tier, claim = CASES[name]["tier"], CASES[name]["claim"]
    text = KB.manifest.tiers[tier]
    return SAFETY / f"{name}.yaml", tier, claim, text.title, text.action


def ok(args: list[str], **kwargs) -> str:
    result = invoke(args, **kwargs)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_text_diagnosis_leads_with_the_tier(case) -> None:
    path, _, claim, title, action = case
    lines = ok(["diagnose", str(path)]).splitlines()
    content = [line for line in lines[1:] if line and not line.startswith(("Runner: ", "Notes: "))]
    assert content[0] == f"TRIAGE: {title.upper()}. {action}"
    reasons = content[1 : content.index("LIKELY CAUSES")]
    assert any(line.startswith(f"  - [{claim}] ") for line in reasons)


def test_diagnose_json_leads_with_the_tier(case) -> None:
    path, tier, claim, _, _ = case
    data = json.loads(ok(["diagnose", str(path), "--format", "json"]))
    assert next(iter(data)) == "triage"
    assert data["triage"]["tier"] == tier
    assert claim in [c["id"] for c in data["triage"]["claims"]]


def test_markdown_report_leads_with_the_tier(case) -> None:
    path, _, claim, title, action = case
    md = ok(["report", str(path), "-o", "-", "--format", "md"])
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings[0] == f"## Triage: {title}"
    triage = md[md.index(headings[0]) : md.index("## Likely causes")]
    assert f"**{action}**" in triage and f"`{claim}`" in triage


def test_html_report_leads_with_the_tier(case) -> None:
    path, _, claim, title, action = case
    html = ok(["report", str(path), "-o", "-", "--format", "html"])
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    assert headings[0] == f"Triage: {title}"
    triage = html[html.index(f"Triage: {title}") : html.index("Likely causes")]
    assert action in triage and f"#claim-{claim}" in triage


def test_json_report_leads_with_the_tier(case) -> None:
    path, tier, claim, _, _ = case
    data = json.loads(ok(["report", str(path), "-o", "-", "--format", "json"]))
    assert list(data).index("triage") < list(data).index("causes")
    assert data["triage"]["tier"] == tier
    assert claim in [c["id"] for c in data["triage"]["claims"]]


def test_explain_triage_leads_with_the_tier(case) -> None:
    path, _, claim, title, action = case
    lines = ok(["explain", str(path), "triage"]).splitlines()
    assert lines[1] == f"Your triage level: {title}. {action}"
    assert any(f"claim:{claim}" in line for line in lines)


def test_a_consultation_prefilled_with_the_answers_shows_the_referral_first(
    case, tmp_path: Path
) -> None:
    path, _, _, title, action = case
    out = ok(["ask", "--session", str(tmp_path / "s.yaml"), "--answers", str(path)], input="")
    referral = out.index(f"{title.upper()}: {action}")
    # Either nothing is left to ask, or only what could make it more urgent is.
    assert "The questions stop here" in out or "A few more warning-sign questions" in out
    assert referral < out.index("LIKELY CAUSES") if "LIKELY CAUSES" in out else True
    # Nothing but warning-sign questions may be put before the referral.
    before = re.findall(r"^\[\d+\] (.*?) · ", out[:referral], re.M)
    assert set(before) <= {"Warning signs"}


def test_answering_the_questions_one_by_one_shows_the_referral_as_soon_as_it_holds(
    case, kb: KnowledgeBase, tmp_path: Path
) -> None:
    path, _, _, title, _ = case
    profile = load_profile_text(path.read_bytes(), kb, path.name)
    lines, _ = plan(kb, dict(profile.answers))
    # Replay the answers in the library to find the one that raises the red flag.
    replay = Consultation(kb)
    raised_at, first_tier = None, None
    while (question := replay.next_question()) is not None:
        value = profile.answers.get(question.id)
        if value is None:
            value = benign_answer(replay, question)
        replay.answer(question.id, value)
        if replay.is_red_flag and raised_at is None:
            raised_at, first_tier = len(replay.history), replay.triage_tier
    assert raised_at is not None, "the red flag is raised by the consultation's own questions"

    out = ok(
        ["ask", "--session", str(tmp_path / "s.yaml")],
        input="".join(f"{line}\n" for line in [*lines, ""]),
    )
    headers = [m.start() for m in re.finditer(r"^\[\d+\] ", out, re.M)]
    referral = out.index(f"{kb.manifest.tiers[first_tier].title.upper()}: ")
    # Right after the answer that raised it: before the next question, after its own.
    assert headers[raised_at - 1] < referral
    assert raised_at == len(headers) or referral < headers[raised_at]
    # From there on only warning signs that could make it more urgent are asked.
    after = re.findall(r"^\[\d+\] (.*?) · ", out[referral:], re.M)
    assert set(after) <= {"Warning signs"}
    final = out[out.index("The questions stop here") :]
    assert f"{title.upper()}: " in final
    assert final.index(f"TRIAGE: {title.upper()}.") < final.index("LIKELY CAUSES")
