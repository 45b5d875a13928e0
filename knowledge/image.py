"""A compiled knowledge-base image: the validated knowledge base, saved to load fast.

Modelled on CLIPS's ``bsave``/``bload``. Validating a knowledge base from its YAML
(parsing, pydantic models, cross-checks) costs far more than a diagnosis; the image
keeps the result, so a command reads one file instead. An image is:

* keyed by a hash of every knowledge file, the knowledge base's directory, the package
  version and the Python version, so any change of these makes a new key (and the old
  image is never read);
* a header line (format, versions, key, SHA-256 of the body) and a pickle of the
  knowledge base in which every schema model is a plain :class:`~knowledge.records.Record`
  so that loading it needs neither pydantic nor the YAML loader;
* written atomically (a temporary file renamed over the old one), readable by its
  owner only, and read only from a directory the user owns that no one else can write:
  unpickling runs code, so an image anyone else could have written is never trusted.

An image that cannot be read, is corrupt, or comes from another version is reported by
the caller's ``warn`` and rebuilt from source.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from .digest import content_hash, total_bytes
from .model import KnowledgeBase
from .records import Record, record_class
from .trust import TrustError, check_directory, read_trusted, write_private_with

#: Bump when what an image holds, or how, changes.
IMAGE_FORMAT = 1
MAGIC = b"cramp-kb-image"
#: Knowledge bases larger than this are loaded from source without an image: the loader
#: refuses them anyway (its limit is 22 MB), so hashing them first would be wasted.
MAX_IMAGE_SOURCE_BYTES = 25_000_000


class ImageError(Exception):
    """An image that cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class ImageStore:
    """Where images are kept: a directory the user owns."""

    directory: Path

    def path_for(self, key: str) -> Path:
        """The image file for a knowledge base whose :func:`image_key` is ``key``."""
        return self.directory / f"kb-{key[:32]}.image"


def image_key(root: Path) -> str:
    """Hash of what an image depends on: the files, where they are, the versions and code."""
    digest = hashlib.sha256()
    for part in (
        f"format {IMAGE_FORMAT}",
        f"cramp {_package_version()}",
        f"python {sys.implementation.name} {sys.version_info[:2]}",
        f"code {code_stamp()}",
        str(root.resolve()),
        content_hash(root),
    ):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


#: The packages whose code makes what an image holds: this one (the records, the
#: loader) and the engine's (rules, their index, the built network), installed beside it.
CODE_PACKAGES = ("knowledge", "expert")


def code_stamp() -> str:
    """A stamp of the code an image's contents come from: its files' names, sizes, times.

    The package version alone would let a changed rule compiler (in a checkout, between
    releases) read an image that the old one made.
    """
    parent = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        digest.update(f"{package} {module_stamp(parent / package)}\n".encode())
    return digest.hexdigest()


@cache  # stat once per process: the image key and the kept engine both ask
def module_stamp(directory: Path) -> str:
    """A hash of the names, sizes and modification times of the modules in ``directory``
    (of nothing, if it cannot be listed): changes when any of its code does."""
    digest = hashlib.sha256()
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return digest.hexdigest()
    for entry in entries:
        if entry.name.endswith(".py"):
            info = entry.stat()
            digest.update(f"{entry.name} {info.st_size} {info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@cache  # read from the installed metadata once per process, not once per image step
def _package_version() -> str:
    """The installed version of cramp-expert ("unknown" when run from a checkout)."""
    found = _dist_info_version(DISTRIBUTION)
    if found is not None:
        return found
    # Any other kind of installation: importlib.metadata knows them all.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


#: The distribution whose version keys the images.
DISTRIBUTION = "cramp-expert"


def _dist_info_version(distribution: str) -> str | None:
    """The ``Version`` of the first ``<name>-*.dist-info`` on ``sys.path``, or None.

    What ``importlib.metadata.version`` finds for an installed wheel, without importing
    it: it brings in the email parser and more, a tenth of a cold command.
    """
    prefix = distribution.replace("-", "_").lower() + "-"
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for name in names:
            if name.lower().startswith(prefix) and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry, name, "METADATA"), encoding="utf-8") as meta:
                        for line in meta:
                            if not line.strip():
                                break  # the headers end at the first blank line
                            if line.startswith("Version:"):
                                return line.partition(":")[2].strip()
                except OSError:
                    continue
    return None


def _header(key: str, sha256: str) -> bytes:
    """An image's header line (without its newline), for a body of that checksum."""
    header = {
        "format": IMAGE_FORMAT,
        "cramp": _package_version(),
        "python": list(sys.version_info[:2]),
        "key": key,
        "sha256": sha256,
    }
    return json.dumps(header, sort_keys=True).encode()


