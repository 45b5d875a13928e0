"""Every command the README shows works as written, and the output it shows is real.

Console blocks hold commands, each after a ``$ `` prompt, and the output that follows a
command, with no prompt. Lines of shown output must appear in the real output, except
lines with an ellipsis (…), which mark what the README leaves out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


@dataclass
class Shown:
    """One command from the README and the output it shows (if any)."""

    command: str
    output: list[str] = field(default_factory=list)


CONSOLE_BLOCKS = re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL)


def readme_commands() -> list[Shown]:
    """Commands in the README's console blocks, in order, each with its shown output."""
    found: list[Shown] = []
    for block in CONSOLE_BLOCKS:
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append(Shown(line[2:]))
            elif found:
                found[-1].output.append(line)
    return found


COMMANDS = readme_commands()
#: The pip path is run literally in a copy of the checkout, in this order.
PIP_PATH = ["python3 -m venv .venv", ".venv/bin/pip install .", ".venv/bin/cramp demo"]


def run(command: str, cwd: Path, tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    env.pop("CRAMP_KB", None)
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
    )


def assert_shows(shown: Shown, result: subprocess.CompletedProcess) -> None:
    actual = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
    for line in shown.output:
        if "…" in line or not line.strip():
            continue
        assert line.rstrip() in actual, (
            f"README shows {line!r}, the command printed:\n" + "\n".join(actual[:40])
        )


def test_every_console_block_starts_with_a_command_after_a_prompt():
    # Without the prompt a command reads (and is styled) as the output of nothing.
    assert len(CONSOLE_BLOCKS) >= 4
    for block in CONSOLE_BLOCKS:
        assert block.startswith("$ "), block


def test_the_readme_shows_the_two_quick_start_commands_first():
    assert [c.command for c in COMMANDS[:2]] == ["uv run cramp demo", "uv run pytest"]
    assert [c.command for c in COMMANDS[2:5]] == PIP_PATH


@pytest.mark.parametrize(
    "shown", [c for c in COMMANDS if c.command not in PIP_PATH], ids=lambda c: c.command
)
def test_each_readme_command_works_as_written(shown, tmp_path):
    command = shown.command
    if command.startswith("uv run") and shutil.which("uv") is None:
        pytest.skip("uv is not installed here; CI runs the uv commands")
    if command == "uv run pytest":
        # Running the whole suite from inside itself would recurse; collecting it proves
        # the command finds and imports every test.
        command = "uv run pytest --collect-only -q"
    stdin = "quit\n" if command.startswith("cramp ask") else ""
    result = run(command, REPO, tmp_path, stdin)
    if "lots" in command:  # the README's example of bad input
        assert result.returncode == 2
    else:
        assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert_shows(shown, result)


@pytest.mark.slow
def test_the_pip_path_works_as_written_in_a_fresh_copy(tmp_path):
    copy = tmp_path / "clone"
    shutil.copytree(
        REPO,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "dist", ".*_cache", "site"),
    )
    for command in PIP_PATH:
        result = run(command, copy, tmp_path)
        assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
    assert "Worked consultation:" in result.stdout
