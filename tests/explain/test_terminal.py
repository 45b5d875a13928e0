"""Output that reads well in a terminal: wrapped at word boundaries, colour only where wanted."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from console_script import installed_cramp
from consultation_support import plan
from hypothesis import given, settings
from hypothesis import strategies as st

from cramp.cli import cli
from explain.terminal import wrap
from knowledge import KnowledgeBase

pexpect = pytest.importorskip("pexpect", reason="pexpect is a dev dependency")

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("pseudo-terminals need a POSIX system", allow_module_level=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "night-cramps-after-hard-week.yaml"
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def words_of(text: str) -> set[str]:
    return set(ESCAPE.sub("", text).split())


def test_wrapping_keeps_every_word_whole_and_indents_list_items() -> None:
    text = "  - " + " ".join(["immediate", "a doctor", "tenderness"] * 12)
    for columns in (20, 40, 60, 120):
        out = wrap(text, columns)
        lines = out.split("\n")
        assert all(len(line) <= columns for line in lines)
        assert out.split() == text.split()
        assert all(line.startswith("    ") for line in lines[1:])


def _wrapped_by_textwrap(text: str, columns: int) -> str:
    """What :func:`explain.terminal.wrap` gives with every line through a
    ``textwrap.TextWrapper``: its own slow way, which the fast way is checked against."""
    from unittest import mock

    with mock.patch("explain.terminal._words_wrapped", return_value=None):
        return wrap(text, columns)


# Words of every length (some longer than a line), single and double spaces, the
# whitespace textwrap turns into spaces, list markers, and text that is not ASCII.
_WORDS = st.lists(
    st.one_of(
        st.text(alphabet="abcdefghij", min_size=1, max_size=30),
        st.sampled_from(["-", "- ", "1. ", "[2] ", "A: ", "é", "\u3000", "\t", "  ", "\r"]),
    ),
    max_size=40,
)


@settings(max_examples=400)
@given(
    st.lists(st.tuples(st.text(alphabet=" ", max_size=4), _WORDS), max_size=4),
    st.sampled_from(["", "- ", "  * ", "12. ", "[3] ", "B: "]),
    st.integers(8, 100),
    st.sampled_from([" ", "  "]),
)
def test_wrapping_gives_what_textwrap_gives(lines, marker, columns, separator) -> None:
    text = "\n".join(
        indent + (marker if n == 0 else "") + separator.join(words)
        for n, (indent, words) in enumerate(lines)
    )
    assert wrap(text, columns) == _wrapped_by_textwrap(text, columns)


def test_wrapping_a_report_takes_the_fast_way_and_gives_what_textwrap_gives() -> None:
    from explain.terminal import _words_wrapped

    report = CliRunner().invoke(cli, ["diagnose", str(EXAMPLE)]).output
    long_lines = [line for line in report.split("\n") if len(line) > 60]
    assert long_lines
    # Most lines are words and single spaces (aligned columns, with double spaces, are not).
    fast = [line for line in long_lines if _words_wrapped(line.lstrip(" -"), 50, 50) is not None]
    assert len(fast) >= 0.75 * len(long_lines)
    for columns in (40, 60, 80):
        assert wrap(report, columns) == _wrapped_by_textwrap(report, columns)


def _screens(child: pexpect.spawn, lines: list[str]) -> str:
    seen = []
    for line in lines:
        child.expect(["\r\nfile> ", "\r\n> "])
        seen.append(child.before + child.after)
        child.sendline(line)
    child.expect(pexpect.EOF)
    seen.append(child.before)
    return "".join(seen)


@pytest.mark.parametrize("columns", [60, 120])
def test_a_consultation_in_a_real_terminal_fits_its_width(
    kb: KnowledgeBase, tmp_path: Path, columns: int
) -> None:
    lines, _ = plan(kb, {"cramp_timing": ("night",), "recovery": "little"})
    # A short state directory: a file name longer than a whole line is the one word that
    # has to be broken, and the session's name is printed.
    state = Path(tempfile.mkdtemp(prefix="c", dir="/tmp"))
    env = {**os.environ, "XDG_STATE_HOME": str(state), "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)
    env.pop("NO_COLOR", None)
    env.pop("CRAMP_KB", None)
    child = pexpect.spawn(
        installed_cramp(),
        ["ask", "--new"],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, columns),
    )
    # Every answer, `why` once, the result mid-way, then Enter at the closing screen.
    typed = [lines[0], "why", "result", *lines[1:], ""]
    text = _screens(child, typed)
    child.close()
    plain = ESCAPE.sub("", text).replace("\r", "")
    shown = plain.split("\n")
    assert max(len(line) for line in shown) <= columns
    # No word cut: every word on screen is a word of the texts the program printed
    # unwrapped, which the same run writes at 80 columns into a pipe.
    assert "Your result:" in plain or "Nothing left to ask" in plain
    assert "\x1b[" in text, "a terminal gets colour"
    piped = subprocess.run(
        [installed_cramp(), "ask", "--new"],
        input="\n".join(typed) + "\n",
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "100000"},
        check=False,
    )
    whole = words_of(piped.stdout)
    typed_words = {w for line in typed for w in line.split()}
    cut = [w for w in words_of(plain) if w not in whole and w not in typed_words]
    shutil.rmtree(state, ignore_errors=True)
    assert not cut, cut[:10]


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color", "pipe"])
def test_no_colour_for_no_color_the_flag_or_a_pipe(tmp_path: Path, how: str) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": str(tmp_path)}
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)
    args = ["diagnose", str(EXAMPLE)]
    if how == "pipe":
        run = subprocess.run(
            [installed_cramp(), *args], capture_output=True, text=True, env=env, check=False
        )
        assert run.returncode == 0
        assert "\x1b" not in run.stdout + run.stderr
        # Not a terminal: 80 columns, words whole.
        assert max(len(line) for line in run.stdout.splitlines()) <= 80
        unwrapped = subprocess.run(
            [installed_cramp(), *args],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": "100000"},
            check=False,
        )
        assert run.stdout.split() == unwrapped.stdout.split()
        return
    if how == "NO_COLOR":
        env["NO_COLOR"] = "1"
    else:
        args = ["--no-color", *args]
    child = pexpect.spawn(
        installed_cramp(), args, env=env, encoding="utf-8", timeout=60, dimensions=(50, 100)
    )
    child.expect(pexpect.EOF)
    out = child.before
    child.close()
    assert "TRIAGE:" in out
    assert "\x1b" not in out
    # The same in a terminal without either gets colour: the test can fail.
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        installed_cramp(),
        ["diagnose", str(EXAMPLE)],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 100),
    )
    child.expect(pexpect.EOF)
    assert "\x1b[" in child.before
    child.close()


def test_errors_are_one_line_without_colour_through_a_pipe() -> None:
    result = CliRunner().invoke(
        cli, ["diagnose", "/nonexistent/profile.yaml"], env={"NO_COLOR": "1"}
    )
    assert result.exit_code == 2
    assert "\x1b" not in result.output
    assert len(result.output.strip().splitlines()) == 1
