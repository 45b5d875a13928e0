"""How the HTML report of every bundled example reads in Chromium: the triage and what to
do now on the first screen, nothing wider than a phone, no serious accessibility
violation, and a red-flag report that prints on a few pages with the summary on page 1.

Needs Debian's ``chromium`` and the dev dependencies (Playwright, pypdf,
axe-playwright-python, which carries axe-core's ``axe.min.js``); no browser is
downloaded. The browser tests are skipped, with the reason, only when one is missing.
The condensed graph's size is checked without a browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cramp import write_report
from knowledge import load_knowledge_base, load_profile_text
from knowledge.bundled import examples_directory

EXAMPLES = sorted(p.stem for p in examples_directory().glob("*.yaml"))
KB = load_knowledge_base()

#: Pixels of the first screen on a desktop, and the height of a phone screen.
FIRST_SCREEN = 1000
PHONE = {"width": 390, "height": 844}
#: Printed pages allowed for the red-flag report (the full derivation is not printed).
MAX_PAGES = 8


def _profile(name: str):
    source = examples_directory() / f"{name}.yaml"
    return load_profile_text(source.read_bytes(), KB, source.name)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    return {n: write_report(KB, _profile(n), folder / f"{n}.html") for n in EXAMPLES}


def _bottom(page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not drawn"
    return box["y"] + box["height"]


#: Elements that stick out past the right edge of the window, outside a scroll region.
WIDER_JS = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.graph'))
  .filter(e => { const r = e.getBoundingClientRect();
                 return r.width > 0 && r.right > window.innerWidth + 0.5; })
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
            (e.className && e.className.baseVal === undefined ? '.' + e.className : ''))"""


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_triage_and_what_to_do_now_are_on_the_first_screen(browser, reports, name):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(reports[name].as_uri())
    # The summary opens the page: the tier, its action and what to do now for that tier.
    assert page.locator("main > #summary > section").first.get_attribute("id") == "triage"
    assert _bottom(page, "#triage .action") <= FIRST_SCREEN
    assert _bottom(page, "#now") <= FIRST_SCREEN
    # The likeliest causes and the first things to do follow on the same summary, and
    # the whole summary fits the first screen.
    for selector in ("#summary-causes", "#summary-advice"):
        assert page.locator(f"#summary {selector}").count() == 1
    assert _bottom(page, "#summary") <= FIRST_SCREEN
    page.close()


@pytest.mark.parametrize("name", EXAMPLES)
def test_on_a_phone_nothing_is_wider_than_the_screen(browser, reports, name):
    page = browser.new_page(viewport=PHONE)
    page.goto(reports[name].as_uri())
    assert _bottom(page, "#now") <= 2 * PHONE["height"]
    # The whole summary, withheld advice and unchecked signs included, in two screens.
    assert _bottom(page, "#summary") <= 2 * PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(WIDER_JS) == []
    # The graph may scroll, inside a region that is labelled and reachable by keyboard.
    for region in page.locator(".graph").all():
        assert region.get_attribute("role") == "region" and region.get_attribute("aria-label")
        assert region.get_attribute("tabindex") == "0"
    page.close()


AXE_JS = """async () => (await axe.run(document)).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.length)"""


@pytest.mark.parametrize("name", EXAMPLES)
def test_axe_finds_no_serious_or_critical_violation(browser, reports, name):
    axe = pytest.importorskip("axe_playwright_python", reason="axe-playwright-python missing")
    page = browser.new_page(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page.goto(reports[name].as_uri())
    page.add_script_tag(path=str(Path(axe.__file__).with_name("axe.min.js")))
    assert page.evaluate(AXE_JS) == []
    # Landmarks: one main, the summary and the contents inside the page's structure.
    assert page.locator("main").count() == 1
    assert page.locator("nav.contents a").count() >= 5
    page.close()


def _text(page) -> str:
    """A PDF page's text with ligatures undone ("oﬀ" → "off") and spaces collapsed."""
    import unicodedata

    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", page.extract_text()))


def test_the_red_flag_report_prints_the_summary_on_page_1_and_fits_eight_pages(
    browser, reports, tmp_path
):
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed")
    from explain.build import report_context

    context = report_context(KB, _profile("red-flag-calf-tear"))
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(reports["red-flag-calf-tear"].as_uri())
    page.emulate_media(media="print")
    pdf = tmp_path / "red-flag.pdf"
    page.pdf(path=str(pdf), format="A4")
    page.close()
    pages = pypdf.PdfReader(pdf).pages
    assert len(pages) <= MAX_PAGES
    first = _text(pages[0])
    summary = context.summary
    expected = [f"Triage: {summary.tier_title}", summary.action, "Most likely causes"]
    expected += [c.title for c in summary.causes]
    expected += [a.title for p in summary.advice for a in p.advice]
    expected += [f.title for f in context.findings]
    expected += [w.title for w in context.withheld]
    missing = [t for t in expected if re.sub(r"\s+", " ", t) not in first]
    assert missing == []
    # The evidence starts on page 2: nothing of the summary is split onto it.
    assert _text(pages[1]).startswith("Why this triage level")


def test_the_condensed_graph_of_the_red_flag_report_is_small_and_in_words():
    from explain.build import report_context
    from explain.render import graph_svg

    context = report_context(KB, _profile("red-flag-calf-tear"))
    view = context.explanation
    assert 0 < len(view.nodes) <= 40
    for node in view.nodes:
        # Human labels, never ids ("support:dd-drink-before", "derived fact: Support").
        assert node.label != node.id and not re.search(r"\b\w+:[\w-]+", node.label)
        assert "derived fact" not in node.label and "derived fact" not in node.sublabel
    svg = str(graph_svg(view, "graph", element_id="explanation-graph", wrap=True))
    assert "…" not in svg  # no label cut short
    assert svg == str(graph_svg(view, "graph", element_id="explanation-graph", wrap=True))
    # Only the targets in the page are links; the drawing is a group, not an image.
    assert 'role="group"' in svg and "<a " in svg
