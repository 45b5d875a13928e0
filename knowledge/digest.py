"""Which files make up a knowledge base, and the hash of their contents.

Needed both by the loader and by the compiled image, which must tell whether the files
changed without reading them as YAML; so this module imports neither.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

MANIFEST = "knowledge-base.yaml"
#: The files every knowledge base has, besides its sources.
FILE_NAMES: tuple[str, ...] = (
    MANIFEST,
    "questions.yaml",
    "theories.yaml",
    "advice.yaml",
    "findings.yaml",
    "safety-policy.yaml",
)
SOURCES_DIR = "sources"


def default_directory() -> Path:
    """The knowledge base shipped with the package.

    The package's own directory, as ``importlib.resources.files`` gives it for a package
    installed as files; read off ``__file__``, since importing ``importlib.resources``
    (tempfile, shutil, random...) costs a cold command more than everything here.
    """
    return Path(__file__).parent / "data"


def source_paths(root: Path) -> list[Path]:
    """The source files (``sources/*.yaml``) of a knowledge base, sorted by name."""
    sources = root / SOURCES_DIR
    return sorted(sources.glob("*.yaml")) if sources.is_dir() else []


def knowledge_files(root: Path, names: tuple[str, ...] = FILE_NAMES) -> Iterator[Path]:
    """The regular files among ``names`` and the sources, the ones the hash covers."""
    for name in names:
        if (root / name).is_file():
            yield root / name
    yield from (p for p in source_paths(root) if p.is_file())


def total_bytes(root: Path, names: tuple[str, ...] = FILE_NAMES) -> int:
    """The size of every file :func:`content_hash` covers, in bytes."""
    return sum(path.stat().st_size for path in knowledge_files(root, names))


def content_hash(root: Path, names: tuple[str, ...] = FILE_NAMES) -> str:
    """SHA-256 over every knowledge file's relative path and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(knowledge_files(root, names)):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        with path.open("rb") as handle:  # in chunks: a file may be too large to hold
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()
