"""`cramp kb coverage` and `cramp kb docs`: counts, conflicts, and docs that never go stale."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner
from conftest import REPO

from expert.cli import cli
from explain import kb_docs
from explain.kb_docs import COMMAND, render_kb_docs
from knowledge import KnowledgeBase
from knowledge.coverage import KINDS, coverage

DOCS = REPO / "docs" / "knowledge-base.md"


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


def test_the_committed_knowledge_base_document_is_up_to_date(kb: KnowledgeBase) -> None:
    expected = render_kb_docs(kb)
    committed = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else ""
    assert committed == expected, (
        f"{DOCS.relative_to(REPO)} is stale; regenerate it with `uv run {COMMAND}`"
    )


def test_cramp_kb_docs_writes_the_document(tmp_path: Path, kb: KnowledgeBase) -> None:
    target = tmp_path / "out" / "kb.md"
    code, _ = run_cli("kb", "docs", "-o", str(target))
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert text == render_kb_docs(kb)
    for conflict in kb.conflicts.values():
        assert conflict.reason.split()[0] in text
    assert "Seek immediate medical attention if your cramps are accompanied by:" in text


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
