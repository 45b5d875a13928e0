"""Compare text with a file under tests/snapshots/; CRAMP_UPDATE_SNAPSHOTS=1 rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    """Fail with a unified diff when ``text`` differs from the stored snapshot ``name``."""
    assert_file(SNAPSHOTS / name, text, f"snapshots/{name}")


def assert_file(path: Path, text: str, name: str) -> None:
    """Fail with a unified diff when ``text`` differs from the file at ``path``."""
    if os.environ.get("CRAMP_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}; run with CRAMP_UPDATE_SNAPSHOTS=1 to create it"
    stored = path.read_text(encoding="utf-8")
    if stored != text:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                stored.splitlines(keepends=True),
                text.splitlines(keepends=True),
                name,
                "rendered",
                n=2,
            )
        )
        raise AssertionError(
            f"{name} differs from its snapshot (CRAMP_UPDATE_SNAPSHOTS=1 to accept):\n"
            + diff[:6000]
        )
