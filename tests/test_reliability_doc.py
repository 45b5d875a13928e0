"""docs/reliability.md stays honest: every test it names exists, and every test in the
reliability test files is named there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOC = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
NAMED = set(re.findall(r"`(tests/(?:\w+/)?test_\w+\.py)::(test_\w+)`", DOC))
RELIABILITY_FILES = [
    "tests/knowledge/test_hostile_input.py",
    "tests/cramp/test_fuzz_cli.py",
    "tests/cramp/test_nothing_lost.py",
    "tests/explain/test_injection.py",
    "tests/knowledge/test_kb_faults.py",
    "tests/expert/test_safety_regressions.py",
]


def defined_tests(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


@pytest.mark.parametrize(("path", "name"), sorted(NAMED), ids=lambda x: str(x))
def test_every_test_the_reliability_doc_names_exists(path: str, name: str) -> None:
    assert name in defined_tests(path), f"docs/reliability.md names {path}::{name}, which is gone"


@pytest.mark.parametrize("path", RELIABILITY_FILES)
def test_every_reliability_test_is_named_in_the_doc(path: str) -> None:
    missing = sorted(defined_tests(path) - {name for file, name in NAMED if file == path})
    assert not missing, f"add to docs/reliability.md: {', '.join(missing)}"


def test_the_doc_documents_every_exit_status_the_cli_uses() -> None:
    from cramp.cli import ask as cli_ask
    from cramp.cli import support as _cli_support

    table = DOC[DOC.index("## Exit statuses") : DOC.index("## Limits")]
    for status in (
        _cli_support.EXIT_OK,
        _cli_support.EXIT_ERROR,
        _cli_support.EXIT_INPUT,
        cli_ask.EXIT_INTERRUPTED,
    ):
        assert f"| {status} |" in table
    assert "| 128 + N |" in table
