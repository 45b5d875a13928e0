"""Nothing is lost: files appear whole or not at all, a crash mid-write (SIGKILL) leaves
the previous file intact, and no existing file is replaced without --force."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from consultation_support import plan
from reliability_support import REPO, assert_one_line_error, invoke

import explain
from expert.session import load_session, write_profile
from knowledge import KnowledgeBase, Profile

EXAMPLE = REPO / "knowledge" / "examples" / "red-flag-calf-tear.yaml"
OTHER = REPO / "knowledge" / "examples" / "long-hot-run.yaml"

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("SIGKILL needs a POSIX system", allow_module_level=True)

# Runs `cramp ARGS` with a write hook: the KILL_AT-th file opened by os.fdopen (the
# atomic writers' temporary files) gets half of its first write, flushed to disk, and
# then the process SIGKILLs itself: a crash in the middle of writing a file.
CHILD = r"""
import os, signal, sys

KILL_AT = int(os.environ["KILL_AT"])
real_fdopen = os.fdopen
opened = 0


class CutShort:
    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        os.fsync(self.handle.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.handle.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self.handle, name)


def fdopen(fd, *args, **kwargs):
    global opened
    opened += 1
    handle = real_fdopen(fd, *args, **kwargs)
    return CutShort(handle) if opened == KILL_AT else handle


os.fdopen = fdopen
sys.argv = ["cramp", *sys.argv[1:]]
from expert.cli import main

