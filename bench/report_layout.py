"""Measure how the HTML report reads in a browser: how far down the advice starts, how
tall and wide the page is, how many pages it prints to, how big its graph is, and what
axe-core finds.

Run on demand (not a test); needs Debian's ``chromium`` and the dev dependencies
(Playwright, pypdf, axe-playwright-python)::

    uv run python bench/report_layout.py                      # every example
    uv run python bench/report_layout.py red-flag-calf-tear   # some examples, by name
    uv run python bench/report_layout.py --json out.json      # also write the figures
    uv run python bench/report_layout.py --runners 500        # and generated runners

For each example in ``knowledge/examples/`` it writes the HTML report with the bundled
knowledge base and reports:

* ``advice@1100`` / ``advice@390``: pixels from the top of the page to the first thing
  to do (``#now``, the summary's "what to do now", or else ``#advice``, the "What to
  do" section), at 1100 and 390 px wide;
* ``summary@1100`` / ``summary@390``: pixels from the top of the page to the bottom of
  the whole summary (``#summary``: triage, withheld advice, unchecked signs, causes and
  things to do), at 1100 and 390 px wide;
* ``height``: the page's height at 1100 px; ``width@390``: its scroll width at 390 px;
* ``tabs``: tab stops before that first thing to do;
* ``pdf``: pages printed on A4 (print media, as Chromium prints);
* ``nodes``/``edges``/``cut``: boxes, arrows and labels cut short with "…" in the graph
  shown by default (the first SVG of the ``#graph`` section); ``graph KB``: its markup;
* ``links in img``: links inside an SVG with ``role=img`` (nested interactive content);
* ``KB``: the file's size; ``serious``/``critical``: axe-core violations by impact
  (every rule axe runs by default).

With ``--runners N`` it also draws N runners (a seeded draw of
:mod:`cramp.authoring.runners`, with and without warning signs; repeats dropped) and
prints the furthest the summary ends at each width: the summary is meant to be short
for any runner, not only for the examples.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "knowledge" / "examples"
# The same browser, started the same way, as the report-layout tests.
sys.path.insert(0, str(REPO / "tests"))
from browser_support import ARGS, CHROMIUM  # noqa: E402

#: Where the first thing to do is: the summary's "what to do now", else the advice section.
ADVICE_JS = "document.querySelector('#now') || document.querySelector('#advice')"

#: The bottom of the whole summary, in pixels from the top of the page (null if none).
SUMMARY_BOTTOM = (
    "(s => s ? Math.round(s.getBoundingClientRect().bottom + window.scrollY) : null)"
    "(document.querySelector('#summary'))"
)

MEASURE_JS = f"""() => {{
  const target = {ADVICE_JS};
  const top = target ? target.getBoundingClientRect().top + window.scrollY : null;
  const focusable = [...document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
    .filter(e => e.getClientRects().length > 0);
  const before = target ? focusable.filter(
    e => e.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING
         && !target.contains(e)).length : null;
  const graph = document.querySelector('#graph svg');
  const texts = graph ? [...graph.querySelectorAll('text, tspan')] : [];
  const imgLinks = [...document.querySelectorAll('svg[role="img"] a')].length;
  return {{
    advice: top === null ? null : Math.round(top),
    summary: {SUMMARY_BOTTOM},
    height: document.documentElement.scrollHeight,
    width: document.documentElement.scrollWidth,
    tabs: before,
    nodes: graph ? graph.querySelectorAll('g.node').length : 0,
    edges: graph ? graph.querySelectorAll('.edge').length : 0,
    cut: texts.filter(t => t.textContent.includes('\\u2026')).length,
    graph_bytes: graph ? new TextEncoder().encode(graph.outerHTML).length : 0,
    links_in_img: imgLinks,
  }};
}}"""

AXE_JS = """async () => {
  const result = await axe.run(document);
  const out = {critical: 0, serious: 0, moderate: 0, minor: 0, rules: []};
  for (const v of result.violations) {
    out[v.impact] = (out[v.impact] || 0) + 1;
    out.rules.push(v.id + ' (' + v.impact + ', ' + v.nodes.length + ')');
  }
  return out;
}"""


def pdf_pages(path: Path) -> int:
    """Pages in a PDF (pypdf when installed, else a count of page objects)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page[^s]", path.read_bytes()))
    return len(PdfReader(path).pages)


def measure(browser: Any, report: Path, axe_script: Path | None) -> dict[str, Any]:
    """Every figure for one HTML report."""
    out: dict[str, Any] = {"bytes": report.stat().st_size}
    page = browser.new_page(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page.goto(report.as_uri(), wait_until="load")
    wide = page.evaluate(MEASURE_JS)
    out.update(
        {
            "advice@1100": wide["advice"],
            "summary@1100": wide["summary"],
            "height": wide["height"],
            "tabs": wide["tabs"],
            "nodes": wide["nodes"],
            "edges": wide["edges"],
            "cut": wide["cut"],
            "graph_bytes": wide["graph_bytes"],
            "links_in_img": wide["links_in_img"],
        }
    )
    if axe_script is not None:
        page.add_script_tag(path=str(axe_script))
        axe = page.evaluate(AXE_JS)
        out.update(serious=axe["serious"], critical=axe["critical"], axe_rules=axe["rules"])
    page.emulate_media(media="print")
    pdf = report.with_suffix(".pdf")
    page.pdf(path=str(pdf), format="A4")
    out["pdf"] = pdf_pages(pdf)
    page.close()
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(report.as_uri(), wait_until="load")
    narrow = page.evaluate(MEASURE_JS)
    out["advice@390"] = narrow["advice"]
    out["summary@390"] = narrow["summary"]
    out["width@390"] = narrow["width"]
    page.close()
    return out


SUMMARY_JS = f"() => {SUMMARY_BOTTOM}"


def generated_runners(browser: Any, kb: Any, count: int, folder: Path) -> dict[str, Any]:
    """The furthest the summary ends, at 1100 and 390 px, over ``count`` drawn runners."""
    from hypothesis import strategies as st

    from cramp import write_report
    from cramp.authoring.runners import draw, profiles

    strategy = st.one_of(profiles(kb), profiles(kb, red_flags=True), profiles(kb, names=True))
    seen: set[str] = set()
    worst: dict[str, Any] = {"runners": 0, "summary@1100": 0, "summary@390": 0}
    pages = {
        "summary@1100": browser.new_page(viewport={"width": 1100, "height": 900}),
        "summary@390": browser.new_page(viewport={"width": 390, "height": 844}),
    }
    for profile in draw(strategy, count, seed=20):
        key = repr((sorted(profile.answers.items()), sorted(profile.unknown)))
        if key in seen:
            continue
        seen.add(key)
        report = write_report(kb, profile, folder / "runner.html", force=True)
        worst["runners"] += 1
        for column, page in pages.items():
            page.goto(report.as_uri(), wait_until="load")
            worst[column] = max(worst[column], page.evaluate(SUMMARY_JS) or 0)
    for page in pages.values():
        page.close()
    return worst


def axe_path() -> Path | None:
    try:
        import axe_playwright_python
    except ImportError:
        return None
    return Path(axe_playwright_python.__file__).with_name("axe.min.js")


COLUMNS = [
    ("advice@1100", "advice@1100"),
    ("advice@390", "advice@390"),
    ("summary@1100", "summary@1100"),
    ("summary@390", "summary@390"),
    ("height", "height"),
    ("width@390", "width@390"),
    ("tabs", "tabs"),
    ("pdf", "pdf"),
    ("nodes", "nodes"),
    ("edges", "edges"),
    ("cut", "cut"),
    ("graph KB", "graph_bytes"),
    ("links in img", "links_in_img"),
    ("KB", "bytes"),
    ("serious", "serious"),
    ("critical", "critical"),
]


def table(results: dict[str, dict[str, Any]]) -> str:
    """The figures as a Markdown table, one row per example."""
    head = "| example | " + " | ".join(name for name, _ in COLUMNS) + " |"
    rule = "| --- |" + " ---: |" * len(COLUMNS)
    rows = [head, rule]
    for name, figures in results.items():
        cells = []
        for _, key in COLUMNS:
            value = figures.get(key)
            if key.endswith("bytes") and value is not None:
                value = f"{value / 1000:.0f}"
            cells.append("" if value is None else str(value))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", nargs="*", help="example names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", type=Path, help="keep the reports and PDFs in this folder")
    parser.add_argument(
        "--runners", type=int, default=0, help="also measure the summary for N drawn runners"
    )
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("chromium is not installed (Debian: apt-get install -y chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from cramp import write_report
    from knowledge import load_knowledge_base, load_profile_text

    kb = load_knowledge_base()
    names = args.examples or sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="report-layout-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name in names:
                source = EXAMPLES / f"{name}.yaml"
                profile = load_profile_text(source.read_bytes(), kb, source.name)
                report = write_report(kb, profile, folder / f"{name}.html", force=True)
                results[name] = measure(browser, report, axe_path())
            worst = generated_runners(browser, kb, args.runners, folder) if args.runners else None
            browser.close()
    print(table(results))
    if worst is not None:
        print(
            f"{worst['runners']} generated runners: the summary ends at most "
            f"{worst['summary@1100']} px down at 1100 px, {worst['summary@390']} px at 390 px"
        )
        results["generated runners"] = worst
    for name, figures in results.items():
        if figures.get("axe_rules"):
            print(f"{name}: axe: {', '.join(figures['axe_rules'])}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
