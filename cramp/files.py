"""Writing files whole or not at all: the one place that writes a runner's files.

Reports, saved sessions, saved profiles and generated documents all go through
:func:`write_atomically`: the data goes to a temporary file beside the target, is
flushed and fsynced, and only then takes the target's name. A crash at any moment
leaves the previous file (or no file) under that name, never half of one.

Only a regular file is ever replaced: a symbolic link, a device, a FIFO or a socket at
the target's name is refused (:class:`NotRegularFileError`), since renaming over it
would swap ``/dev/null`` or a link for a regular file, or write where the link points.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path


class NotRegularFileError(OSError):
    """The name to write holds something other than a regular file (a link, a device...)."""

    def __init__(self, path: Path | str, kind: str) -> None:
        super().__init__(errno.EEXIST, f"is {kind}, not a regular file", str(path))
        self.kind = kind

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}; cramp writes only regular files or new names"


def not_regular(path: Path | str) -> str | None:
    """What ``path`` is when it exists and is not a regular file (``a symbolic link``...)."""
    from knowledge.yaml_io import mode_kind

    try:
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):
        return None  # nothing there (or nothing to tell): the write itself will say
    return None if stat.S_ISREG(mode) else mode_kind(mode)


def write_atomically(
    path: Path,
    data: bytes,
    *,
    replace: bool = False,
    mode: int = 0o666,
    sync_directory: bool = True,
) -> None:
    """Put ``data`` at ``path`` whole or not at all.

    Without ``replace`` an existing file is never touched: FileExistsError, even if the
    file appears while writing (the final step is then a hard link, which fails if the
    name is taken). With ``replace``, only a regular file is replaced:
    :class:`NotRegularFileError` for anything else there (checked before anything is
    written). ``mode`` is filtered by the umask (0o600 keeps a file private).

    The directory is fsynced too, so the new name survives a crash; a caller writing
    many files into one directory may leave that out (``sync_directory=False``) and
    call :func:`sync_directory` once after the last: until then a crash may lose a new
    name, never leave half a file under one.
    """
    kind = not_regular(path) if replace else None
    if kind == "a directory":
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if kind is not None:
        raise NotRegularFileError(path, kind)
    directory = path.parent if str(path.parent) else Path(".")
    # Shortened, so a name near the file system's limit still leaves room for the suffix.
    tmp = directory / f".{path.name[:50]}.{secrets.token_hex(6)}.tmp"
    # O_EXCL: never follow or reuse someone else's file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            _link_into_place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if sync_directory:
        _fsync_directory(directory)


def _link_into_place(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
    except OSError:
        # A file system without hard links: check, then rename (a narrow race remains).
        if path.exists():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(tmp, path)


def sync_directory(directory: Path) -> None:
    """Make the names written into ``directory`` durable (see :func:`write_atomically`)."""
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some file systems and platforms cannot open or
    # fsync a directory, and the data is already safe in the file by then.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = ["NotRegularFileError", "not_regular", "sync_directory", "write_atomically"]
