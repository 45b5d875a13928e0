"""Example runner profiles shipped with the package (also at ``examples/`` in the repo)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def examples_directory() -> Path:
    """Directory holding the bundled example profiles."""
    return Path(str(resources.files("knowledge") / "examples"))


def example_names() -> list[str]:
    """Names of the bundled examples, sorted (file names without ``.yaml``)."""
    return sorted(p.stem for p in examples_directory().glob("*.yaml"))


def example_path(name: str) -> Path:
    """Path of one bundled example profile."""
    return examples_directory() / f"{name}.yaml"
