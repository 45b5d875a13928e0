"""End to end in a real pseudo-terminal: the installed `cramp` command, killed and resumed."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from console_script import installed_cramp
from consultation_support import plan

from cramp.session import load_session
from knowledge import KnowledgeBase

pexpect = pytest.importorskip("pexpect", reason="pexpect is a dev dependency")

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("pseudo-terminals need a POSIX system", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
PROMPT = "\r\n> "


def spawn(*args: str, home: Path) -> pexpect.spawn:
    env = {**os.environ, "XDG_STATE_HOME": str(home), "TERM": "dumb", "COLUMNS": "200"}
    env.pop("CRAMP_KB", None)
    return pexpect.spawn(
        installed_cramp(),
        list(args),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )


def answer(child: pexpect.spawn, line: str) -> None:
    """Type one line, then wait for the next prompt (by then the answer is on disk)."""
    child.sendline(line)
    child.expect_exact(PROMPT)


def test_a_consultation_killed_mid_way_resumes_with_no_answer_lost(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    lines, expected = plan(kb)
    assert len(lines) >= 4, "the walk needs a few questions"
    session = tmp_path / "cramp" / "session.yaml"

    child = spawn("ask", home=tmp_path)
    child.expect_exact("At any question you can type")
    child.expect_exact(PROMPT)
    answer(child, lines[0])
    answer(child, "why")
    assert "What each answer would change:" in child.before
    answer(child, lines[1])
    answer(child, lines[2])
    answer(child, "back")
    assert "Took back your answer to:" in child.before
    answer(child, lines[2])
    answer(child, lines[3])
    child.kill(signal.SIGKILL)
    child.close(force=True)
    assert child.signalstatus == signal.SIGKILL

    saved = load_session(session, kb).consultation
    four = len(plan(kb, stop_after=4)[1].history)  # answers on the first four screens
    assert saved.history == expected.history[:four]
    assert {q: saved.answers.get(q) for q in saved.history} == {
        q: expected.answers.get(q) for q in expected.history[:four]
    }
    assert [p.name for p in session.parent.iterdir()] == ["session.yaml"]

    child = spawn("ask", "--resume", home=tmp_path)
    child.expect_exact(f"Continuing your saved consultation: {four} answers so far.")
    child.expect_exact(PROMPT)
    for line in lines[4:-1]:
        answer(child, line)
    child.sendline(lines[-1])
    child.expect_exact("file> ")
    conclusions = child.before
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Your result: no answer still to come can change" in conclusions
    assert "TRIAGE:" in conclusions and "LIKELY CAUSES" in conclusions

    final = load_session(session, kb)
    assert final.finished
    assert final.consultation.history == expected.history
    assert final.consultation.answers == expected.answers


def test_closing_the_terminal_keeps_every_answer(kb: KnowledgeBase, tmp_path: Path) -> None:
    lines, expected = plan(kb, stop_after=2)
    child = spawn("ask", home=tmp_path)
    child.expect_exact(PROMPT)
    answer(child, lines[0])
    answer(child, lines[1])
    child.kill(signal.SIGHUP)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 128 + signal.SIGHUP or child.signalstatus == signal.SIGHUP
    session = tmp_path / "cramp" / "session.yaml"
    assert load_session(session, kb).consultation.history == expected.history
    assert [p.name for p in session.parent.iterdir()] == ["session.yaml"]