main()
"""


def crash_while_writing(
    tmp_path: Path, args: list[str], *, kill_at: int = 1, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cramp ARGS`` and SIGKILL it half-way through writing its ``kill_at``-th file."""
    script = tmp_path / "crash_child.py"
    script.write_text(CHILD)
    env = {**os.environ, "KILL_AT": str(kill_at), "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("CRAMP_KB", None)
    result = subprocess.run(
        [sys.executable, str(script), *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr)
    return result


def leftovers(directory: Path, name: str) -> list[str]:
    """Entries other than ``name``: only hidden temporary files may be left by a SIGKILL.

    (A killed consultation also leaves its session's lock file, ``.NAME.lock``, empty.)
    """
    others = sorted(p.name for p in directory.iterdir() if p.name not in (name, f".{name}.lock"))
    for other in others:
        assert other.startswith(f".{name}.") and other.endswith(".tmp"), other
    return others


# --- a crash mid-write -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_a_report_killed_mid_write_leaves_the_previous_report_intact(
    tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    target = out / f"report.{fmt}"
    assert invoke(["report", str(OTHER), "-o", str(target)]).exit_code == 0
    before = target.read_bytes()
    crash_while_writing(tmp_path, ["report", str(EXAMPLE), "-o", str(target), "--force"])
    assert target.read_bytes() == before
    assert len(leftovers(out, target.name)) == 1  # the cut-short temporary file, hidden
    # A stale temporary file does not get in the way of the next report.
    assert invoke(["report", str(EXAMPLE), "-o", str(target), "--force"]).exit_code == 0
    assert target.read_bytes() != before


def test_a_new_report_killed_mid_write_leaves_no_file_under_its_name(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    target = out / "report.html"
    crash_while_writing(tmp_path, ["report", str(EXAMPLE), "-o", str(target)])
    assert not target.exists()
    leftovers(out, target.name)


def test_a_session_killed_mid_save_keeps_every_answer_saved_before(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    lines, expected = plan(kb)
    session = tmp_path / "state" / "session.yaml"
    # Saves: 1 at the start, then one per answer; the 4th is cut short (the 3rd answer).
    stdin = "".join(f"{line}\n" for line in lines).encode()
    crash_while_writing(tmp_path, ["ask", "--session", str(session)], kill_at=4, stdin=stdin)
    saved = load_session(session, kb).consultation
    assert saved.history == expected.history[:2]
    assert {q: saved.answers[q] for q in saved.history} == {
        q: expected.answers[q] for q in expected.history[:2]
    }
    assert len(leftovers(session.parent, session.name)) == 1
    # And the consultation resumes from there, with nothing asked twice.
    result = invoke(["ask", "--resume", "--session", str(session)], input="quit\n")
    assert result.exit_code == 0, result.output
    assert "Continuing your saved consultation: 2 answers so far." in result.output


def test_kb_docs_killed_mid_write_leaves_the_previous_document_intact(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "knowledge-base.md"
    target.parent.mkdir()
    assert invoke(["kb", "docs", "-o", str(target)]).exit_code == 0
    before = target.read_bytes()
    crash_while_writing(tmp_path, ["kb", "docs", "-o", str(target)])
    assert target.read_bytes() == before
    leftovers(target.parent, target.name)


def test_a_saved_profile_killed_mid_write_leaves_no_file_under_its_name(tmp_path: Path) -> None:
    # Bug: write_profile wrote straight into the final name (O_EXCL), so a crash left a
    # half-written profile there, and the name could not be used again.
    code = (
        "from pathlib import Path; from expert.session import write_profile; "
        "from knowledge import Profile; "
        f"write_profile(Path({str(tmp_path / 'me.yaml')!r}), Profile(name='x' * 5000))"
    )
    script = tmp_path / "crash_child.py"
    script.write_text(CHILD.replace("from expert.cli import main\n\nmain()", code))
    env = {**os.environ, "KILL_AT": "1"}
    result = subprocess.run([sys.executable, str(script)], env=env, timeout=60, check=False)
    assert result.returncode == -signal.SIGKILL
    assert not (tmp_path / "me.yaml").exists()


# --- a failed write (full disk) ------------------------------------------------------------


def test_a_full_disk_while_writing_a_report_is_one_line_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.md"
    target.write_text("the previous report")
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[:100])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
    result = invoke(["report", str(EXAMPLE), "-o", str(target), "--force"])
    assert_one_line_error(result, 1, "report.md: cannot write: No space left on device")
    assert target.read_text() == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_report_name_near_the_file_system_limit_still_writes(tmp_path: Path) -> None:
    # Bug: the temporary name was the target's plus 19 characters, so a legal 250-byte
    # name failed with "File name too long".
    target = tmp_path / ("r" * 247 + ".md")
    result = invoke(["report", str(EXAMPLE), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file() and [p.name for p in tmp_path.iterdir()] == [target.name]


# --- never overwrite silently --------------------------------------------------------------


def test_report_never_replaces_an_existing_file_without_force(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("precious")
    result = invoke(["report", str(EXAMPLE), "-o", str(target)])
    assert_one_line_error(result, 2, "report.html: already exists; use --force to overwrite it")
    assert target.read_text() == "precious"
    assert invoke(["report", str(EXAMPLE), "-o", str(target), "--force"]).exit_code == 0
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_report_never_replaces_through_a_dangling_symlink(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.symlink_to(tmp_path / "elsewhere.md")
    result = invoke(["report", str(EXAMPLE), "-o", str(target)])
    assert_one_line_error(result, 2, "already exists; use --force")
    assert not (tmp_path / "elsewhere.md").exists()


def test_kb_graph_never_replaces_an_existing_file_without_force(tmp_path: Path) -> None:
    target = tmp_path / "kb.svg"
    target.write_text("precious")
    result = invoke(["kb", "graph", "-o", str(target)])
    assert_one_line_error(result, 2, "kb.svg: already exists; use --force to overwrite it")
    assert target.read_text() == "precious"
    assert invoke(["kb", "graph", "-o", str(target), "--force"]).exit_code == 0
    assert target.read_text().startswith("<svg")


def test_kb_docs_replaces_its_own_output_but_no_other_file_without_force(tmp_path: Path) -> None:
    # Bug: `kb docs -o FILE` overwrote any FILE silently (and not atomically).
    generated = tmp_path / "knowledge-base.md"
    assert invoke(["kb", "docs", "-o", str(generated)]).exit_code == 0
    assert invoke(["kb", "docs", "-o", str(generated)]).exit_code == 0  # regenerated in place
    mine = tmp_path / "notes.md"
    mine.write_text("# my notes\n")
    result = invoke(["kb", "docs", "-o", str(mine)])
    assert_one_line_error(result, 2, "notes.md: already exists; use --force to overwrite it")
    assert mine.read_text() == "# my notes\n"
    assert invoke(["kb", "docs", "-o", str(mine), "--force"]).exit_code == 0
    assert "Generated from" in mine.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knowledge-base.md", "notes.md"]


def test_the_report_offered_at_the_end_of_ask_never_replaces_a_file(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    assert hasattr(explain, "write_report")
    lines, _ = plan(kb)
    taken = tmp_path / "taken.md"
    taken.write_text("precious")
    fresh = tmp_path / "fresh.md"
    typed = [*lines, str(taken), str(fresh)]
    result = invoke(
        ["ask", "--session", str(tmp_path / "s.yaml")], input="".join(f"{x}\n" for x in typed)
    )
    assert result.exit_code == 0, result.output
    assert f"{taken} already exists; give another name" in result.output
    assert taken.read_text() == "precious"
    assert f"Report written to {fresh}." in result.output
    assert fresh.read_text(encoding="utf-8").startswith("# ")


def test_the_profile_offered_at_the_end_of_ask_never_replaces_a_file(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(explain, "write_report")  # a build without reports offers a profile
    lines, _ = plan(kb)
    taken = tmp_path / "taken.yaml"
    taken.write_text("precious")
    fresh = tmp_path / "fresh.yaml"
    typed = [*lines, str(taken), str(fresh)]
    result = invoke(
        ["ask", "--session", str(tmp_path / "s.yaml")], input="".join(f"{x}\n" for x in typed)
    )
    assert result.exit_code == 0, result.output
    assert f"{taken} already exists" in result.output
    assert taken.read_text() == "precious"
    assert f"Answers saved to {fresh}." in result.output


def test_write_profile_refuses_an_existing_name_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "me.yaml"
    write_profile(path, Profile(name="Sam"))
    with pytest.raises(FileExistsError):
        write_profile(path, Profile(name="Other"))
    assert "Sam" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["me.yaml"]
    assert path.stat().st_mode & 0o077 == 0  # health information: owner only


def test_an_overlong_line_at_a_prompt_is_refused_not_held(tmp_path: Path) -> None:
    # Bug: a prompt read a whole line however long, so endless input filled memory.
    session = tmp_path / "s.yaml"
    result = invoke(["ask", "--session", str(session)], input="y" * 100_000 + "\nquit\n")
    assert result.exit_code == 0, result.output
    assert "That line is over 4096 characters; please type it again." in result.output
    assert "Stopped. Your 0 answers are saved" in result.output


def test_a_huge_session_file_is_refused_unread(kb: KnowledgeBase, tmp_path: Path) -> None:
    # Bug: `--session /dev/zero` (or a huge file) was read whole.
    session = tmp_path / "s.yaml"
    with session.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = invoke(["ask", "--resume", "--session", str(session)])
    assert_one_line_error(result, 2, "too large (52,428,800 bytes); a session file is at most 1 MB")


def test_a_report_never_replaces_the_profile_it_reads_even_with_force(tmp_path: Path) -> None:
    # Bug: `cramp report me.yaml -o me.yaml --format md --force` replaced the runner's
    # answers with the report.
    profile = tmp_path / "me.yaml"
    profile.write_bytes(EXAMPLE.read_bytes())
    alias = tmp_path / "link.yaml"
    alias.symlink_to(profile)
    for output in (profile, alias):
        result = invoke(["report", str(profile), "-o", str(output), "--format", "md", "--force"])
        assert_one_line_error(result, 2, "that is the profile being read")
    assert profile.read_bytes() == EXAMPLE.read_bytes()


def test_ask_never_saves_its_session_over_the_answers_profile(tmp_path: Path) -> None:
    # Bug: `cramp ask --answers me.yaml --session me.yaml --new` saved the session over
    # the profile it had just read.
    profile = tmp_path / "me.yaml"
    profile.write_bytes(EXAMPLE.read_bytes())
    result = invoke(["ask", "--new", "--answers", str(profile), "--session", str(profile)])
    assert_one_line_error(result, 2, "that is the --answers profile; save the session elsewhere")
    assert profile.read_bytes() == EXAMPLE.read_bytes()
