"""A saved consultation: answers, unknowns, their order, and the knowledge base they used.

The session is rewritten after every answer with an atomic replace (temporary file in
the same directory, flushed and fsynced, then ``os.replace``), so a crash, Ctrl-C, a
closed terminal or a killed process leaves either the previous session or the new one,
never half of one. The file is YAML a person can read::

    # cramp ask session: continue it with `cramp ask --resume`
    format: 1
    knowledge_base: {version: 0.1.0, hash: 3f2a...}
    finished: false
    order: [leg_signs, calf_can_contract]
    answers: {leg_signs: [], calf_can_contract: yes}
    unknown: []

The file holds health information, so it is created readable by its owner only.
While a consultation uses it, a lock file beside it (``.session.yaml.lock``) is held
with ``flock``, so a second ``cramp ask`` on the same session is refused instead of
two of them overwriting each other's answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cramp.files import write_atomically
from expert.consultation import Consultation
from knowledge import KnowledgeBase, ProblemsError, Profile, parse_profile
from knowledge.values import profile_value

SESSION_FORMAT = 1
SESSION_HEADER = "# cramp ask session: continue it with `cramp ask --resume`\n"
PROFILE_HEADER = "# cramp profile written by `cramp ask`; use it with `cramp diagnose FILE`\n"


class SessionError(ValueError):
    """A session file that cannot be used; the message is one line for the runner."""


class SessionBusy(SessionError):
    """Another process holds the session's lock (another ``cramp ask`` is using it)."""


@dataclass(frozen=True)
class Session:
    """What a session file holds, validated against the current knowledge base."""

    consultation: Consultation
    finished: bool
    saved_hash: str
    saved_version: str

    def kb_changed(self) -> bool:
        """Whether the knowledge base changed since the session was saved."""
        return self.saved_hash != self.consultation.kb.content_hash


def default_session_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/cramp/session.yaml``, else ``~/.local/state/cramp/session.yaml``."""
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative path there is invalid and must be ignored.
    base = Path(state) if state and os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "cramp" / "session.yaml"


def session_data(consultation: Consultation, *, finished: bool = False) -> dict[str, Any]:
    """Plain data for a session file."""
    kb = consultation.kb
    data: dict[str, Any] = {
        "format": SESSION_FORMAT,
        "knowledge_base": {"version": kb.version, "hash": kb.content_hash},
        "finished": finished,
    }
    if consultation.name is not None:
        data["name"] = consultation.name
    if consultation.notes is not None:
        data["notes"] = consultation.notes
    data["order"] = list(consultation.history)
    answers = consultation.answers
    data["answers"] = {q: profile_value(answers[q]) for q in consultation.history if q in answers}
    data["unknown"] = [q for q in consultation.history if q in consultation.unknowns]
    return data


def dump_yaml(data: Any, header: str = "") -> str:
    """YAML text for plain data (block style, Unicode kept, keys in the given order)."""
    from knowledge.yaml_io import dump_yaml

    text = dump_yaml(data)
    return header + text


def save_session(path: Path, consultation: Consultation, *, finished: bool = False) -> None:
    """Write the consultation to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dump_yaml(session_data(consultation, finished=finished), SESSION_HEADER)
    # Private to its owner: a session holds health answers.
    write_atomically(path, text.encode("utf-8"), replace=True, mode=0o600)


def is_session_file(path: Path) -> bool:
    """Whether ``path`` holds a cramp session, or nothing at all (so it may be replaced).

    Recognised by the header cramp writes, or, with the header edited away, by the
    ``format`` and ``knowledge_base`` keys only a session has; validity is not needed
    (a session saved by another knowledge base is still a session).
    """
    from knowledge.profile import MAX_PROFILE_BYTES
    from knowledge.yaml_io import TooLargeError, decode, parse_yaml, read_limited

    try:
        raw = read_limited(path, MAX_PROFILE_BYTES)
    except (OSError, TooLargeError):
        return False
    if not raw.strip() or raw.startswith(SESSION_HEADER.encode()):
        return True
    try:
        data = parse_yaml(decode(raw, str(path)), str(path)).data
    except ProblemsError:
        return False
    return isinstance(data, dict) and "format" in data and "knowledge_base" in data


