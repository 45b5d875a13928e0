"""Files a command loads code from: kept where only the user can write, read with care.

Unpickling an image or unmarshalling compiled code runs what the file says, so such a
file is read only from a directory the user owns that no one else can write, only if it
is a regular file the user owns (no link is followed, and a FIFO planted under its name
cannot block), and it is written atomically (a temporary file renamed over the old one)
and readable by its owner alone.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "TrustError",
    "check_directory",
    "read_trusted",
    "write_private",
    "write_private_with",
]


class TrustError(Exception):
    """A file or directory not to load code from; the message says why in one line."""


def check_directory(directory: Path) -> None:
    """Raise :class:`TrustError` unless ``directory`` is one the user alone can write."""
    try:
        info = directory.lstat()
    except FileNotFoundError:
        raise TrustError(f"{directory}: no such directory") from None
    except OSError as exc:
        raise TrustError(f"{directory}: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise TrustError(f"{directory}: not a directory (a link or a file)")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise TrustError(f"{directory}: owned by another user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise TrustError(f"{directory}: others can write to it")


def read_trusted(path: Path) -> bytes:
    """The bytes of a regular file the user owns; :class:`TrustError` for any other.

    Raises ``FileNotFoundError`` when there is no file. The caller checks the directory
    first (:func:`check_directory`).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise TrustError(f"{path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TrustError(f"{path}: not a regular file")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise TrustError(f"{path}: owned by another user")
        chunks = []
        # The whole file in one read as a rule (one more byte shows the end), so the
        # join below has one part and copies nothing: images run to megabytes.
        while chunk := os.read(fd, max(info.st_size + 1, 1 << 16)):
            chunks.append(chunk)
    except OSError as exc:
        raise TrustError(f"{path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def write_private(path: Path, data: bytes, prefix: str = ".cramp-") -> None:
    """Write ``data`` to ``path`` atomically, owner-only, creating a trusted directory.

    Raises :class:`TrustError` if the directory is not the user's alone, ``OSError``
    if writing fails (nothing is left behind).
    """
    write_private_with(path, lambda handle: handle.write(data), prefix)


def write_private_with(
    path: Path, write: Callable[[BinaryIO], object], prefix: str = ".cramp-"
) -> None:
    """As :func:`write_private`, the contents written by ``write`` into the open file
    (which it may seek in): what is too large to hold in memory whole is streamed."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_directory(directory)
    import tempfile  # only when writing: it imports shutil, random and more

    fd, temp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
