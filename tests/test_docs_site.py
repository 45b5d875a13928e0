"""The built documentation site: Mermaid served by the site itself, nothing fetched from
another host, diagrams that really render, and pages that pass axe-core's checks.

The site is built once, as CI builds it (``mkdocs build --strict``). The browser tests
need Debian's ``chromium`` and are skipped without it; nothing else is skipped. Mermaid
comes from docs_hooks/mermaid.py, which fetches the pinned release with npm when it is
not cached yet (``python docs_hooks/mermaid.py``).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _load_hook():
    spec = importlib.util.spec_from_file_location(
        "docs_mermaid", REPO / "docs_hooks" / "mermaid.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = _load_hook()
SCRIPT_URL = f"{HOOK.SITE_DIR}/{HOOK.SCRIPT}"


def diagrams() -> dict[str, list[str]]:
    """Every ```mermaid block in docs/, by page (docs-relative path)."""
    found: dict[str, list[str]] = {}
    for path in sorted(DOCS.rglob("*.md")):
        blocks = re.findall(r"^```mermaid\n(.*?)^```", path.read_text("utf-8"), re.M | re.S)
        if blocks:
            found[path.relative_to(DOCS).as_posix()] = blocks
    return found


def built_page(site: Path, page: str) -> Path:
    """Where mkdocs writes a docs page (directory URLs)."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / stem.removesuffix("index") / "index.html"
    return site / stem / "index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return out


def test_the_docs_have_a_diagram_and_its_page_loads_the_vendored_mermaid(site: Path) -> None:
    assert "architecture.md" in diagrams()
    html = built_page(site, "architecture.md").read_text("utf-8")
    tag = f'<script src="../{SCRIPT_URL}"></script>'
    assert tag in html
    # Before the theme's script, which draws the diagrams with the global it defines.
    assert html.index(tag) < HOOK.THEME_SCRIPT.search(html).start()
    script = site / SCRIPT_URL
    assert hashlib.sha256(script.read_bytes()).hexdigest() == HOOK.SCRIPT_SHA256
    assert "MIT License" in (site / HOOK.SITE_DIR / HOOK.LICENCE).read_text("utf-8")


def test_exactly_the_pages_with_a_diagram_load_mermaid(site: Path) -> None:
    with_diagram = {built_page(site, page) for page in diagrams()}
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == len(list(DOCS.rglob("*.md"))) + 1  # and 404.html
    for page in pages:
        html = page.read_text("utf-8")
        assert (HOOK.SCRIPT in html) == (page in with_diagram), page
        assert (HOOK.DIAGRAM in html) == (page in with_diagram), page


def test_no_page_refers_to_a_script_style_or_font_on_another_host(site: Path) -> None:
    for page in sorted(site.rglob("*.html")):
        html = page.read_text("utf-8")
        loaded = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html)
        loaded += re.findall(r"<link[^>]*\shref=\"([^\"]+)\"", html)
        remote = [url for url in loaded if re.match(r"(https?:)?//", url)]
        assert remote == [], f"{page.relative_to(site)} loads {remote}"


# --- in the browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(site: Path):
    """The built site over HTTP on the loopback interface (search needs a real origin)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class Visit:
    """A page opened with every request to another host refused and recorded."""

    def __init__(self, browser, base: str, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.route("**/*", functools.partial(self._route, base))
        self.page.goto(base + url, wait_until="load")

    def _route(self, base: str, route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()


def page_url(page: str) -> str:
    stem = page.removesuffix(".md")
    return stem.removesuffix("index") if stem.endswith("index") else f"{stem}/"


def labels(source: str) -> list[str]:
    """The first line of every node label in a Mermaid flowchart."""
    return [text.split("<br/>")[0] for text in re.findall(r'\w+[\[(]+"?([^"\])]+)', source)]


@pytest.mark.parametrize("page", sorted(diagrams()))
def test_every_diagram_renders_in_chromium_from_the_vendored_script_alone(
    browser, served: str, page: str, tmp_path: Path
) -> None:
    sources = diagrams()[page]
    visit = Visit(browser, served, page_url(page))
    # The theme swaps each <pre class="mermaid"> for the drawn diagram once it renders.
    visit.page.wait_for_function(
        "n => document.querySelectorAll('div.mermaid').length === n", arg=len(sources)
    )
    assert visit.page.locator("pre.mermaid").count() == 0
    boxes = visit.page.locator("div.mermaid").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert all(height > 100 for height in boxes), boxes
    # Each source parses and renders, with every node's label in the drawing.
    svgs = visit.page.evaluate(
        """async sources => {
             const out = [];
             for (const [i, source] of sources.entries()) {
               await mermaid.parse(source);
               out.push((await mermaid.render(`check-${i}`, source)).svg);
             }
             return out;
           }""",
        sources,
    )
    for source, svg in zip(sources, svgs, strict=True):
        assert svg.startswith("<svg")
        for label in labels(source):
            assert label in svg, label
    # And the check can fail: a node named `graph` (a Mermaid keyword) does not parse.
    refused = visit.page.evaluate(
        "s => mermaid.parse(s).then(() => 'parsed', e => String(e))",
        "flowchart LR\n  graph --> render",
    )
    assert "Parse error" in refused
    assert visit.elsewhere == []
    assert visit.errors == []
    shot = tmp_path / f"docs-{page.replace('/', '-')}.png"
    visit.page.screenshot(path=str(shot))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    visit.page.close()


#: Pages with every kind of content: prose with links, console blocks with comments and
#: output, tables, admonitions, the diagram, generated knowledge-base pages.
AUDITED = [
    "index.md",
    "getting-started.md",
    "contributing.md",
    "architecture.md",
    "authoring.md",
    "reliability.md",
    "knowledge-base/index.md",
    "knowledge-base/conflicts.md",
    # The source with the most claims.
    max(
        (p.relative_to(DOCS).as_posix() for p in DOCS.glob("knowledge-base/sources/*.md")),
        key=lambda page: (DOCS / page).read_text("utf-8").count('<a id="'),
    ),
]


@pytest.mark.parametrize("page", AUDITED)
def test_axe_finds_no_wcag_a_or_aa_violation(browser, served: str, page: str) -> None:
    import axe_playwright_python

    axe = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    visit = Visit(browser, served, page_url(page))
    visit.page.add_script_tag(path=str(axe))
    violations = visit.page.evaluate(
        """async () => (await axe.run(document, {
             runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
           })).violations.map(v => ({
             rule: v.id,
             where: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary),
           }))"""
    )
    assert violations == []
    # Links in running text are underlined, not told apart by colour alone.
    links = visit.page.locator("article :is(p, li, td) a:not(.headerlink)")
    assert links.count() > 0 or page in {"authoring.md", "reliability.md"}
    for decoration in links.evaluate_all(
        "links => links.map(a => getComputedStyle(a).textDecorationLine)"
    ):
        assert "underline" in decoration
    assert visit.elsewhere == []
    visit.page.close()


def test_console_blocks_show_prompts_and_the_copy_button_copies_commands_only(
    browser, served: str
) -> None:
    visit = Visit(browser, served, page_url("getting-started.md"))
    block = visit.page.locator(".highlight code:has(.gp)").first
    assert block.inner_text().startswith("$ ")
    # As the theme's copy button reads it (it marks the block while copying).
    copied = block.evaluate(
        """code => {
             code.setAttribute('data-md-copying', '');
             const text = code.innerText;
             code.removeAttribute('data-md-copying');
             return text;
           }"""
    )
    assert copied.strip()
    assert not any(line.startswith("$") for line in copied.splitlines())
    prompt = block.locator(".gp").first
    command = block
    assert prompt.evaluate("e => getComputedStyle(e).userSelect") == "none"
    assert command.evaluate("e => getComputedStyle(e).color") != prompt.evaluate(
        "e => getComputedStyle(e).color"
    )
    visit.page.close()
