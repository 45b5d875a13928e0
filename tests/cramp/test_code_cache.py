"""Dataclass methods compiled once and kept between commands (cramp.code_cache)."""

from __future__ import annotations

import dataclasses
import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cramp.code_cache import HEADER, CodeCache

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "night-cramps-after-hard-week.yaml"
CODE_FILE = f"dataclass-code.{sys.implementation.cache_tag}.marshal"


def _define(namespace_exec):
    """A frozen, ordered dataclass with defaults, made with ``namespace_exec`` as exec."""
    original = dataclasses.__dict__.get("exec")
    dataclasses.exec = namespace_exec  # type: ignore[attr-defined]
    try:

        @dataclasses.dataclass(frozen=True, order=True)
        class Point:
            x: int
            y: float = 0.5
            tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)

        return Point
    finally:
        if original is None:
            del dataclasses.exec
        else:
            dataclasses.exec = original


def test_kept_code_is_the_code_exec_compiles(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / CODE_FILE)
    plain, cached = _define(exec), _define(cache.exec)
    again = _define(cache.exec)  # from the cache this time
    assert cache.compiled > 0 and cache.compiled == len(cache.code)
    for name in ("__init__", "__repr__", "__eq__", "__lt__", "__setattr__", "__hash__"):
        mine, theirs, kept = (getattr(c, name) for c in (plain, cached, again))
        assert mine.__code__.co_code == theirs.__code__.co_code == kept.__code__.co_code
        # No postponed annotations leak in from the module that compiles.
        assert mine.__annotations__ == theirs.__annotations__ == kept.__annotations__
    assert plain(1) == plain(1, 0.5) and cached(1) == cached(1, 0.5) and again(2) > again(1)
    assert repr(cached(1, 2.0)).endswith("Point(x=1, y=2.0, tags=())")
    with pytest.raises(dataclasses.FrozenInstanceError):
        again(1).x = 3  # type: ignore[misc]


def _cramp(cache: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CRAMP_CACHE_DIR": str(cache), **env}
    environment.pop("CRAMP_NO_CACHE", None)
    environment.update(env)
    code = "import sys; from cramp.cli import main; sys.argv[0] = 'cramp'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        check=False,
    )


def test_a_command_keeps_its_compiled_code_and_the_next_reuses_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _cramp(cache, "diagnose", str(EXAMPLE))
    assert first.returncode == 0, first.stderr
    path = cache / CODE_FILE
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    kept = marshal.loads(path.read_bytes()[len(HEADER) :])
    assert any("__create_fn__" in source for source in kept)
    second = _cramp(cache, "diagnose", str(EXAMPLE))
    assert second.stdout == first.stdout and second.stderr == ""
    # Nothing new was compiled, so nothing was written.
    assert path.stat().st_mtime_ns == info.st_mtime_ns


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a cache", HEADER + b"\x00garbage", HEADER + marshal.dumps({"a": 1}), None],
    ids=["empty", "foreign", "corrupt", "wrong contents", "damaged entries"],
)
def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path: Path, damage: bytes | None) -> None:
    cache = tmp_path / "cache"
    clean = _cramp(cache, "diagnose", str(EXAMPLE))
    path = cache / CODE_FILE
    if damage is None:  # well formed, but no entry holds code
        kept = marshal.loads(path.read_bytes()[len(HEADER) :])
        damage = HEADER + marshal.dumps(dict.fromkeys(kept, b"\x00not code"))
    path.write_bytes(damage)
    result = _cramp(cache, "diagnose", str(EXAMPLE))
    assert result.returncode == 0 and result.stdout == clean.stdout and result.stderr == ""
    assert path.read_bytes().startswith(HEADER) and len(path.read_bytes()) > 1000


def _planted(cache: Path) -> None:
    """A cache whose code for every dataclass __init__ would print a marker."""
    cache.mkdir(parents=True, exist_ok=True)
    evil = compile("print('PLANTED', file=__import__('sys').stderr)", "<string>", "exec")
    real = marshal.loads((cache / CODE_FILE).read_bytes()[len(HEADER) :])
    planted = dict.fromkeys(real, marshal.dumps(evil))
    (cache / CODE_FILE).write_bytes(HEADER + marshal.dumps(planted))


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="ownership checks need POSIX users")
def test_code_is_never_read_from_a_directory_others_can_write(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _cramp(cache, "diagnose", str(EXAMPLE)).returncode == 0
    _planted(cache)
    # The planted file is used where it is trusted (so the check below means something)...
    assert "PLANTED" in _cramp(cache, "diagnose", str(EXAMPLE)).stderr
    # ...and not once others could have written it.
    cache.chmod(0o777)
    result = _cramp(cache, "diagnose", str(EXAMPLE))
    assert "PLANTED" not in result.stderr and result.returncode == 0


def test_a_linked_cache_file_is_not_followed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _cramp(cache, "diagnose", str(EXAMPLE)).returncode == 0
    _planted(cache)
    elsewhere = tmp_path / "elsewhere.marshal"
    (cache / CODE_FILE).rename(elsewhere)
    (cache / CODE_FILE).symlink_to(elsewhere)
    result = _cramp(cache, "diagnose", str(EXAMPLE))
    assert "PLANTED" not in result.stderr and result.returncode == 0


def test_no_cache_keeps_no_code(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = _cramp(cache, "diagnose", str(EXAMPLE), CRAMP_NO_CACHE="1")
    assert result.returncode == 0
    assert not (cache / CODE_FILE).exists()
