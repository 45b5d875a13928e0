"""Helpers for the reliability tests: run `cramp` in-process or as a real process, and
check the one-line error contract (exit status, one line on stderr, no traceback)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cramp.cli import cli

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
    return [found] if found else [sys.executable, "-c", "from cramp.cli import main; main()"]


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
    from knowledge.yaml_io import dump_yaml, parse_yaml

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


def edited_kb(tmp: Path, edits: Callable[[Path], None], base: Path | None = None) -> Path:
    """A copy of kb-minimal (or ``base``) under ``tmp``, changed by ``edits(root)``."""
    root = tmp / "edited-kb"
    shutil.copytree(base or REPO / "tests" / "fixtures" / "kb-minimal", root)
    edits(root)
    return root


def ask_if_chain(length: int) -> Callable[[Path], None]:
    """Edits adding ``length`` yes/no questions, each asked only if the previous is yes.

    They are written last-first, so walking them from the first one written goes the
    whole length down the chain (what exhausted the recursion limit).
    """

    def edit(root: Path) -> None:
        links = []
        for i in reversed(range(length)):
            above = f"link_{i - 1:04d}: yes" if i else "bedding: yes"
            links.append(
                f"  - id: link_{i:04d}\n    section: Chain\n    prompt: Link {i}?\n"
                f"    help: One more link.\n    type: yesno\n    ask_if: {{{above}}}\n"
            )
        with (root / "questions.yaml").open("a", encoding="utf-8") as out:
            out.write("".join(links))
        with (root / "sources" / "alpha.yaml").open("a", encoding="utf-8") as out:
            out.write(
                "  - id: alpha-end-of-chain\n    kind: cause\n    theory: fatigue\n"
                "    evidence: opinion\n    says: The end of the chain.\n"
                "    quote: night cramps are a fatigue issue\n"
                f"    when: {{link_{length - 1:04d}: yes}}\n"
            )

    return edit


def replace_in(path: str, old: str, new: str) -> Callable[[Path], None]:
    """Edits replacing ``old`` (which must be there) by ``new`` in the file at ``path``."""

    def edit(root: Path) -> None:
        text = (root / path).read_text(encoding="utf-8")
        assert old in text, (path, old)
        (root / path).write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def peak_rss_mb(args: Sequence[str | bytes], **kwargs: Any) -> tuple[float, int]:
    """Run ``cramp ARGS``; the largest resident set of it or any of its workers, in MB.

    Measured by a small parent process of its own, whose waited-for children are only
    that command and its workers (getrusage(RUSAGE_CHILDREN) keeps the maximum).
    """
    code = (
        "import resource, subprocess, sys; "
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)"
    )
    env = {**os.environ}
    env.pop("CRAMP_KB", None)
    done = subprocess.run(
        [sys.executable, "-c", code, *cramp_command(), *args],
        capture_output=True,
        env=env,
        check=True,
        **kwargs,
    )
    kilobytes, status = done.stdout.split()
    return int(kilobytes) / 1024, int(status)


def processes_of(parent: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``parent`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass(frozen=True)
class Hostile:
    """One row of a hostile-case table: the set-up, the command, and what it must give.

    ``setup(tmp)`` lays out files under ``tmp`` and returns cramp's arguments. A row
    with ``says`` expects exactly one inert line on stderr holding each fragment; a row
    without expects nothing on stderr. ``kept(tmp)`` then checks that nothing was lost.
    ``process`` runs a real process (devices, FIFOs, descriptors, file names as bytes).
    """

    id: str
    setup: Callable[[Path], Sequence[str | bytes]]
    status: int
    says: tuple[str, ...] = ()
    kept: Callable[[Path], None] | None = None
    process: bool = False


def check_hostile(case: Hostile, tmp: Path) -> Result | subprocess.CompletedProcess[bytes]:
    """Run one :class:`Hostile` row and check its exit status, its message and its files."""
    args = list(case.setup(tmp))
    result: Result | subprocess.CompletedProcess[bytes] = (
        run_cramp(args, timeout=60) if case.process else invoke([os.fsdecode(a) for a in args])
    )
    if case.says:
        assert_one_line_error(result, case.status, *case.says)
    else:
        code = (
            result.returncode
            if isinstance(result, subprocess.CompletedProcess)
            else (result.exit_code)
        )
        err = result.stderr
        err = err.decode("utf-8", "replace") if isinstance(err, bytes) else err
        assert code == case.status, (code, err)
        assert err == "", err
    if case.kept is not None:
        case.kept(tmp)
    return result
