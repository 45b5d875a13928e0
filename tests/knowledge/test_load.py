"""The loader: valid knowledge bases load; broken ones are rejected with every problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge import ProblemsError, load_knowledge_base

FIXTURES = Path(__file__).parent.parent / "fixtures"
MINIMAL = FIXTURES / "kb-minimal"
BROKEN = yaml.safe_load((FIXTURES / "broken-kb.yaml").read_text())["cases"]


def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the minimal knowledge base with one edit applied."""
    root = tmp_path / "kb"
    shutil.copytree(MINIMAL, root)
    target = root / file
    text = target.read_text()
    assert old in text, f"fixture edit does not apply to {file}: {old!r}"
    target.write_text(text.replace(old, new, 1))
    return root


def problems_of(root: Path) -> list[str]:
    """Every problem the loader reports, with paths relative to the knowledge base."""
    with pytest.raises(ProblemsError) as info:
        load_knowledge_base(root)
    return [str(p).replace(f"{root}/", "") for p in info.value.problems]


def test_the_bundled_knowledge_base_loads(kb):
    assert kb.claims and kb.questions and kb.sources
    assert len(kb.content_hash) == 64


def test_the_minimal_fixture_loads():
    base = load_knowledge_base(MINIMAL)
    assert set(base.sources) == {"alpha", "beta"}
    assert base.claims_by_advice["rest"][0].id == "alpha-rest"


@pytest.mark.parametrize("case", BROKEN, ids=[c["name"] for c in BROKEN])
def test_each_broken_fixture_is_rejected_with_its_messages(tmp_path, case):
    root = broken_copy(tmp_path, case["file"], case["old"], case["new"])
    assert problems_of(root) == case["expect"]


def test_every_problem_is_reported_at_once_not_only_the_first(tmp_path):
    root = broken_copy(tmp_path, "sources/alpha.yaml", "theory: fatigue", "theory: fatigeu")
    beta = root / "sources/beta.yaml"
    beta.write_text(beta.read_text().replace("kind: running_blog", "kind: runing_blog"))
    questions = root / "questions.yaml"
    questions.write_text(questions.read_text().replace("unit: km", "unit: ''"))
    problems = problems_of(root)
    assert any("runing_blog" in p and "did you mean 'running_blog'" in p for p in problems)
    assert any("unit" in p for p in problems)


def test_a_missing_file_is_named(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(MINIMAL, root)
    (root / "theories.yaml").unlink()
    assert problems_of(root) == ["theories.yaml:1:1: missing file"]


def test_a_directory_that_does_not_exist_is_a_problem(tmp_path):
    with pytest.raises(ProblemsError, match="knowledge base directory not found"):
        load_knowledge_base(tmp_path / "nowhere")


def test_the_content_hash_changes_with_any_edit(tmp_path):
    root = broken_copy(tmp_path, "advice.yaml", "Take days off.", "Take two days off.")
    assert load_knowledge_base(root).content_hash != load_knowledge_base(MINIMAL).content_hash


def test_loading_never_returns_a_partial_knowledge_base(tmp_path):
    root = broken_copy(tmp_path, "sources/beta.yaml", "kind: red_flag", "kind: red-flag")
    with pytest.raises(ProblemsError):
        load_knowledge_base(root)