class _Checksummed:
    """A file that writes through, hashing what it is given."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.hash = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.hash.update(data)
        return self.file.write(data)


class _Pickler(pickle.Pickler):
    """Pickles schema models as records, and the knowledge base with the cache it keeps."""

    def __init__(self, file: Any, kb: KnowledgeBase, keep: tuple[str, ...]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.kb = kb
        self.keep = keep

    def reducer_override(self, obj: Any) -> Any:
        if obj is self.kb:
            # As state, not as arguments: derived values kept in the cache refer back to
            # the knowledge base, and pickle resolves such cycles only through state.
            state = dict(obj.__dict__)
            state["_cache"] = {k: v for k, v in obj._cache.items() if k in self.keep}
            return (_blank_knowledge_base, (), state)
        if isinstance(obj, type) and issubclass(obj, Record):
            return (record_class, (obj.__name__,))
        fields = getattr(type(obj), "model_fields", None)
        if isinstance(fields, dict) and hasattr(obj, "model_config"):
            # Made by pickle itself (a new object, its fields set as its state), not
            # by a call into Python for each of the thousands of items.
            state = {name: getattr(obj, name) for name in fields}
            return (object.__new__, (record_class(type(obj).__name__),), state)
        if isinstance(obj, Record):
            return (object.__new__, (type(obj),), dict(obj.__dict__))
        return NotImplemented


def _blank_knowledge_base() -> KnowledgeBase:
    """An empty knowledge base, which unpickling fills with its state."""
    return object.__new__(KnowledgeBase)


def loads(body: bytes | memoryview) -> KnowledgeBase:
    """The knowledge base held by an image body."""
    # Every object made here is kept: the collector, run again and again as they are
    # made, would scan them each time and free nothing (a third of the time at ×10).
    collecting = gc.isenabled()
    gc.disable()
    try:
        kb = pickle.loads(body)
    finally:
        if collecting:
            gc.enable()
    if not isinstance(kb, KnowledgeBase):
        raise TypeError(f"an image holds a knowledge base, not {type(kb).__name__}")
    return kb


def read_image(path: Path, key: str) -> KnowledgeBase:
    """The knowledge base in the image at ``path``; :class:`ImageError` if unusable.

    Raises :class:`FileNotFoundError` when there is no image yet (not worth a warning).
    The caller checks first that the directory is the user's (:func:`check_directory`).
    """
    try:
        data = read_trusted(path)
    except TrustError as exc:
        raise ImageError(str(exc)) from None
    # The body is read where it lies: slices of megabytes would copy them twice.
    magic, header_line, body = _parts(data)
    if magic != MAGIC:
        raise ImageError(f"{path}: not a cramp knowledge-base image")
    try:
        header = json.loads(header_line)
    except ValueError:
        raise ImageError(f"{path}: corrupt (its header cannot be read)") from None
    if not isinstance(header, dict) or header.get("format") != IMAGE_FORMAT:
        raise ImageError(f"{path}: from another version of cramp (image format)")
    if header.get("cramp") != _package_version() or header.get("python") != list(
        sys.version_info[:2]
    ):
        raise ImageError(f"{path}: from another version of cramp or Python")
    if header.get("key") != key:
        raise ImageError(f"{path}: made for other knowledge-base files")
    if hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise ImageError(f"{path}: corrupt (its contents do not match their checksum)")
    try:
        kb = loads(body)
    except Exception as exc:  # any failure to unpickle means the image is unusable
        raise ImageError(f"{path}: corrupt ({type(exc).__name__})") from None
    return kb


def _parts(data: bytes) -> tuple[bytes, bytes, memoryview]:
    """An image's magic line, header line and body (as ``bytes.partition`` splits them),
    the body a view of ``data``, not a copy."""
    first = data.find(b"\n")
    if first < 0:
        return data, b"", memoryview(b"")
    second = data.find(b"\n", first + 1)
    if second < 0:
        return data[:first], data[first + 1 :], memoryview(b"")
    return data[:first], data[first + 1 : second], memoryview(data)[second + 1 :]


def write_image(path: Path, kb: KnowledgeBase, key: str, keep: tuple[str, ...] = ()) -> int:
    """Write the image atomically (owner-only), creating its directory; bytes written.

    The body is pickled straight into the file and its checksum taken on the way, then
    the header is written over a placeholder of the same length: the body, tens of
    megabytes for a large knowledge base, is never held in memory whole (nor twice).
    """
    placeholder = _header(key, "0" * 64)
    written = 0

    def write(handle: BinaryIO) -> None:
        nonlocal written
        handle.write(MAGIC + b"\n" + placeholder + b"\n")
        body = _Checksummed(handle)
        _Pickler(body, kb, keep).dump(kb)
        written = handle.tell()
        header = _header(key, body.hash.hexdigest())
        assert len(header) == len(placeholder), "a checksum's length never changes"
        handle.seek(len(MAGIC) + 1)
        handle.write(header)

    write_private_with(path, write, prefix=".kb-")
    return written


def load_with_image(
    root: Path,
    store: ImageStore | None,
    load_source: Callable[[], KnowledgeBase],
    prepare: Callable[[KnowledgeBase], tuple[str, ...]] | None = None,
    warn: Callable[[str], None] | None = None,
    *,
    write: bool = True,
) -> KnowledgeBase:
    """The knowledge base at ``root``: from its image when valid, else from source.

    From source, ``prepare`` may compute derived values into the knowledge base's cache
    and name the ones to keep; the image is then written, unless not to ``write``.
    Failing to write an image (a read-only home, a full disk) only costs the next
    command the same load again.
    """
    # Not worth hashing what the loader will refuse as too large anyway.
    if store is None or total_bytes(root) > MAX_IMAGE_SOURCE_BYTES:
        return load_source()
    if os.path.lexists(store.directory):
        try:
            check_directory(store.directory)
        except TrustError as exc:
            if warn is not None:
                warn(f"not using compiled knowledge-base images: {exc}")
            return load_source()
    key = image_key(root)
    path = store.path_for(key)
    try:
        return read_image(path, key)
    except FileNotFoundError:
        pass
    except ImageError as exc:
        if warn is not None:
            warn(f"ignoring the knowledge-base image {exc}; rebuilding it")
    kb = load_source()
    if not write:
        return kb
    keep = prepare(kb) if prepare is not None else ()
    with contextlib.suppress(OSError, TrustError):
        write_image(path, kb, key, keep)
    return kb


__all__ = [
    "IMAGE_FORMAT",
    "ImageError",
    "ImageStore",
    "image_key",
    "load_with_image",
    "module_stamp",
    "read_image",
    "write_image",
]
