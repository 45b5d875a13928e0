"""``cramp ask``: the interactive consultation, a thin shell over :mod:`expert.consultation`.

Reads one line per prompt, so it works the same in a terminal and with piped input.
Every answer is saved before the next question is shown (see :mod:`cramp.session`).
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cramp.cli.support import (
    EXIT_ERROR,
    fail,
    load_kb,
    load_profile,
    printable,
    same_file,
    user_path,
)

if TYPE_CHECKING:
    from expert.consultation import Consultation, Why
    from knowledge import KnowledgeBase
    from knowledge.schema import Question

EXIT_INTERRUPTED = 130
COMMANDS = "why · back · ? · help · quit"
WHY_WORDS = frozenset({"why"})
BACK_WORDS = frozenset({"back", "undo"})
UNKNOWN_WORDS = frozenset({"?", "unknown", "don't know", "dont know", "dunno"})
HELP_WORDS = frozenset({"help"})
QUIT_WORDS = frozenset({"quit", "exit", "q"})
#: How many rule names an answer's effect lists before "and N more".
SHOW_RULES = 4
#: The longest line read at a prompt; anything longer is refused, never held whole.
MAX_LINE = 4096


class _Stopped(BaseException):
    """The terminal closed (SIGHUP) or the process was asked to stop (SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@click.command()
@click.option("--resume", is_flag=True, help="Continue the saved consultation where it stopped.")
@click.option("--new", is_flag=True, help="Start afresh, replacing any saved consultation.")
@click.option(
    "--answers",
    "answers_file",
    metavar="FILE",
    help="Pre-fill answers from a profile (YAML or JSON, as for `cramp diagnose`).",
)
@click.option(
    "--session",
    "session_file",
    metavar="FILE",
    help="Where to save answers as you go "
    "[default: $XDG_STATE_HOME/cramp/session.yaml, else ~/.local/state/cramp/session.yaml].",
)
@click.pass_context
def ask(
    ctx: click.Context,
    resume: bool,
    new: bool,
    answers_file: str | None,
    session_file: str | None,
) -> None:
    """Answer a few questions; get what the sources say about your cramps.

    Only questions whose answer can still change the conclusions are asked,
    warning signs first. A warning sign that needs a doctor stops the questions
    and shows where to go first. At any question you can type:

    \b
      why      which sources make this question matter, and what each answer changes
      back     take back your last answer
      ?        don't know (also: unknown); nothing that needs the answer is concluded
      help     what you can type, and what the question means
      quit     save and stop; continue later with --resume

    Every answer is saved as soon as it is given, so closing the terminal loses
    nothing. The end shows what `cramp diagnose` concludes for your answers.
    Piped input works too: one answer per line.

    \b
    Examples:
      cramp ask
      cramp ask --resume
      cramp ask --new --answers my-profile.yaml
      printf 'y\\nnone\\n' | cramp ask --new --session /tmp/cramp.yaml

    The session file is only ever a regular file: a link, a device or a FIFO is
    refused, --new replaces only a saved consultation (or an empty file), and while
    one `cramp ask` uses a session a second one on it is refused.

    Exit status: 0 finished, or stopped and saved (quit, end of input); 1 the
    answers could not be saved; 2 invalid input, or the session is in use; 130
    interrupted (answers kept).
    """
    from cramp.files import not_regular
    from cramp.session import is_session_file

    if resume and new:
        fail("--resume continues the saved consultation and --new replaces it; choose one")
    if resume and answers_file:
        fail("--answers pre-fills a new consultation; it cannot be combined with --resume")
    if answers_file == "-":
        fail("--answers: give a file; standard input is where the answers to questions come from")
    kb = load_kb(ctx)
    path = _session_path(session_file)
    if path.is_dir():
        fail(f"--session {path}: is a directory; give a file name")
    kind = not_regular(path)
    if kind is not None:
        # Saving replaces the file: that would turn /dev/null or a link into a session.
        fail(f"--session {path}: is {kind}, not a regular file; give a session file's name")
    if answers_file and same_file(path, answers_file):
        # Saving the session would overwrite the runner's profile with it.
        fail(f"--session {path}: that is the --answers profile; save the session elsewhere")
    if session_file is not None and not resume and path.exists() and not is_session_file(path):
        # Someone's file (thesis.txt): --new replaces only a saved consultation. The
        # default session file is cramp's own, so --new replaces it even damaged.
        fail(
            f"--session {path}: holds something other than a cramp session, which "
            "cramp never replaces; choose another file"
        )
    _consult(ctx, kb, path, resume=resume, new=new, answers_file=answers_file)


def _consult(
    ctx: click.Context,
    kb: KnowledgeBase,
    path: Path,
    *,
    resume: bool,
    new: bool,
    answers_file: str | None,
) -> None:
    """Resume, refuse or start the consultation saved at ``path``, then run it."""
    from cramp.session import SessionError, load_session
    from expert.consultation import Consultation

    seen = _identity(path)
    explicit = ctx.params.get("session_file") is not None
    resume_hint = _command(ctx, path, explicit, "--resume")
    afresh = f"start afresh with `{_command(ctx, path, explicit, '--new')}`"
    note = None
    if resume:
        if not path.exists():
            fail(f"{path}: no saved consultation here; start one with `cramp ask`")
        try:
            session = load_session(path, kb)
        except SessionError as exc:
            fail(f"{exc}; {afresh} (or delete the file)")
        consultation = session.consultation
        if session.kb_changed():
            note = (
                f"Note: the knowledge base changed since this consultation was saved "
                f"(version {_line(session.saved_version)} then, {_line(kb.version)} now); "
                "your answers were checked against the current questions and kept."
            )
    else:
        if path.exists() and not new:
            try:
                saved = load_session(path, kb)
            except SessionError:
                fail(f"{path} holds a saved consultation that cannot be read; {afresh}")
            state = "finished" if saved.finished else "unfinished"
            count = _answers(len(saved.consultation.history))
            fail(
                f"{path} holds a saved consultation ({state}, {count}); continue it with "
                f"`{resume_hint}`, or {afresh}"
            )
        profile = load_profile(ctx, answers_file) if answers_file else None
        consultation = Consultation(kb, profile)
    with _locked(path, seen):
        shell = _Shell(kb, consultation, path, resume_hint)
        shell.run(resumed=resume, note=note, prefilled=answers_file)


def _identity(path: Path) -> tuple[int, int, int] | None:
    """What the file at ``path`` is now (None if there is none), to notice a change."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


@contextmanager
def _locked(path: Path, seen: tuple[int, int, int] | None) -> Iterator[None]:
    """Hold the session's lock; refuse if another ``cramp ask`` holds it or saved meanwhile.

    Taken only once every check has passed, so a refused command writes nothing; a
    session that changed between reading it and taking the lock was saved by another
    consultation, whose answers must not be overwritten.
    """
    from cramp.session import SessionBusy, session_lock

    lock = ExitStack()
    try:
        lock.enter_context(session_lock(path))
    except SessionBusy as exc:
        fail(str(exc))
    with lock:
        if _identity(path) != seen:
            fail(f"{path}: another `cramp ask` saved this consultation meanwhile; start again")
        yield


def _session_path(session_file: str | None) -> Path:
    from cramp.session import default_session_path

    if session_file is None:
        try:
            return default_session_path()
        except (RuntimeError, KeyError):  # no $HOME and no password entry
            fail("cannot tell where your home directory is; give a file with --session")
    return user_path(session_file, "--session").absolute()


def _command(ctx: click.Context, path: Path, explicit: bool, *flags: str) -> str:
    """The exact ``cramp ask`` command line, with ``--kb`` and ``--session`` as given."""
    from click.core import ParameterSource

    parts = ["cramp"]
    root = ctx.find_root()
    kb_dir = root.params.get("kb_dir")
    if kb_dir and root.get_parameter_source("kb_dir") == ParameterSource.COMMANDLINE:
        parts += ["--kb", str(user_path(kb_dir, "--kb").absolute())]
    parts += ["ask", *flags]
    if explicit:
        parts += ["--session", str(path)]
    return shlex.join(parts)


def _answers(count: int) -> str:
    return "1 answer" if count == 1 else f"{count} answers"


@contextmanager
def _stop_on_hangup() -> Iterator[None]:
    """Turn SIGHUP and SIGTERM into an exception, so a save in progress is finished or undone.

    Answers already given are on disk either way; this only keeps a half-written
    temporary file from being left behind.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise _Stopped(signum)

    wanted = [s for s in ("SIGHUP", "SIGTERM") if hasattr(signal, s)]
    previous = {name: signal.signal(getattr(signal, name), stop) for name in wanted}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def _echo(text: str = "", *, nl: bool = True, err: bool = False) -> None:
    """``click.echo`` made inert: no control character (escape sequence) reaches the terminal.

    What is shown comes from the knowledge base, possibly another author's (prompts,
    labels, titles, its version), and from the session file; as in `cramp diagnose`.
    """
    from explain.safe_text import for_terminal

    click.echo(for_terminal(text), nl=nl, err=err)


def _line(text: object) -> str:
    """Knowledge-base text shown on one line: its line breaks cannot start a line of ours."""
    from explain.safe_text import for_terminal_line

    return for_terminal_line(text)


def _say(text: str = "", *, err: bool = False) -> None:
    """Print, ignoring a terminal that has gone away (the answers are saved already)."""
    with suppress(OSError):
        _echo(text, err=err)


class _Shell:
    """One terminal conversation: prompts, commands, saving, and the closing screens."""

    def __init__(
        self, kb: KnowledgeBase, consultation: Consultation, path: Path, resume: str
    ) -> None:
        self.kb = kb
        self.c = consultation
        self.path = path
        # File names and commands are echoed back: shown with escapes for control characters.
        self.shown = printable(path)
        self.resume = printable(resume)
        self.finished = False
        try:
            self.echo_input = not sys.stdin.isatty()
        except (AttributeError, ValueError):
            self.echo_input = True

    # --- plumbing -------------------------------------------------------------------

    def save(self, *, finished: bool = False) -> None:
        from cramp.session import save_session

        try:
            save_session(self.path, self.c, finished=finished)
            self.finished = finished
        except OSError as exc:
            fail(
                f"cannot save the consultation to {self.shown}: {exc.strerror or exc}; "
                "choose another file with --session",
                EXIT_ERROR,
            )

    def save_quietly(self) -> None:
        """Save once more on the way out, in case the stop cut the last save short."""
        from cramp.session import save_session

        with suppress(OSError):
            save_session(self.path, self.c, finished=self.finished)

    def read(self, prompt: str) -> str | None:
        """One line from the runner (None at end of input)."""
        _echo(prompt, nl=False)
        stream = sys.stdin
        if stream is None:
            return None
        while True:
            try:
                # Bounded: a line with no end (piped binary, a runaway program) must not
                # fill memory; the rest of an overlong line is read and dropped.
                line = stream.readline(MAX_LINE + 1)
                if len(line) > MAX_LINE and not line.endswith("\n"):
                    while (rest := stream.readline(MAX_LINE)) and not rest.endswith("\n"):
                        pass
                    _echo("")
                    _echo(f"That line is over {MAX_LINE} characters; please type it again.")
                    _echo(prompt, nl=False)
                    continue
            except UnicodeDecodeError:
                _echo("")
                _echo("That could not be read as text; please type it again.")
                _echo(prompt, nl=False)
                continue
            break
        if not line:
            _echo("")
            return None
        if self.echo_input:
            from explain.safe_text import for_terminal

            _echo(for_terminal(line.rstrip("\r\n")))
        return line.rstrip("\r\n")

    def saved_message(self, how: str) -> None:
        count = len(self.c.history)
        verb = "is" if count == 1 else "are"
        _say(f"{how} Your {_answers(count)} {verb} saved in {self.shown}.")
        _say(f"Continue where you stopped with:  {self.resume}")

    # --- the conversation -----------------------------------------------------------

    def run(self, *, resumed: bool, note: str | None, prefilled: str | None) -> None:
        with _stop_on_hangup():
            try:
                self._run(resumed=resumed, note=note, prefilled=prefilled)
            except KeyboardInterrupt:
                self.save_quietly()
                _say("")
                self.saved_message("Interrupted.")
                sys.exit(EXIT_INTERRUPTED)
            except _Stopped as stop:
                self.save_quietly()
                self.saved_message("Stopped.")
                sys.exit(128 + stop.signum)

    def _run(self, *, resumed: bool, note: str | None, prefilled: str | None) -> None:
        kb, c = self.kb, self.c
        self.save()
        _echo(f"{_line(kb.manifest.title)} · consultation (knowledge base {_line(kb.version)})")
        if note:
            _echo(note)
        if resumed:
            _echo(f"Continuing your saved consultation: {_answers(len(c.history))} so far.")
        elif prefilled:
            _echo(f"{_answers(len(c.history))} taken from {printable(prefilled)}.")
        _echo("I ask only what can still change the result, warning signs first.")
        _echo(f"At any question you can type: {COMMANDS}.")
        _echo(f"Each answer is saved as you go, in {self.shown}.")
        announced: str | None = None
        while True:
            if not c.is_red_flag:
                announced = None
            elif announced != c.triage_tier and not c.is_finished:
                # The referral comes first, before any further question; when nothing is
                # left to ask, the closing screen shows it instead.
                announced = c.triage_tier
                self.show_referral()
                _echo(
                    "A few more warning-sign questions decide whether this is more "
                    "urgent; everything else can wait."
                )
            question = c.next_question()
            if question is None:
                break
            outcome = self.ask(question)
            if outcome == "quit":
                self.saved_message("Stopped.")
                return
            if outcome == "eof":
                self.saved_message("End of input.")
                return
        self.finish()

    def ask(self, question: Question) -> str:
        """Put one question until it is answered; returns answered, back, quit or eof."""
        from expert.consultation import read_answer

        c = self.c
        self.show_question(question)
        while True:
            line = self.read("> ")
            if line is None:
                return "eof"
            word = " ".join(line.strip().lower().split())
            if word in WHY_WORDS:
                self.show_why(c.why(question.id))
                continue
            if word in HELP_WORDS:
                self.show_help(question)
                continue
            if word in QUIT_WORDS:
                return "quit"
            if word in BACK_WORDS:
                undone = c.back()
                if undone is None:
                    _echo("Nothing to take back yet.")
                    continue
                self.save()
                taken = self.kb.questions[undone]
                _echo(f"Took back your answer to: {_line(taken.prompt)}")
                return "back"
            if word in UNKNOWN_WORDS:
                c.unknown(question.id)
                self.save()
                _echo("Noted as don't know; nothing that needs this answer is concluded.")
                return "answered"
            try:
                value = read_answer(question, line)
            except ValueError as exc:
                _echo(f"{exc}. (Or type {COMMANDS}.)")
                continue
            c.answer(question.id, value)
            self.save()
            return "answered"

    # --- screens --------------------------------------------------------------------

    def show_question(self, question: Question) -> None:
        c = self.c
        _echo("")
        answered = len(c.history)
        left = c.remaining()
        section = _line(question.section)
        _echo(f"[{answered + 1}] {section} · {answered} answered, at most {left} to go")
        _echo(_line(question.prompt))
        if question.type == "yesno":
            hint = "y/n"
        elif question.type in ("choice", "multi"):
            for number, choice in enumerate(question.choices, 1):
                _echo(f"  {number}. {_line(choice.label)}")
            count = len(question.choices)
            hint = f"1-{count}" if question.type == "choice" else "e.g. 1,3 or none"
        else:
            hint = f"{_line(question.unit)}, {_num(question.min)} to {_num(question.max)}"
        _echo(f"  [{hint} · {COMMANDS}]")

    def show_help(self, question: Question) -> None:
        from expert.consultation import allowed_answers

        _echo(f"About this question: {_line(question.help)}")
        _echo(f"Answer with {_line(allowed_answers(question))}, or type:")
        _echo("  why      which sources make this question matter, and what each answer changes")
        _echo("  back     take back your last answer")
        _echo("  ?        don't know (also: unknown); nothing that needs it is concluded")
        _echo("  help     this help")
        _echo(f"  quit     save and stop; continue later with: {self.resume}")

    def show_why(self, why: Why) -> None:
        questions = self.kb.questions
        if not why.matters:
            _echo("No rule left depends on this answer.")
            return
        count = len(why.reasons)
        _echo(
            f"Why this question: your answer decides {count} rule{'s' if count != 1 else ''} "
            "that can still change the result."
        )
        for reason in why.reasons:
            name = reason.claim or reason.rule
            _echo(f"  - [{name}] {_line(reason.says)}")
            if reason.source_title:
                _echo(f"      source: {_line(reason.source_title)}")
            else:
                _echo("      from the knowledge base's description of the theory")
            _echo(f"      applies when: {'; '.join(reason.needs)}")
            if reason.via:
                _echo(
                    f"      (through the question it opens: {_line(questions[reason.via].prompt)})"
                )
        _echo("What each answer would change:")
        if questions[why.question].type == "multi":
            _echo("  (each choice as if it were the only one picked)")
        for outcome in why.outcomes:
            parts = []
            for verb, names in (
                ("fires", outcome.fires),
                ("rules out", outcome.rules_out),
                ("keeps open", outcome.keeps_open),
            ):
                if names:
                    parts.append(f"{verb} {_names(names)}")
            referral = self._referral_in(outcome.fires)
            line = "; ".join(parts) or "no change"
            _echo(f"  {_line(outcome.answer)} → {_line(line)}{referral}")

    def _referral_in(self, rules: tuple[str, ...]) -> str:
        """`` (URGENT referral)`` when an answer would fire a red flag."""
        tiers = [
            self.kb.claims[name.removeprefix("claim:")].triage
            for name in rules
            if name.startswith("claim:")
        ]
        for tier in ("emergency", "urgent"):
            if tier in tiers:
                return f" ({_line(self.kb.manifest.tiers[tier].title.upper())} referral)"
        return ""

    def show_referral(self) -> None:
        diagnosis = self.c.diagnosis()
        triage = diagnosis.triage
        rule = "!" * 72
        _echo("")
        _echo(rule)
        _echo(f"{_line(triage.title.upper())}: {_line(triage.action)}")
        for claim in triage.claims:
            _echo(f"  because: {_line(claim.says)} ({_line(claim.source_title)})")
        _echo(rule)

    def finish(self) -> None:
        from explain import render_text

        c = self.c
        diagnosis = c.diagnosis()
        self.save(finished=True)
        _echo("")
        if c.is_red_flag:
            _echo("The questions stop here: a warning sign needs attention first.")
            self.show_referral()
            _echo("")
            _echo(
                "What else is known from your answers so far (secondary: act on the "
                "referral above first):"
            )
        else:
            _echo(
                f"Nothing left to ask can change the result ({_answers(len(c.history))}; "
                f"the full questionnaire has {len(self.kb.questions)} questions)."
            )
        _echo("")
        _echo(render_text(diagnosis, title=self.kb.manifest.title), nl=False)
        self.offer_report()

    def offer_report(self) -> None:
        from cramp.report import write_report

        _echo("")
        _echo(
            "Write a report of this consultation? Give a file name ending in .md, .html "
            "or .json, or press Enter to skip."
        )
        while True:
            line = self.read("file> ")
            if line is None or not line.strip() or line.strip().lower() in QUIT_WORDS:
                _echo(f"Nothing written. Your answers stay saved in {self.shown}.")
                return
            try:
                target = Path(line.strip()).expanduser()
            except RuntimeError:  # ~someone who is not a user here
                _echo(f"{printable(line.strip())}: no such user's home; give another name.")
                continue
            shown = printable(target)
            try:
                written = write_report(self.kb, self.c.profile(), target)
                _echo(f"Report written to {printable(written)}.")
                return
            except FileExistsError:
                _echo(f"{shown} already exists; give another name, or press Enter to skip.")
            except ValueError as exc:
                _echo(f"{printable(exc)}; give another name, or press Enter to skip.")
            except OSError as exc:
                _echo(
                    f"cannot write {shown}: {printable(exc.strerror or exc)}; "
                    "give another name, or press Enter to skip."
                )


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(n.removeprefix("claim:") for n in names[:SHOW_RULES])
    more = len(names) - SHOW_RULES
    return f"{shown} and {more} more" if more > 0 else shown


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
