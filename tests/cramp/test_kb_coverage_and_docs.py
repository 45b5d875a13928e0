"""`cramp kb coverage` and `cramp kb docs`: counts, conflicts, and docs that never go stale."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner
from conftest import REPO

from cramp.cli import cli
from explain import kb_docs
from explain.kb_docs import COMMAND, render_kb_docs, render_kb_pages
from knowledge import KnowledgeBase
from knowledge.coverage import KINDS, coverage

DOCS = REPO / "docs" / "knowledge-base"


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_coverage_counts_every_claim_once_by_source_and_kind(kb: KnowledgeBase) -> None:
    cov = coverage(kb)
    assert sum(s.total for s in cov.sources) == len(kb.claims) == cov.totals["total"]
    for s in cov.sources:
        assert sum(s.by_kind[k] for k in KINDS) == s.total


def test_coverage_finds_the_theories_the_sources_disagree_about(kb: KnowledgeBase) -> None:
    cov = coverage(kb)
    disputed = {d.theory: d for d in cov.theory_disagreements}
    assert set(disputed) >= {"dehydration", "electrolyte_imbalance"}
    [against] = [p for p in disputed["electrolyte_imbalance"].positions if p.stance == "disputes"]
    assert against.source == "rodmell"
    assert "body-wide" in against.reasons[0]


def test_cramp_kb_coverage_prints_counts_then_every_conflict(kb: KnowledgeBase) -> None:
    code, out = run_cli("kb", "coverage")
    assert code == 0
    assert out.startswith("Claims per source and kind\n")
    for source_id in kb.sources:
        assert f"\n{source_id} " in out
    for conflict_id in kb.conflicts:
        assert f"  {conflict_id}: " in out
    assert "Theories the sources disagree about" in out


def test_cramp_kb_coverage_json_has_counts_and_conflicts(kb: KnowledgeBase) -> None:
    code, out = run_cli("kb", "coverage", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {s["id"] for s in data["sources"]} == set(kb.sources)
    assert {c["id"] for c in data["advice_conflicts"]} == set(kb.conflicts)


def committed_pages() -> dict[str, str]:
    return {
        path.relative_to(DOCS).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(DOCS.rglob("*.md"))
    }


def test_the_committed_knowledge_base_pages_are_up_to_date(kb: KnowledgeBase) -> None:
    expected = render_kb_pages(kb)
    committed = committed_pages()
    fix = f"regenerate them with `uv run {COMMAND}`"
    assert sorted(committed) == sorted(expected), f"{DOCS.relative_to(REPO)}: {fix}"
    stale = [name for name in expected if committed[name] != expected[name]]
    assert stale == [], f"stale in {DOCS.relative_to(REPO)}: {', '.join(stale)}; {fix}"


def test_the_pages_are_an_index_one_page_per_source_and_the_topics(kb: KnowledgeBase) -> None:
    pages = render_kb_pages(kb)
    assert set(pages) == {
        "index.md",
        *(f"sources/{s}.md" for s in kb.sources),
        *(f"{name}.md" for name in kb_docs.TOPIC_PAGES),
    }
    for name in pages:
        if name != "index.md":
            assert f"]({name})" in pages["index.md"] or name.startswith("sources/"), name
    for source in kb.sources:
        assert f"](sources/{source}.md)" in pages["index.md"]
    # No page is the whole knowledge base again.
    assert max(len(text.split()) for text in pages.values()) < 7000


def test_every_claim_is_on_its_source_s_page_once_with_its_quote(kb: KnowledgeBase) -> None:
    pages = render_kb_pages(kb)
    for claim_id, claim in kb.claims.items():
        page = pages[f"sources/{kb.claim_source[claim_id]}.md"]
        assert page.count(f'<a id="{claim_id}"></a>') == 1, claim_id
        if claim.quote is not None:
            assert f"> {' '.join(claim.quote.split())}\n" in page, claim_id
        else:
            # A safety-net claim: the page's summary, never in quote marks.
            assert kb.words_of(claim_id) in page, claim_id
            assert f"> {claim.summary}" not in page, claim_id
        others = [n for n, text in pages.items() if f'<a id="{claim_id}"></a>' in text]
        assert others == [f"sources/{kb.claim_source[claim_id]}.md"]


def test_every_theory_advice_tier_and_conflict_has_its_own_anchor(kb: KnowledgeBase) -> None:
    pages = render_kb_pages(kb)
    for theory in kb.theories:
        assert f" {{#{theory}}}\n" in pages["theories.md"]
    for advice in kb.advice:
        assert f" {{#{advice}}}\n" in pages["advice.md"]
    for tier in kb.manifest.tiers:
        assert f" {{#{tier}}}\n" in pages["triage.md"]
    for conflict in kb.conflicts:
        assert f'<a id="{conflict}"></a>' in pages["conflicts.md"]
    for question in kb.questions:
        assert f'<a id="{question}"></a>' in pages["questions.md"]


def test_cramp_kb_docs_writes_the_pages_and_replaces_only_its_own(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    out = tmp_path / "kb"
    code, _ = run_cli("kb", "docs", "-o", f"{out}/")
    assert code == 0
    expected = render_kb_pages(kb)
    written = {p.relative_to(out).as_posix(): p.read_text("utf-8") for p in out.rglob("*.md")}
    assert written == expected
    # Its own pages are replaced; a page it no longer generates is removed; other files
    # are left alone.
    (out / "sources" / "gone.md").write_text(expected["sources/steve.md"])
    (out / "notes.md").write_text("# my notes\n")
    (out / "theories.md").write_text(expected["theories.md"] + "edited\n")
    code, _ = run_cli("kb", "docs", "-o", str(out))  # an existing directory, no slash
    assert code == 0
    assert not (out / "sources" / "gone.md").exists()
    assert (out / "notes.md").read_text() == "# my notes\n"
    assert (out / "theories.md").read_text("utf-8") == expected["theories.md"]


def test_cramp_kb_docs_never_replaces_a_page_it_did_not_write_without_force(
    tmp_path: Path,
) -> None:
    out = tmp_path / "kb"
    (out / "sources").mkdir(parents=True)
    (out / "sources" / "steve.md").write_text("# my page about steve\n")
    result = CliRunner().invoke(cli, ["kb", "docs", "-o", f"{out}/"])
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"cramp: {out}/sources/steve.md: already exists; use --force to overwrite it\n"
    )
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["steve.md"]
    assert (out / "sources" / "steve.md").read_text() == "# my page about steve\n"
    assert CliRunner().invoke(cli, ["kb", "docs", "-o", f"{out}/", "--force"]).exit_code == 0
    assert "Generated from" in (out / "sources" / "steve.md").read_text()


def test_cramp_kb_docs_writes_one_document(tmp_path: Path, kb: KnowledgeBase) -> None:
    target = tmp_path / "out" / "kb.md"
    code, _ = run_cli("kb", "docs", "-o", str(target))
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert text == render_kb_docs(kb)
    for conflict in kb.conflicts.values():
        assert conflict.reason.split()[0] in text
    assert "Seek immediate medical attention if your cramps are accompanied by:" in text
    assert "by `cramp kb docs`" in text


def test_every_field_of_the_docs_context_is_documented() -> None:
    source = Path(kb_docs.__file__).read_text(encoding="utf-8")
    lines = source.splitlines()
    classes = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and dataclasses.is_dataclass(getattr(kb_docs, node.name))
    ]
    assert classes
    for node in classes:
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign):
                assert "#:" in lines[stmt.lineno - 1], f"{node.name}.{stmt.target.id}"
