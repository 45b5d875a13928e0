"""A knowledge base as it was at a git revision, read without checking anything out.

``git archive REV -- PATH`` streams the directory's files at that revision; they are
unpacked into a directory the caller owns (a temporary one), so the working tree, the
index and every branch are left as they are.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

__all__ = ["RevisionError", "extract_revision", "kb_path_in_repository", "repository_root"]

#: Where the knowledge base lives in this project's repository.
DEFAULT_KB_PATH = "knowledge/data"


class RevisionError(Exception):
    """A revision cannot be read: no git, not a repository, no such revision or path.

    The message is one line, fit to show as is.
    """


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    if shutil.which("git") is None:
        raise RevisionError("--rev needs git, which is not installed")
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def repository_root(start: Path | str | None = None) -> Path:
    """The top of the git working tree holding ``start`` (default: the working directory)."""
    where = Path(start) if start is not None else Path.cwd()
    if not where.is_dir():
        where = where.parent
    done = _git(["rev-parse", "--show-toplevel"], where)
    if done.returncode != 0:
        raise RevisionError(f"--rev needs a git repository, and {where} is not in one")
    return Path(done.stdout.decode().strip())


def kb_path_in_repository(repo: Path, directory: Path | None) -> str:
    """The knowledge base's path inside ``repo``: ``directory``'s, else knowledge/data."""
    if directory is not None:
        try:
            relative = directory.resolve().relative_to(repo.resolve())
        except ValueError:
            pass
        else:
            return relative.as_posix() or "."
    return DEFAULT_KB_PATH


def extract_revision(repo: Path, revision: str, path: str, target: Path) -> Path:
    """Unpack ``path`` as it was at ``revision`` into ``target``; return the directory.

    Raises :class:`RevisionError` for an unknown revision or a path it does not have.
    """
    if revision.startswith("-"):
        raise RevisionError(f"{revision!r} is not a revision")
    verified = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], repo)
    if verified.returncode != 0:
        raise RevisionError(f"{revision!r} is not a revision of the repository at {repo}")
    commit = verified.stdout.decode().strip()
    prefix = PurePosixPath(path).as_posix().strip("/") or "."
    done = _git(["archive", "--format=tar", commit, "--", prefix], repo)
    if done.returncode != 0:
        raise RevisionError(f"revision {revision} has no directory {prefix}")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        members = [m for m in archive.getmembers() if m.isfile() or m.isdir()]
        for member in members:
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                raise RevisionError(f"revision {revision} holds an unsafe path {member.name!r}")
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, members=members, filter="data")
        else:  # Python before 3.11.4: the paths were checked above
            archive.extractall(target, members=members)
    root = target / prefix if prefix != "." else target
    if not root.is_dir():
        raise RevisionError(f"revision {revision} has no directory {prefix}")
    return root
