"""Nothing is lost: files appear whole or not at all, a crash mid-write (SIGKILL) leaves
the previous file intact, and no existing file is replaced without --force."""

from __future__ import annotations

import csv
import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from consultation_support import plan
from reliability_support import (
    REPO,
    Hostile,
    alive,
    assert_one_line_error,
    check_hostile,
    cramp_command,
    invoke,
    processes_of,
    reuse_bundled_kb,
    run_cramp,
)

from cramp.session import load_session, write_profile
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
from cramp.cli import main

main()
"""


def crash_while_writing(
    tmp_path: Path, args: list[str], *, kill_at: int = 1, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cramp ARGS`` and SIGKILL it half-way through writing its ``kill_at``-th file."""
    script = tmp_path / "crash_child.py"
    script.write_text(CHILD)
    env = {**os.environ, "KILL_AT": str(kill_at), "XDG_STATE_HOME": str(tmp_path / "state")}
    env["CRAMP_NO_CACHE"] = "1"  # count only the command's own files, not its image
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
    two = len(plan(kb, stop_after=2)[1].history)  # answers on the first two screens
    session = tmp_path / "state" / "session.yaml"
    # Saves: 1 at the start, then one per screen; the 4th is cut short (the 3rd screen).
    stdin = "".join(f"{line}\n" for line in lines).encode()
    crash_while_writing(tmp_path, ["ask", "--session", str(session)], kill_at=4, stdin=stdin)
    saved = load_session(session, kb).consultation
    assert saved.history == expected.history[:two]
    assert {q: saved.answers[q] for q in saved.history if q in saved.answers} == {
        q: expected.answers[q] for q in expected.history[:two] if q in expected.answers
    }
    assert len(leftovers(session.parent, session.name)) == 1
    # And the consultation resumes from there, with nothing asked twice.
    result = invoke(["ask", "--resume", "--session", str(session)], input="quit\n")
    assert result.exit_code == 0, result.output
    assert f"Continuing your saved consultation: {two} answers so far." in result.output


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
        "from pathlib import Path; from cramp.session import write_profile; "
        "from knowledge import Profile; "
        f"write_profile(Path({str(tmp_path / 'me.yaml')!r}), Profile(name='x' * 5000))"
    )
    script = tmp_path / "crash_child.py"
    script.write_text(CHILD.replace("from cramp.cli import main\n\nmain()", code))
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


# --- cramp batch: inputs are never outputs -------------------------------------------------

PROFILES = {
    "urgent": (REPO / "knowledge" / "examples" / "red-flag-calf-tear.yaml").read_text("utf-8"),
    "self_care": OTHER.read_text("utf-8"),
}


