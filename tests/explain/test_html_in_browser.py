"""The HTML report opened in headless Chromium: it renders, loads nothing, runs nothing.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the ``playwright``
Python package (a dev dependency); no browser is downloaded. Skipped if either is
missing. The screenshot is written under pytest's tmp dir and to tests/artifacts/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixture_data import HOSTILE, NIGHT, fixture_kb, fixture_profile

from cramp import write_report

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.mark.parametrize("profile", [NIGHT, HOSTILE], ids=["night", "hostile"])
def test_the_html_report_renders_in_chromium_without_errors_or_requests(browser, tmp_path, profile):
    report = write_report(fixture_kb(), fixture_profile(profile), tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: errors.append(f"dialog opened: {d.message}"))
    page.goto(report.as_uri(), wait_until="load")
    page.wait_for_timeout(200)

    assert errors == []
    assert requests == [report.as_uri()]
    assert page.evaluate("document.scripts.length") == 0
    # Triage is the first thing on the page, and it is visible.
    first = page.locator("section").first
    assert first.get_attribute("id") == "triage"
    assert first.is_visible()
    # The derivation graph is drawn inline, and its boxes link into the report.
    assert page.locator("#derivation-graph g.node").count() > 5
    href = page.locator("#derivation-graph a").first.get_attribute("href")
    assert href.startswith("#") and page.locator(href).count() == 1
    # Every anchor link inside the report leads somewhere.
    missing = page.evaluate(
        """[...document.querySelectorAll('a[href^="#"]')]
             .map(a => a.getAttribute('href'))
             .filter(h => !document.getElementById(h.slice(1)))"""
    )
    assert missing == []

    shot = tmp_path / f"report-{profile.stem}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    print(f"screenshot: {ARTIFACTS / shot.name}")

    # It prints: print media applies, and a PDF comes out with several pages.
    page.emulate_media(media="print")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.read_bytes().count(b"/Type /Page") > 2
    page.close()


def test_runner_text_shows_as_text_in_chromium(browser, tmp_path):
    report = write_report(fixture_kb(), fixture_profile(HOSTILE), tmp_path / "report.html")
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    page.goto(report.as_uri())
    assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
    assert dialogs == []
    assert page.locator("a[href='https://example.invalid']").count() == 0
    page.close()


def test_the_referral_findings_and_withheld_advice_come_first_on_the_page(browser, tmp_path):
    report = write_report(fixture_kb(), fixture_profile(HOSTILE), tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(report.as_uri())
    top = {
        name: page.locator(selector).bounding_box()["y"]
        for name, selector in [
            ("action", "#triage .action"),
            ("finding", "#finding-possible_hyponatraemia"),
            ("withheld", "#withheld"),
            ("causes", "#causes"),
            ("advice", "#advice"),
        ]
    }
    assert list(top) == sorted(top, key=top.__getitem__)
    # The action is on the first screen, and the finding is drawn inside the triage box.
    assert top["action"] < 900
    assert page.locator("#triage #finding-possible_hyponatraemia").is_visible()
    # The withheld item is listed with the reasons that withhold it, in the same entry.
    withheld = page.locator("#withheld-hydrate_before_during")
    entry = withheld.locator("xpath=ancestor::li[contains(., 'Not advised because of')][1]")
    assert withheld.is_visible() and "Possible low blood sodium" in entry.inner_text()
    # Its link opens the reason in full (folded under the list, to keep the summary short).
    link = entry.locator("a").first
    reason = page.locator(link.get_attribute("href"))
    link.click()
    assert reason.is_visible() and "no advice to drink" in reason.inner_text()


def test_knowledge_base_markup_cannot_hide_the_triage_or_navigate(browser, tmp_path):
    # Bug: the macros in _html.j2 were not autoescaped (the name has no .html in it), so a
    # --kb whose texts held <style> and <meta http-equiv="refresh"> hid the URGENT box
    # and sent the page elsewhere; the Content-Security-Policy stops only scripts.
    from reliability_support import MARKUP, markup_kb

    from knowledge import load_knowledge_base, load_profile_text

    kb = load_knowledge_base(markup_kb(tmp_path))
    profile = load_profile_text(HOSTILE.read_bytes(), kb, HOSTILE.name)
    report = write_report(kb, profile, tmp_path / "report.html")
    page = browser.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: dialogs.append(d.message))
    page.goto(report.as_uri(), wait_until="load")
    page.wait_for_timeout(1500)  # a refresh with a delay of 0 would have fired by now

    assert page.url == report.as_uri()
    assert requests == [report.as_uri()]
    assert dialogs == []
    triage = page.locator("section#triage")
    assert triage.is_visible() and "Emergency" in triage.inner_text()
    # Only the report's own style sheet and meta elements; the markup shows as text.
    # The page's own style and one per graph drawn (the explanation, the full derivation).
    assert page.locator("svg").count() == 2
    assert page.evaluate("document.querySelectorAll('style').length") == 3
    assert page.evaluate("document.querySelectorAll('meta[http-equiv=refresh], img').length") == 0
    assert MARKUP in page.locator("h2").first.inner_text() or MARKUP in page.inner_text("body")
    page.close()
