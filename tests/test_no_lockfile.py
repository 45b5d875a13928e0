"""No lockfile is tracked: it would name a package index's address.

Resolution stays reproducible through ``pyproject.toml`` (``[tool.uv] exclude-newer``),
so a lockfile has no reason to come back; this test stops it coming back by accident.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from datetime import datetime
from pathlib import Path, PurePosixPath

import pytest

REPO = Path(__file__).resolve().parent.parent

#: Lockfiles by name (fnmatch patterns on the file name, in any folder).
LOCKFILE_NAMES = ("uv.lock", "pylock.toml", "pylock.*.toml", "poetry.lock", "pdm.lock")
#: pip options in a requirements file that name an index or a place to find packages.
INDEX_OPTION = re.compile(
    r"^\s*(-i\b|--index-url\b|--extra-index-url\b|-f\b|--find-links\b|--trusted-host\b)",
    re.MULTILINE,
)


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout (an sdist or a copy): nothing is tracked")
    result = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    return [p for p in result.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def lockfiles(
    paths: list[str], read=lambda p: (REPO / p).read_text("utf-8", "replace")
) -> list[str]:
    """The paths among ``paths`` that are lockfiles, or requirements files naming an index."""

    def is_lockfile(path: str) -> bool:
        name = PurePosixPath(PurePosixPath(path).name)
        if any(name.match(pattern) for pattern in LOCKFILE_NAMES):
            return True
        return name.match("requirements*.txt") and bool(INDEX_OPTION.search(read(path)))

    return [path for path in paths if is_lockfile(path)]


def test_no_lockfile_is_tracked():
    assert lockfiles(tracked_files()) == []


@pytest.mark.parametrize(
    "path",
    ["uv.lock", "sub/uv.lock", "pylock.toml", "pylock.dev.toml", "poetry.lock", "pdm.lock"],
)
def test_each_kind_of_lockfile_is_recognised(path):
    assert lockfiles([path]) == [path]


def test_a_requirements_file_is_a_lockfile_only_when_it_names_an_index():
    texts = {
        "requirements.txt": "click>=8.1\n",
        "requirements-dev.txt": "--index-url https://example.org/simple\npytest\n",
        "requirements-docs.txt": "-f ./wheels\nmkdocs\n",
    }
    assert lockfiles(list(texts), read=texts.__getitem__) == [
        "requirements-dev.txt",
        "requirements-docs.txt",
    ]


def test_resolution_is_pinned_by_an_exclude_newer_date_instead():
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    stamp = config["tool"]["uv"]["exclude-newer"]
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None
    assert not any(
        word in (REPO / "pyproject.toml").read_text("utf-8") for word in ("index-url", "/simple")
    )


def test_lockfiles_are_ignored_so_a_local_one_cannot_be_added_by_mistake():
    ignored = (REPO / ".gitignore").read_text("utf-8").splitlines()
    for name in ("uv.lock", "pylock*.toml", "poetry.lock", "pdm.lock"):
        assert name in ignored