def profiles_dir(tmp: Path, names: dict[str, str]) -> Path:
    """A folder ``athletes`` holding each named profile (a tier from PROFILES, or text)."""
    folder = tmp / "athletes"
    folder.mkdir(exist_ok=True)
    for name, content in names.items():
        (folder / name).write_text(PROFILES.get(content, content), encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def batch_into_its_own_directory(tmp: Path) -> list[str]:
    folder = profiles_dir(tmp, {"ann.json": '{"recovery": "some"}\n', "bo.json": "{}\n"})
    (tmp / "before").write_bytes(repr(snapshot(folder)).encode())
    return ["batch", str(folder), "-o", str(folder), "--format", "json", "--force", "-q"]


def profiles_unchanged(tmp: Path) -> None:
    assert repr(snapshot(tmp / "athletes")).encode() == (tmp / "before").read_bytes()


def batch_into_the_folder_of_its_json_lines(tmp: Path) -> list[str]:
    folder = tmp / "athletes"
    folder.mkdir()
    (folder / "summary.csv").write_text('{"recovery": "some"}\n', encoding="utf-8")
    (tmp / "before").write_bytes(repr(snapshot(folder)).encode())
    source = str(folder / "summary.csv")
    return ["batch", source, "-o", str(folder), "--format", "json", "--force", "-q"]


def names_that_clash(tmp: Path) -> list[str]:
    profiles_dir(tmp, {"a.yaml": "urgent", "a.yml": "self_care", "a.yaml.json": '{"x": 1'})
    (tmp / "athletes" / "a.yaml.json").write_text(
        json.dumps({"calf_can_contract": "no"}), encoding="utf-8"
    )
    return ["batch", str(tmp / "athletes"), "-o", str(tmp / "out"), "-q", "-j", "1"]


def each_runner_has_its_own_report(tmp: Path) -> None:
    # Bug: a.yaml, a.yml and a.yaml.json all mapped to a.yaml.html, so the summary
    # paired one runner's triage with another runner's report.
    rows = list(csv.DictReader((tmp / "out" / "summary.csv").open(encoding="utf-8")))
    assert [(r["runner"], r["report"]) for r in rows] == [
        ("a.yaml", "a.yaml.html"),
        ("a.yaml.json", "a.yaml.json.html"),
        ("a.yml", "a.yml.html"),
    ]
    for row in rows:
        html = (tmp / "out" / row["report"]).read_text(encoding="utf-8")
        title = {"urgent": "Urgent", "self_care": "Self-care"}[row["triage"]]
        assert f"Triage: {title}" in html or f">{title}<" in html, (row, title)


def names_differing_in_case(tmp: Path) -> list[str]:
    profiles_dir(tmp, {"Ann.yaml": "urgent", "ann.yaml": "self_care"})
    return ["batch", str(tmp / "athletes"), "-o", str(tmp / "out"), "-q"]


def nothing_in_out(tmp: Path) -> None:
    assert not (tmp / "out").exists() or list((tmp / "out").iterdir()) == []


def summary_at(kind: str, force: bool) -> Callable[[Path], list[str]]:
    """A batch whose summary.csv is already a link, a dangling link or a FIFO."""

    def setup(tmp: Path) -> list[str]:
        profiles_dir(tmp, {"ann.yaml": "self_care"})
        out = tmp / "out"
        out.mkdir()
        (tmp / "victim.txt").write_text("precious\n")
        if kind == "link":
            (out / "summary.csv").symlink_to(tmp / "victim.txt")
        elif kind == "dangling":
            (out / "summary.csv").symlink_to(tmp / "nowhere.txt")
        else:
            os.mkfifo(out / "summary.csv")
        args = ["batch", str(tmp / "athletes"), "-o", str(out), "-q", "-j", "1"]
        return [*args, "--force"] if force else args

    return setup


def victim_untouched(tmp: Path) -> None:
    assert (tmp / "victim.txt").read_text() == "precious\n"
    assert not (tmp / "nowhere.txt").exists()
    summary = tmp / "out" / "summary.csv"
    assert summary.is_symlink() or stat.S_ISFIFO(summary.lstat().st_mode)
    assert sorted(p.name for p in (tmp / "out").iterdir()) == ["summary.csv"]


BATCH_CASES = [
    Hostile(
        "into-its-own-directory",
        batch_into_its_own_directory,
        2,
        ("that is the directory of the profiles", "write them to another directory"),
        profiles_unchanged,
    ),
    Hostile(
        "into-the-folder-of-its-json-lines",
        batch_into_the_folder_of_its_json_lines,
        2,
        ("holds the JSON-lines source summary.csv",),
        profiles_unchanged,
    ),
    Hostile("names-that-clash", names_that_clash, 0, (), each_runner_has_its_own_report),
    Hostile(
        "names-differing-in-case",
        names_differing_in_case,
        2,
        ("'Ann.yaml' and 'ann.yaml' differ only in case", "rename one"),
        nothing_in_out,
    ),
    Hostile(
        "summary-is-a-link",
        summary_at("link", force=True),
        2,
        ("summary.csv: is a symbolic link, not a regular file",),
        victim_untouched,
    ),
    Hostile(
        "summary-is-a-dangling-link",
        summary_at("dangling", force=False),
        2,
        ("summary.csv: already exists; use --force",),
        victim_untouched,
    ),
    Hostile(
        "summary-is-a-fifo",
        summary_at("fifo", force=True),
        2,
        ("summary.csv: is a FIFO (named pipe), not a regular file",),
        victim_untouched,
        process=True,
    ),
]


@pytest.mark.parametrize("case", BATCH_CASES, ids=[c.id for c in BATCH_CASES])
def test_batch_never_writes_over_its_inputs_or_through_links(
    tmp_path: Path, case: Hostile, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    reuse_bundled_kb(monkeypatch, kb)  # loaded once, not per command
    check_hostile(case, tmp_path)


def test_a_summary_that_appears_during_the_run_is_not_replaced_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    # Bug: the summary was checked before the run and then written with open("w").
    reuse_bundled_kb(monkeypatch, kb)  # loaded once, not per command
    import cramp.batch

    folder = profiles_dir(tmp_path, {"ann.yaml": "self_care", "bo.yaml": "urgent"})
    out = tmp_path / "out"
    real = cramp.batch._report_one

    def and_meanwhile(item, target):
        (out / "summary.csv").write_text("someone else's\n")
        return real(item, target)

    monkeypatch.setattr(cramp.batch, "_report_one", and_meanwhile)
    result = invoke(["batch", str(folder), "-o", str(out), "-j", "1", "-q"])
    assert_one_line_error(result, 2, "summary.csv: already exists (it appeared during the run)")
    assert (out / "summary.csv").read_text() == "someone else's\n"


def test_a_full_disk_while_writing_the_summary_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    # Bug: summary.csv was opened with "w" (emptied) and then written row by row.
    reuse_bundled_kb(monkeypatch, kb)  # loaded once, not per command
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell which file a descriptor is")
    folder = profiles_dir(tmp_path, {"ann.yaml": "self_care"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("the previous summary\n")
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        return Full(handle) if ".summary.csv." in os.readlink(f"/proc/self/fd/{fd}") else handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    result = invoke(["batch", str(folder), "-o", str(out), "-j", "1", "-q", "--force"])
    assert_one_line_error(result, 1, "summary.csv: cannot write: No space left on device")
    assert (out / "summary.csv").read_text() == "the previous summary\n"
    assert sorted(p.name for p in out.iterdir()) == ["ann.html", "summary.csv"]


# --- cramp batch: stopped at once, and nothing orphaned -------------------------------------


def long_batch(tmp: Path, count: int = 400) -> tuple[list[str], Path]:
    """A JSON-lines batch long enough to interrupt, and its output folder."""
    lines = [
        {"cramp_timing": ["night"], "recovery": "little"},
        {"calf_can_contract": "no"},
        {"recovery": "some"},
    ]
    source = tmp / "squad.jsonl"
    source.write_text("".join(json.dumps(lines[i % 3]) + "\n" for i in range(count)))
    out = tmp / "out"
    return ["batch", str(source), "-o", str(out), "--format", "json", "-j", "2"], out


@contextmanager
def batch_running(args: list[str], out: Path, reports: int = 4) -> Iterator[subprocess.Popen]:
    """``cramp batch ARGS`` in a process group of its own, once ``reports`` are written.

    On the way out the whole group is killed, so a batch (or a worker) that failed to
    stop is never left behind, whatever the test found.
    """
    process = subprocess.Popen(
        [*cramp_command(), *args],
        start_new_session=True,  # a process group of its own, as a terminal's job has
        stdout=subprocess.DEVNULL,  # workers inherit it: a pipe would stay open with them
        stderr=subprocess.PIPE,
    )
    try:
        while not out.is_dir() or len(list(out.glob("*.json"))) < reports:
            assert process.poll() is None, "the batch ended before writing its reports"
            time.sleep(0.02)
        yield process
    finally:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_an_interrupted_batch_stops_at_once_and_summarises_what_finished(
    tmp_path: Path, signum: int, status: int
) -> None:
    # Bug: Ctrl-C printed workers' tracebacks, or the pool kept writing reports for half
    # a minute, and no summary was written for the part that had finished.
    args, out = long_batch(tmp_path)
    with batch_running(args, out) as process:
        workers = processes_of(process.pid)
        if signum == signal.SIGINT:
            os.killpg(process.pid, signum)  # Ctrl-C reaches the terminal's whole process group
        else:
            process.send_signal(signum)
        process.wait(timeout=20)  # not 30 seconds of further reports
    # Read once the group is gone: a worker left running would keep the pipe open.
    text = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode == status, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert f"stopped by {signal.Signals(signum).name} after" in text
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    reports = sorted(p.name for p in out.glob("*.json"))
    assert rows[-1]["status"] == "partial" and "not reported" in rows[-1]["error"]
    assert sorted(r["report"] for r in rows[:-1] if r["report"]) == reports
    assert 4 <= len(reports) < 400
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file
    assert not [w for w in workers if alive(w)]


def _write_then_be_stopped(target: str) -> str:
    """A task whose report is written just as its worker is asked to stop."""
    Path(target).write_text("{}", encoding="utf-8")
    # The parent's stop (SIGTERM), arriving between the report and its answer.
    os.kill(os.getpid(), signal.SIGTERM)
    return Path(target).name


def _no_setup() -> None:
    """A worker that needs nothing set up."""


def test_a_worker_asked_to_stop_after_writing_its_report_still_answers(tmp_path: Path) -> None:
    # Bug: a batch stopped by SIGTERM could leave a report on disk that its summary did
    # not list: the worker exited between writing the report and sending its answer.
    from cramp.workers import Stop, WorkerPool

    answers: list[tuple[Any, Any]] = []
    pool = WorkerPool(1, _write_then_be_stopped, _no_setup)
    pool.run(
        iter([(0, str(tmp_path / "a.json"))]),
        lambda index, result: answers.append((index, result)),
        lambda task, why: answers.append(("died", why)),
        Stop(),
    )
    assert answers == [(0, "a.json")]
    assert (tmp_path / "a.json").exists()
    assert not pool.workers


def test_workers_die_with_a_batch_that_is_killed(tmp_path: Path) -> None:
    # Bug: killing the main process (SIGKILL, the OOM killer) left the workers running.
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to find the workers")
    args, out = long_batch(tmp_path)
    with batch_running(args, out) as process:
        workers = processes_of(process.pid)
        assert workers
        process.kill()
        process.wait()
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [w for w in workers if alive(w)]
    assert not left


def test_a_worker_notices_its_parent_is_gone_even_without_a_death_signal(tmp_path: Path) -> None:
    # The fallback where PR_SET_PDEATHSIG does not exist: a thread watching the parent.
    code = f"""
import os, sys, time
sys.path.insert(0, {str(REPO)!r})
from cramp import workers
pid = os.fork()
if pid == 0:
    parent = os.getppid()
    os.setsid()
    workers.sys.platform = "other"  # no prctl: only the watching thread is left
    workers._die_with_parent(parent)
    open({str(tmp_path / "ready")!r}, "w").close()
    time.sleep(60)
    os._exit(0)
print(pid, flush=True)
time.sleep(60)
"""
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    child = int(parent.stdout.readline())
    while not (tmp_path / "ready").exists():
        time.sleep(0.02)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


# --- sessions and output files: only regular files, never a device or a link -----------------


def node(tmp: Path, kind: str, name: str) -> Path:
    """A FIFO, a character device (like /dev/null), or a link to a file, at ``tmp/name``."""
    path = tmp / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    else:
        (tmp / "target.txt").write_text("precious\n")
        path.symlink_to(tmp / "target.txt")
    return path


def still(kind: str, name: str) -> Callable[[Path], None]:
    def kept(tmp: Path) -> None:
        mode = (tmp / name).lstat().st_mode
        wanted = {"fifo": stat.S_ISFIFO, "device": stat.S_ISCHR, "link": stat.S_ISLNK}[kind]
        assert wanted(mode), oct(mode)
        if kind == "link":
            assert (tmp / "target.txt").read_text() == "precious\n"
        assert not [p for p in tmp.iterdir() if p.name.endswith(".tmp")]

    return kept


def session_at(kind: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        return ["ask", "--new", "--session", str(node(tmp, kind, "session.yaml"))]

    return setup


def report_at(kind: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        target = node(tmp, kind, "report.md")
        return ["report", str(EXAMPLE), "-o", str(target), "--force"]

    return setup


def stdout_link(tmp: Path) -> list[str]:
    (tmp / "stdout").symlink_to("/proc/self/fd/1")
    return ["report", str(EXAMPLE), "-o", str(tmp / "stdout"), "--force", "--format", "md"]


def session_over_a_file_of_ours(tmp: Path) -> list[str]:
    (tmp / "thesis.txt").write_text("Chapter 1\n")
    return ["ask", "--new", "--session", str(tmp / "thesis.txt")]


def thesis_kept(tmp: Path) -> None:
    assert (tmp / "thesis.txt").read_text() == "Chapter 1\n"


OUTPUT_CASES = [
    Hostile(
        "ask-new-over-a-file-that-is-not-a-session",
        session_over_a_file_of_ours,
        2,
        ("thesis.txt: holds something other than a cramp session", "choose another file"),
        thesis_kept,
    ),
    *(
        Hostile(
            f"session-is-a-{kind}",
            session_at(kind),
            2,
            (f"session.yaml: is {what}, not a regular file",),
            still(kind, "session.yaml"),
            process=kind == "fifo",
        )
        for kind, what in [
            ("device", "a device"),
            ("fifo", "a FIFO (named pipe)"),
            ("link", "a symbolic link"),
        ]
    ),
    *(
        Hostile(
            f"report-over-a-{kind}",
            report_at(kind),
            2,
            (f"report.md: is {what}, not a regular file", "`-o -` writes to standard output"),
            still(kind, "report.md"),
        )
        for kind, what in [
            ("device", "a device"),
            ("fifo", "a FIFO (named pipe)"),
            ("link", "a symbolic link"),
        ]
    ),
    Hostile(
        # What /dev/stdout is (a link to descriptor 1), made where replacing it is harmless.
        "report-over-a-link-to-standard-output",
        stdout_link,
        2,
        ("stdout: is a symbolic link, not a regular file",),
        lambda tmp: (tmp / "stdout").is_symlink() or pytest.fail("the link was replaced"),
    ),
    Hostile(
        "session-in-the-home-of-no-such-user",
        lambda tmp: ["ask", "--session", "~nosuchuser-cramp/session.yaml"],
        2,
        ("cannot expand ~nosuchuser-cramp: no such user",),
    ),
]


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=[c.id for c in OUTPUT_CASES])
def test_outputs_are_regular_files_or_new_names(
    tmp_path: Path, case: Hostile, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    reuse_bundled_kb(monkeypatch, kb)  # loaded once, not per command
    check_hostile(case, tmp_path)


def test_a_second_ask_on_a_session_in_use_is_refused(tmp_path: Path) -> None:
    # Bug: two `cramp ask --resume` on one session each saved their own answers over
    # the other's, silently losing one side.
    session = tmp_path / "s.yaml"
    first = subprocess.Popen(
        [*cramp_command(), "ask", "--session", str(session)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    while not session.exists():
        assert first.poll() is None
        time.sleep(0.02)
    second = run_cramp(["ask", "--resume", "--session", str(session)], input=b"y\n", stdin=None)
    assert_one_line_error(second, 2, "another `cramp ask` is using this consultation")
    out, _ = first.communicate(b"quit\n", timeout=60)
    assert first.returncode == 0 and b"Stopped." in out
    # Once the first has stopped, the session can be resumed (and its lock is gone).
    third = run_cramp(["ask", "--resume", "--session", str(session)], input=b"quit\n", stdin=None)
    assert third.returncode == 0, third.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_standard_output_cut_short_by_its_reader_is_exit_1(tmp_path: Path) -> None:
    # Bug: `cramp report p -o - | head -c 10` exited 0 with the report cut off: unbuffered
    # (PYTHONUNBUFFERED=1), a short write to a pipe was taken as done.
    for unbuffered in ("1", ""):
        read_end, write_end = os.pipe()
        process = subprocess.Popen(
            [*cramp_command(), "report", str(EXAMPLE), "-o", "-", "--format", "json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": unbuffered},
        )
        os.close(write_end)
        with os.fdopen(read_end, "rb") as reader:
            assert len(reader.read(10)) == 10  # `head -c 10`, then the reader goes away
        _, err = process.communicate(timeout=60)
        assert process.returncode == 1, (unbuffered, err)
        assert b"Traceback" not in err


def test_closed_standard_output_is_exit_1_not_silence() -> None:
    # Bug: `cramp diagnose p >&-` exited 0 having written nothing.
    result = run_cramp(["diagnose", str(EXAMPLE)], preexec_fn=lambda: os.close(1), stdout=None)
    assert_one_line_error(result, 1, "cannot write the output: standard output is closed")


def test_kb_graph_too_large_to_draw_is_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A graph's links grow faster than its knowledge base (every finding's tags reach
    # every piece of advice they name); past the limit it is refused, not half drawn.
    monkeypatch.setattr("explain.kb_graph.MAX_LINKS", 10)
    target = tmp_path / "kb.svg"
    result = invoke(["kb", "graph", "-o", str(target)])
    assert_one_line_error(result, 1, "more than 10 links")
    assert "too large to draw; `cramp kb coverage` and `cramp kb docs`" in result.stderr
    assert not target.exists()
