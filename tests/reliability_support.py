"""Helpers for the reliability tests: run `cramp` in-process or as a real process, and
check the one-line error contract (exit status, one line on stderr, no traceback)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from expert.cli import cli

REPO = Path(__file__).resolve().parent.parent
#: What must never reach a terminal from input: ESC, BEL, CR and the other controls.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def invoke(args: Sequence[str], *, input: bytes | str | None = None, **kwargs: Any) -> Result:
    """Run `cramp ARGS` in-process through the group's own error handling."""
    return CliRunner().invoke(cli, list(args), input=input, prog_name="cramp", **kwargs)


def assert_one_line_error(
    result: Result | subprocess.CompletedProcess[bytes], status: int, *fragments: str
) -> str:
    """Exit ``status``, exactly one inert line on stderr holding every fragment, no traceback."""
    if isinstance(result, subprocess.CompletedProcess):
        code, err = result.returncode, result.stderr.decode("utf-8", "replace")
    else:
        code, err = result.exit_code, result.stderr
    assert code == status, (code, err, getattr(result, "exception", None))
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("cramp: "), line
    assert not RAW_CONTROL.search(line), repr(line)
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def cramp_command() -> list[str]:
    """The installed console script (or the module, if the script is missing)."""
    local = REPO / ".venv" / "bin" / "cramp"
    if local.is_file() and os.access(local, os.X_OK):
        return [str(local)]
    found = shutil.which("cramp")
    return [found] if found else [sys.executable, "-c", "from expert.cli import main; main()"]


def run_cramp(
    args: Sequence[str],
    *,
    preexec_fn: Callable[[], None] | None = None,
    timeout: float = 60,
    **kwargs: Any,
) -> subprocess.CompletedProcess[bytes]:
    """Run `cramp ARGS` as a real process (for closed descriptors, devices, signals)."""
    if sys.platform == "win32":  # pragma: no cover
        pytest.skip("needs a POSIX system")
    env = {**os.environ}
    env.pop("CRAMP_KB", None)
    env.update(kwargs.pop("env", {}))
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [*cramp_command(), *args],
        timeout=timeout,
        preexec_fn=preexec_fn,
        env=env,
        check=False,
        **kwargs,
    )


def reuse_bundled_kb(monkeypatch: pytest.MonkeyPatch, kb: Any) -> None:
    """Let in-process commands reuse one loaded bundled knowledge base (and its compiled
    engine) instead of loading and compiling it again for every invocation.

    Only where the knowledge base is not under test: `--kb DIR` still loads DIR.
    """
    import knowledge

    real = knowledge.load_knowledge_base

    def load(directory: Any = None) -> Any:
        return kb if directory is None else real(directory)

    monkeypatch.setattr(knowledge, "load_knowledge_base", load)


# --- hostile knowledge bases ---------------------------------------------------------------

FIXTURE_KB = REPO / "tests" / "fixtures" / "kb"
#: Markup that would hide the triage box, navigate away and fetch from the network if
#: it reached a page unescaped; short enough for a quote (at most 400 characters).
MARKUP = (
    "<style>.triage{display:none}</style>"
    '<meta http-equiv="refresh" content="0;url=https://example.invalid/">'
    '<img src="https://example.invalid/i.png"><script>alert(1)</script> While & "After"'
)
#: Fields that hold text an author writes (not ids, kinds, conditions or addresses).
TEXT_FIELDS = frozenset(
    {
        "title", "author", "publisher", "voice", "bias", "says", "quote", "reason",
        "missing", "summary", "because", "text", "prompt", "help", "section", "label",
        "unit", "disclaimer", "action", "version", "gaps",
    }
)  # fmt: skip


def markup_kb(tmp: Path, markup: str = MARKUP) -> Path:
    """A copy of the fixture knowledge base with ``markup`` added to every text field."""
    from knowledge._yaml import dump_yaml, parse_yaml

    root = tmp / "markup-kb"
    shutil.copytree(FIXTURE_KB, root)

    def spoil(value: Any, key: object = None) -> Any:
        if isinstance(value, dict):
            if key in ("when", "ask_if"):
                return value
            return {k: spoil(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [spoil(v, key) for v in value]
        if isinstance(value, str) and key in TEXT_FIELDS:
            return f"{value} {markup}"
        return value

    for path in sorted(root.rglob("*.yaml")):
        data = parse_yaml(path.read_text(encoding="utf-8"), str(path)).data
        path.write_text(dump_yaml(spoil(data)), encoding="utf-8")
    return root
