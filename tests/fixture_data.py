"""The fixed knowledge base and profiles the explanation snapshots are made from."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from knowledge import KnowledgeBase, Profile, load_knowledge_base, load_profile_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_KB = FIXTURES / "kb"
NIGHT = FIXTURES / "profiles" / "night-cramps-after-hard-week.yaml"
#: Emergency with a withheld piece of advice, an advice conflict, and hostile runner text.
HOSTILE = FIXTURES / "profiles" / "hyponatraemia-and-ice-or-heat.yaml"


@cache
def fixture_kb() -> KnowledgeBase:
    """The knowledge base copied under tests/fixtures/kb (it does not grow with the real one)."""
    return load_knowledge_base(FIXTURE_KB)


def fixture_profile(path: Path) -> Profile:
    """A fixture profile, validated against the fixture knowledge base."""
    return load_profile_text(path.read_bytes(), fixture_kb(), path.name)