@contextmanager
def session_lock(path: Path) -> Iterator[None]:
    """Hold the lock of the session at ``path``; :class:`SessionBusy` if another holds it.

    The lock is taken on a file beside the session (``.NAME.lock``), not on the session
    itself, which every save replaces with a new file; it is removed again on the way
    out (a killed process leaves it behind, empty and unlocked, which is harmless).
    Where locks cannot be taken (no ``fcntl``, a directory that cannot be written),
    the consultation goes on without one; saving then says what is wrong.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    lock = path.with_name(f".{path.name[:200]}.lock")
    # O_NOFOLLOW: a link planted under the lock's name is never followed.
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
    while True:
        try:
            fd = os.open(lock, flags, 0o600)
        except OSError:
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SessionBusy(
                f"{path}: another `cramp ask` is using this consultation; finish or quit "
                "that one first, or choose another file with --session"
            ) from None
        except OSError:  # a file system without locks: go on as before
            os.close(fd)
            yield
            return
        # The holder before us may have removed the file between our open and our lock:
        # then we hold a lock nobody else can see, so start again on the current file.
        try:
            same = os.fstat(fd).st_ino == os.lstat(lock).st_ino
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        # Removed while still held, so no one can lock the old file after we let go.
        with suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def load_session(path: Path, kb: KnowledgeBase) -> Session:
    """Read a session file; SessionError (one line) if it is missing, unreadable or invalid."""
    from knowledge.profile import MAX_PROFILE_BYTES
    from knowledge.yaml_io import TooLargeError, decode, parse_yaml, read_limited

    try:
        # A session holds no more than a profile does; never read a device or a huge
        # file given as --session whole.
        raw = read_limited(path, MAX_PROFILE_BYTES)
    except TooLargeError as exc:
        raise SessionError(f"{path}: {exc.describe('a session file')}") from None
    except FileNotFoundError:
        raise SessionError(f"{path}: no saved consultation here") from None
    except IsADirectoryError:
        raise SessionError(f"{path}: is a directory, not a session file") from None
    except OSError as exc:
        raise SessionError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = parse_yaml(decode(raw, str(path)), str(path)).data
    except ProblemsError as exc:
        raise SessionError(str(exc.problems[0])) from None
    return _from_data(path, data, kb)


def _from_data(path: Path, data: Any, kb: KnowledgeBase) -> Session:
    def bad(why: str) -> SessionError:
        return SessionError(f"{path}: not a valid cramp session ({why})")

    if not isinstance(data, dict):
        raise bad("expected a mapping")
    if data.get("format") != SESSION_FORMAT:
        raise bad(f"format must be {SESSION_FORMAT}")
    stamp = data.get("knowledge_base")
    if not isinstance(stamp, dict) or not isinstance(stamp.get("hash"), str):
        raise bad("knowledge_base.hash is missing")
    answers = data.get("answers") or {}
    unknown = data.get("unknown") or []
    order = data.get("order") or []
    if not isinstance(answers, dict):
        raise bad("answers must be a mapping")
    if not isinstance(unknown, list) or not all(isinstance(q, str) for q in unknown):
        raise bad("unknown must be a list of question ids")
    if not isinstance(order, list) or not all(isinstance(q, str) for q in order):
        raise bad("order must be a list of question ids")
    finished = data.get("finished", False)
    if not isinstance(finished, bool):
        raise bad("finished must be true or false")
    overlap = sorted(set(answers) & set(unknown))
    if overlap:
        raise bad(f"{overlap[0]} is both answered and unknown")
    profile_data: dict[str, Any] = dict(answers)
    profile_data.update({q: "unknown" for q in unknown})
    for key in ("name", "notes"):
        if data.get(key) is not None:
            profile_data[key] = data[key]
    try:
        profile: Profile = parse_profile(profile_data, kb)
    except ProblemsError as exc:
        message = exc.problems[0].message
        raise bad(f"{message}; the knowledge base may have changed") from None
    try:
        consultation = Consultation(kb, profile, order)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return Session(consultation, finished, stamp["hash"], str(stamp.get("version", "?")))


def write_profile(path: Path, profile: Profile) -> None:
    """Save answers as a profile file, whole or not at all; FileExistsError if ``path`` exists."""
    text = dump_yaml(profile.to_data(), PROFILE_HEADER)
    write_atomically(path, text.encode("utf-8"), mode=0o600)  # health answers: owner only


__all__ = [
    "Session",
    "SessionBusy",
    "SessionError",
    "default_session_path",
    "dump_yaml",
    "is_session_file",
    "load_session",
    "save_session",
    "session_data",
    "session_lock",
    "write_profile",
]
