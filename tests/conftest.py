"""Shared fixtures: the bundled knowledge base, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase, load_knowledge_base

REPO = Path(__file__).resolve().parent.parent
#: The read-only shared folder beside the clone (seeds, design notes), as in CI.
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The bundled knowledge base."""
    return load_knowledge_base()
