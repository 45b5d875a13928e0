"""The installed `cramp` console script, for tests that drive it in a real terminal."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def installed_cramp() -> str:
    """The console script, from the project's virtual environment or the PATH."""
    local = REPO / ".venv" / "bin" / "cramp"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which("cramp")
    if found is None:
        pytest.skip("the cramp console script is not installed (run `uv sync`)")
    return found
