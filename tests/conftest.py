"""Shared fixtures and options: the bundled knowledge base, Hypothesis profiles, --kb-dir.

Hypothesis runs with the ``ci`` profile unless told otherwise (derandomised, no
deadline, 100 examples); authors ask for more with ``--hypothesis-profile thorough``.
``--kb-dir DIR`` points the invariant suite (tests/cramp/test_invariants.py) at another
knowledge base.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from cramp.authoring.invariant_suite import register_profiles
from knowledge import KnowledgeBase, load_knowledge_base

#: The browser fixture the Chromium tests share.
pytest_plugins = ["browser_support"]

REPO = Path(__file__).resolve().parent.parent
#: The read-only shared folder beside the clone (seeds, design notes), as in CI.
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"

# Commands keep compiled knowledge-base images in the user's cache; a test run keeps
# its own, so it neither reads nor leaves anything there.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="cramp-tests-cache-")
for _variable in ("CRAMP_CACHE_DIR", "CRAMP_NO_CACHE"):
    os.environ.pop(_variable, None)

register_profiles()
# The default for every run; `--hypothesis-profile NAME` is applied after this.
settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--kb-dir",
        metavar="DIR",
        default=None,
        help="knowledge-base directory whose invariants tests/cramp/test_invariants.py checks "
        "(default: the bundled one)",
    )


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The bundled knowledge base."""
    return load_knowledge_base()


@pytest.fixture(autouse=True)
def _unwrapped_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands print unwrapped (as to a very wide terminal): tests read what is said.

    Wrapping to the terminal's width, and to 80 columns in a pipe, is tested in
    tests/explain/test_terminal.py, which sets the width it wants.
    """
    monkeypatch.setenv("COLUMNS", "100000")
