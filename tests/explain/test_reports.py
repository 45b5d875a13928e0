"""Reports in Markdown, HTML and JSON: snapshots, schema, escaping, safety first, citations."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import typing
from pathlib import Path

import jsonschema
import pytest
from fixture_data import HOSTILE, NIGHT, fixture_kb, fixture_profile
from hypothesis import HealthCheck, given, settings
from snapshot import assert_snapshot

from cramp import write_report
from cramp.authoring.runners import profiles
from expert import diagnose
from explain import context as context_module
from explain import render_report, render_text, report_context
from explain.context import ReportContext
from explain.context_docs import context_markdown
from explain.json_schema import published_schema, report_schema
from explain.render import environment
from knowledge import Profile, load_knowledge_base

REPO = Path(__file__).resolve().parents[2]
REAL_KB = load_knowledge_base()
VALIDATOR = jsonschema.Draft202012Validator(published_schema())


@pytest.fixture(scope="module")
def night():
    return report_context(fixture_kb(), fixture_profile(NIGHT))


@pytest.fixture(scope="module")
def hostile():
    return report_context(fixture_kb(), fixture_profile(HOSTILE))


# --- snapshots ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_the_night_cramps_report_matches_its_snapshot(night, fmt):
    assert_snapshot(f"night-cramps.{fmt}", render_report(night, fmt))


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_the_emergency_report_with_withheld_advice_matches_its_snapshot(hostile, fmt):
    assert_snapshot(f"hyponatraemia-ice-or-heat.{fmt}", render_report(hostile, fmt))


def test_the_text_diagnosis_matches_its_snapshot():
    kb = fixture_kb()
    text = render_text(diagnose(kb, fixture_profile(NIGHT)), title=kb.manifest.title)
    assert_snapshot("night-cramps.txt", text)


# --- the JSON schema ---------------------------------------------------------------------


def test_the_published_schema_is_the_one_generated_from_the_context():
    if os.environ.get("CRAMP_UPDATE_SNAPSHOTS") == "1":
        path = REPO / "explain" / "schema" / "report.schema.json"
        path.write_text(json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n")
    assert published_schema() == report_schema(), (
        "explain/schema/report.schema.json is stale: python -m explain.json_schema > it"
    )
    jsonschema.Draft202012Validator.check_schema(published_schema())


@pytest.mark.parametrize("which", ["night", "hostile"])
def test_json_reports_validate_against_the_published_schema(which, request):
    data = json.loads(render_report(request.getfixturevalue(which), "json"))
    VALIDATOR.validate(data)


def test_the_schema_rejects_a_report_missing_its_triage(night):
    data = json.loads(render_report(night, "json"))
    del data["triage"]
    assert not VALIDATOR.is_valid(data)


# --- the documented context --------------------------------------------------------------


def _context_classes():
    return [
        cls
        for cls in vars(context_module).values()
        if isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and cls.__module__ == context_module.__name__
    ]


@pytest.mark.parametrize("cls", _context_classes(), ids=lambda c: c.__name__)
def test_every_context_field_has_help(cls):
    assert cls.__doc__ and cls.__doc__.strip()
    for f in dataclasses.fields(cls):
        assert f.metadata.get("help", "").strip(), f"{cls.__name__}.{f.name} has no help"
    typing.get_type_hints(cls, vars(context_module))  # every annotation resolves


def test_the_report_context_reference_in_docs_is_current():
    path = REPO / "docs" / "report-context.md"
    if os.environ.get("CRAMP_UPDATE_SNAPSHOTS") == "1":
        path.write_text(context_markdown(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == context_markdown(), (
        "docs/report-context.md is stale: python -m explain.context_docs > docs/report-context.md"
    )


def test_the_template_example_in_the_docs_renders(night):
    text = context_markdown()
    example = re.search(r"```jinja\n(.*?)```", text, re.S).group(1)
    out = environment().from_string(example).render(report=night)
    assert night.triage.title in out and night.causes[0].title in out


def test_a_misspelt_name_in_a_template_is_an_error_not_an_empty_string(night):
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ report.triage.tierr }}").render(report=night)


# --- safety first, and every recommendation traceable -----------------------------------


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_triage_and_the_disclaimer_come_before_anything_else(hostile, fmt):
    text = render_report(hostile, fmt)
    triage = text.index("Triage: Emergency")
    disclaimer = text.index("not a diagnosis")
    causes = text.index("Likely causes")
    assert triage < disclaimer < causes
    heading = "## " if fmt == "md" else "<h2>"
    order = ["Likely causes", "What to do", "How the conclusions were reached"]
    order += ["Sources, with the quotes and summaries used", "Your answers"]
    positions = [text.index(heading + s) for s in order] + [text.index("content hash")]
    assert positions == sorted(positions)
    json_keys = list(json.loads(render_report(hostile, "json")))
    assert json_keys.index("triage") < json_keys.index("causes") < json_keys.index("phases")


def test_withheld_advice_is_shown_with_the_finding_and_reason_and_not_recommended(hostile):
    recommended = {a.id for p in hostile.phases for a in p.advice}
    withheld = {w.id: w for w in hostile.withheld}
    assert set(withheld) == {"hydrate_before_during", "replace_electrolytes"}
    assert not recommended & set(withheld)
    (reason,) = withheld["hydrate_before_during"].reasons
    assert reason.finding == "possible_hyponatraemia" and reason.tags == ("drinking",)
    assert reason.because.startswith("Drinking more can make low blood sodium worse")
    assert [c.id for c in reason.claims] == ["safety-no-more-water"]
    assert "Not advised for you now" in render_report(hostile, "html")


# --- the clinical reasoning, referral first, in every format -----------------------------

FORMATS = ["text", "md", "html", "json"]


def _render(context, kb, profile, fmt: str) -> str:
    if fmt == "text":
        return render_text(diagnose(kb, profile), title=kb.manifest.title)
    text = render_report(context, fmt)
    return html.unescape(re.sub(r"<[^>]+>", " ", text)) if fmt == "html" else text


def _flat(text: str) -> str:
    """Words only: Markdown escapes and line breaks do not split a phrase."""
    return " ".join(text.replace("\\", "").split())


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_the_findings_after_the_triage_and_before_the_causes(hostile, fmt):
    kb = fixture_kb()
    text = _flat(_render(hostile, kb, fixture_profile(HOSTILE), fmt))
    finding = "Possible low blood sodium"
    says = "Confusion or vomiting after a lot of plain water can be low blood sodium."
    assert finding in text and says in text
    if fmt == "json":
        data = json.loads(render_report(hostile, "json"))
        assert [f["id"] for f in data["findings"]] == ["possible_hyponatraemia"]
        assert data["findings"][0]["warning_sign"] is True
        assert [c["id"] for c in data["findings"][0]["claims"]] == ["safety-hyponatraemia"]
        assert data["triage"]["findings"] == ["possible_hyponatraemia"]
        return
    triage = text.index("TRIAGE: EMERGENCY" if fmt == "text" else "Triage: Emergency")
    causes = text.index("LIKELY CAUSES" if fmt == "text" else "Likely causes")
    assert triage < text.index("What your answers point to") < text.index(says) < causes


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_withheld_advice_with_its_reason_before_any_advice(hostile, fmt):
    kb = fixture_kb()
    text = _flat(_render(hostile, kb, fixture_profile(HOSTILE), fmt))
    because = "Drinking more can make low blood sodium worse, so no advice to drink is given."
    if fmt == "json":
        data = json.loads(render_report(hostile, "json"))
        keys = list(data)
        assert keys.index("triage") < keys.index("withheld") < keys.index("phases")
        reasons = {w["id"]: w["reasons"] for w in data["withheld"]}
        assert reasons["hydrate_before_during"][0]["because"] == because
        assert reasons["hydrate_before_during"][0]["finding_title"] == "Possible low blood sodium"
        return
    heading = "NOT ADVISED FOR YOU NOW" if fmt == "text" else "Not advised for you now"
    start = text.index(heading)
    advice = text.index("WHAT TO DO" if fmt == "text" else "What to do")
    assert text.index("mergency") < start < text.index(because) < advice
    section = text[start:advice]
    assert "Drink before and during runs" in section  # the title, with its finding
    assert "because of Possible low blood sodium" in section
    assert "Safety net" in section or "safety-no-more-water" in section  # the source
    # Its full text is never shown as something to do.
    assert fixture_kb().advice["hydrate_before_during"].text not in text


SPARSE = {"cramp_timing": ["night"], "muscles": ["calf"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_sparse_answers_list_the_unchecked_warning_signs_and_are_never_an_all_clear(fmt):
    from knowledge import parse_profile

    profile = parse_profile(SPARSE, REAL_KB)
    context = report_context(REAL_KB, profile)
    assert context.triage.tier == "self_care" and not context.triage.all_clear
    assert context.triage.unchecked
    text = _flat(_render(context, REAL_KB, profile, fmt))
    all_clear = _flat(REAL_KB.manifest.tiers["self_care"].action)
    assert all_clear not in text
    assert _flat(REAL_KB.manifest.tiers["self_care"].action_unchecked) in text
    if fmt == "json":
        data = json.loads(render_report(context, "json"))
        assert data["triage"]["all_clear"] is False
        assert [u["question"] for u in data["triage"]["unchecked"]] == [
            u.question for u in context.triage.unchecked
        ]
        return
    start = text.index("Not checked yet, so this is not an all-clear")
    for unchecked in context.triage.unchecked:
        assert text.index(_flat(unchecked.prompt), start)
    assert start < text.index("LIKELY CAUSES" if fmt == "text" else "Likely causes")
    assert "You answered every warning-sign question" not in text


def test_an_urgent_summary_is_never_worded_not_urgent_even_with_no_finding_behind_it():
    from knowledge import load_profile_text
    from knowledge.bundled import example_path

    path = example_path("red-flag-calf-tear")
    context = report_context(REAL_KB, load_profile_text(path.read_bytes(), REAL_KB, path.name))
    assert context.triage.tier == "urgent" and context.triage.claims
    summary = render_report(dataclasses.replace(context, findings=()), "html")
    summary = summary[summary.index('<div id="summary">') : summary.index('<nav class="contents"')]
    assert "Not urgent" not in summary
    assert 'href="#triage-why">the 6 claims behind this tier' in summary


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_all_clear_wording_comes_only_when_every_warning_sign_was_answered(night, fmt):
    kb = fixture_kb()
    assert night.triage.all_clear and not night.triage.unchecked
    text = _flat(_render(night, kb, fixture_profile(NIGHT), fmt))
    assert _flat(kb.manifest.tiers["self_care"].action) in text
    assert "not an all-clear" not in text
    if fmt in ("md", "html"):
        assert "You answered every warning-sign question" in text
    if fmt == "json":
        assert json.loads(render_report(night, "json"))["triage"]["all_clear"] is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_caution_is_shown_beside_the_advice_it_qualifies(fmt):
    import yaml

    from knowledge import parse_profile
    from knowledge.bundled import example_path

    data = yaml.safe_load(example_path("long-hot-run").read_text(encoding="utf-8"))
    profile = parse_profile({**data, "medications": ["diuretic"]}, REAL_KB)
    context = report_context(REAL_KB, profile)
    (advice,) = [a for p in context.phases for a in p.advice if a.id == "replace_electrolytes"]
    (caution,) = advice.cautions
    assert caution.finding == "salt_needs_doctor"
    text = _flat(_render(context, REAL_KB, profile, fmt))
    if fmt == "json":
        data = json.loads(render_report(context, "json"))
        shown = [a for p in data["phases"] for a in p["advice"] if a["id"] == advice.id]
        assert shown[0]["cautions"][0]["says"] == caution.says
        return
    # Wherever the advice is shown (the summary, the advice section), its caution is
    # beside it, not in a list far below; and never anywhere without the advice.
    shown = [m.start() for m in re.finditer(re.escape(_flat(advice.text)), text)]
    assert shown and text.index(_flat(advice.text)) > text.index(
        "TRIAGE:" if fmt == "text" else "Triage:"
    )
    for title in shown:
        said = text.index(_flat(caution.says), title)
        assert said - title < 2000
    assert text.index(_flat(caution.says)) > shown[0]


def test_conflicting_advice_is_shown_side_by_side(hostile):
    (conflict,) = [c for c in hostile.conflicts if c.type == "advice"]
    assert [s.item for s in conflict.sides] == ["ice_sore_areas", "heat_packs"]
    md = render_report(hostile, "md")
    assert "| Ice the sore areas | Use heat packs on lasting soreness |" in md


def test_declared_bias_is_shown_beside_the_causes_it_bears_on(night):
    html = render_report(night, "html")
    causes = html[html.index('id="causes"') : html.index('id="advice"')]
    assert "Declared bias of Leg cramps at night after running" in causes


def check_citations(context: ReportContext) -> None:
    """Every recommendation cites a claim with a source and a verbatim quote."""
    kb_claims = {}
    for phase in context.phases:
        for advice in phase.advice:
            assert advice.claims, f"{advice.id} cites no claim"
            for claim in advice.claims:
                assert claim.source and claim.source_title
                assert (claim.quote or "").strip() or (claim.summary and claim.pages)
                kb_claims[claim.id] = claim
    quoted = {q.claim: (q.quote, q.summary) for s in context.sources for q in s.quotes}
    for claim_id, claim in kb_claims.items():
        # ...and the sources section carries the same quote (or page summary).
        assert quoted[claim_id] == (claim.quote, claim.summary)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(REAL_KB, names=True))
def test_every_recommendation_in_any_report_cites_a_claim_with_source_and_quote(profile):
    context = report_context(REAL_KB, profile)
    check_citations(context)
    data = json.loads(render_report(context, "json"))
    VALIDATOR.validate(data)
    for phase in data["phases"]:
        for advice in phase["advice"]:
            for c in advice["claims"]:
                assert c["source_title"]
                # An article's verbatim quote, or a public page's summary naming the page.
                assert c["quote"] or (c["summary"] and c["pages"])
    html = render_report(context, "html")
    for phase in context.phases:
        for advice in phase.advice:
            assert f'id="advice-{advice.id}"' in html
            for claim in advice.claims:
                assert f'id="claim-{claim.id}"' in html  # the quote a link leads to


def _shown_as_advice(kb, context) -> set[str]:
    return {a.id for p in context.phases for a in p.advice}


def _forbidden(kb, finding_ids) -> set[str]:
    """Advice tags the safety policy forbids while these findings hold."""
    return {t for rule in kb.policy if rule.finding in finding_ids for t in rule.forbids}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_red_flag_tear_runner_is_never_told_to_heat_massage_stretch_or_run(fmt):
    from knowledge import load_profile_text
    from knowledge.bundled import example_path

    path = example_path("red-flag-calf-tear")
    profile = load_profile_text(path.read_bytes(), REAL_KB, path.name)
    context = report_context(REAL_KB, profile)
    found = {f.id for f in context.findings}
    assert {"possible_strain_or_tear", "possible_clot"} <= found
    forbidden = _forbidden(REAL_KB, found)
    assert {"heat", "massage", "stretch", "running"} <= forbidden
    for advice_id in _shown_as_advice(REAL_KB, context):
        assert not forbidden & set(REAL_KB.advice[advice_id].acts_on), advice_id
    assert {"heat_on_cramp", "massage_cramp", "stretch_cramped_muscle"} <= {
        w.id for w in context.withheld
    }
    text = _flat(_render(context, REAL_KB, profile, fmt))
    for w in context.withheld:
        assert _flat(REAL_KB.advice[w.id].text) not in text, w.id
    if fmt != "json":
        # The referral comes before anything to do, and what is withheld says why first.
        urgent, withheld = "Urgent", "Not advised for you now"
        if fmt == "text":
            urgent, withheld = urgent.upper(), withheld.upper()
        assert text.index(urgent) < text.index(withheld)


def _with_warning_signs():
    """Any runner, with the answers that make one warning-sign finding hold laid over."""
    from hypothesis import strategies as st

    from knowledge.conditions import FindingTest
    from knowledge.satisfy import satisfying_answers

    witnesses = [
        satisfying_answers(REAL_KB, [FindingTest(f)])
        for f, finding in REAL_KB.findings.items()
        if finding.warning_sign
    ]
    witnesses = [w for w in witnesses if w]

    def overlay(pair):
        runner, answers = pair
        kept = {**runner.answers, **answers}
        return Profile(kept, runner.unknown - set(answers), runner.name, runner.notes)

    return st.tuples(profiles(REAL_KB), st.sampled_from(witnesses)).map(overlay)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_with_warning_signs())
def test_no_format_shows_withheld_advice_as_something_to_do(profile):
    context = report_context(REAL_KB, profile)
    forbidden = _forbidden(REAL_KB, {f.id for f in context.findings})
    for advice_id in _shown_as_advice(REAL_KB, context):
        assert not forbidden & set(REAL_KB.advice[advice_id].acts_on), advice_id
    texts = [_flat(_render(context, REAL_KB, profile, fmt)) for fmt in ("text", "md", "html")]
    for w in context.withheld:
        assert w.reasons and all(r.because and r.claims for r in w.reasons)
        for text in texts:
            assert _flat(REAL_KB.advice[w.id].text) not in text, w.id
            assert w.reasons[0].finding_title in text


# --- runner text is untrusted ------------------------------------------------------------


def test_runner_text_is_escaped_in_html(hostile):
    html = render_report(hostile, "html")
    assert "<script>" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>yesterday</b>" not in html
    assert "&lt;b&gt;yesterday&lt;/b&gt;" in html
    assert 'href="https://example.invalid"' not in html


def test_runner_text_cannot_make_markdown_links_tables_or_html(hostile):
    md = render_report(hostile, "md")
    name_line = md.splitlines()[0]
    assert "<script>" not in md and "<b>" not in md
    # No unescaped link syntax, but the report's own links to its fixed headings.
    assert not re.search(r"(?<!\\)\]\((?!#[a-z-]+\))", md)
    assert r"\<script\>" in name_line and r"\|" in name_line and r"\[click\]" in name_line
    notes = next(line for line in md.splitlines() if line.startswith("**Notes:**"))
    assert r"\<b\>yesterday\</b\>" in notes


def test_html_reports_carry_no_script_and_load_nothing(hostile):
    html = render_report(hostile, "html")
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(", html, re.I)
    assert "default-src 'none'" in html
    # Only safety-net pages are linked (followed only if clicked), and only as anchors.
    assert set(re.findall(r'src="([^"]*)"', html)) == set()


# --- write_report ------------------------------------------------------------------------


def test_write_report_takes_the_format_from_the_extension(tmp_path):
    kb, profile = fixture_kb(), fixture_profile(NIGHT)
    for name, start in [("r.md", "# "), ("r.html", "<!DOCTYPE html>"), ("r.json", "{")]:
        path = write_report(kb, profile, tmp_path / name)
        assert path.read_text(encoding="utf-8").startswith(start)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.md"]


def test_write_report_refuses_to_overwrite_unless_forced(tmp_path):
    kb, profile = fixture_kb(), fixture_profile(NIGHT)
    path = tmp_path / "r.md"
    path.write_text("keep me")
    with pytest.raises(FileExistsError):
        write_report(kb, profile, path)
    assert path.read_text() == "keep me"
    write_report(kb, profile, path, force=True)
    assert path.read_text(encoding="utf-8").startswith("# ")
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]  # no temporary file left


def test_write_report_rejects_unknown_formats(tmp_path):
    kb, profile = fixture_kb(), fixture_profile(NIGHT)
    with pytest.raises(ValueError, match=r"\.md, \.markdown, \.html"):
        write_report(kb, profile, tmp_path / "r.txt")
    with pytest.raises(ValueError, match="expected one of: md, html, json"):
        write_report(kb, profile, tmp_path / "r.md", fmt="pdf")
    assert list(tmp_path.iterdir()) == []


def test_an_explicit_format_overrides_the_extension(tmp_path):
    path = write_report(fixture_kb(), fixture_profile(NIGHT), tmp_path / "report.txt", "json")
    assert json.loads(path.read_text(encoding="utf-8"))["report_format"] == 1


def test_an_empty_profile_still_gets_a_complete_report():
    context = report_context(REAL_KB, Profile())
    assert context.triage.tier == "self_care"
    for fmt in ("md", "html", "json"):
        assert render_report(context, fmt)
