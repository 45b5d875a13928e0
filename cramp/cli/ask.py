"""``cramp ask``: the interactive consultation, a thin shell over :mod:`expert.consultation`.

Reads one line per prompt, so it works the same in a terminal and with piped input.
Every answer is saved before the next question is shown (see :mod:`cramp.session`).
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator
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
COMMANDS = "why · back · ? · result · change N · help · quit"
WHY_WORDS = frozenset({"why"})
DETAIL_WORDS = frozenset({"why --detail", "why --verbose", "why -v", "why detail"})
RESULT_WORDS = frozenset({"result", "done"})
MORE_WORDS = frozenset({"more"})
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
      why        in words: which theories and sources make it matter, what each
                 answer would change (why --detail: the rules and conditions)
      back       take back your last answer (also at the end)
      ?          don't know (also: unknown); nothing that needs the answer is concluded
      result     the result so far (also: done), and what could still change it
      change N   change your answer number N
      help       what you can type, and what the question means
      quit       save and stop; continue later with --resume

    Related yes/no questions come as one checklist: type the numbers of those
    you answer yes to, none, ? (don't know, all) or ?N (don't know, that one).
    The questions stop once no answer to come can change the result's headline
    (how urgent, the three likeliest causes, what to do now); `more` then asks
    what can still refine the rest. Every answer is saved as soon as it is
    given, so closing the terminal loses nothing. The end shows what `cramp
    diagnose` concludes for your answers. Piped input works too: one answer per
    line.

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


def _say(text: str = "", *, err: bool = False, bold: bool = False, tier: str | None = None) -> None:
    """Print inert (see :func:`_echo`) and wrapped to the terminal, ignoring one that has
    gone away (the answers are saved already)."""
    from explain.safe_text import for_terminal
    from explain.terminal import echo

    with suppress(OSError):
        echo(for_terminal(text), err=err, bold=bold, tier=tier)


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
        #: Whether the closing screen has shown the result for the answers as they are.
        self.shown_result = False
        #: The question the last ``back`` took back.
        self.undone = ""

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
        _say(
            f"{_line(kb.manifest.title)} · consultation (knowledge base {_line(kb.version)})",
            bold=True,
        )
        if note:
            _say(note)
        if resumed:
            _say(f"Continuing your saved consultation: {_answers(len(c.history))} so far.")
        elif prefilled:
            _say(f"{_answers(len(c.history))} taken from {printable(prefilled)}.")
        _say(
            "I ask warning signs first, then what could still change the result, and show "
            "it as soon as nothing can."
        )
        _say(f"At any question you can type: {COMMANDS}.")
        _say(f"Each answer is saved as you go, in {self.shown}.")
        announced: str | None = None
        while True:
            if not c.is_red_flag:
                announced = None
            elif announced != c.triage_tier and not c.is_finished:
                # The referral comes first, before any further question; when nothing is
                # left to ask, the closing screen shows it instead.
                announced = c.triage_tier
                self.show_referral()
                _say(
                    "A few more warning-sign questions decide whether this is more "
                    "urgent; everything else can wait."
                )
            step = c.next_step()
            if step:
                outcome = self.ask_step(step)
            else:
                outcome = self.closing()
                if outcome == "done":
                    return
            if outcome == "quit":
                self.saved_message("Stopped.")
                return
            if outcome == "eof":
                self.saved_message("End of input.")
                return

    # --- one screen -----------------------------------------------------------------

    def command(self, line: str, question: Question | None) -> str | None:
        """Handle a command typed at any prompt; None when ``line`` is not one.

        Returns quit, back, changed, more or shown (the screen is put again).
        """
        c = self.c
        word = " ".join(line.strip().lower().split())
        if word in QUIT_WORDS:
            return "quit"
        if word in RESULT_WORDS:
            self.show_headline()
            return "shown"
        if word in MORE_WORDS:
            if c.is_finished:
                _say("Nothing left to ask can change any part of the result.")
                return "shown"
            c.refine()
            _say("I will ask what can still refine the rest; type result at any time.")
            return "more"
        if word in BACK_WORDS:
            undone = c.back_step()
            if not undone:
                _say("Nothing to take back yet.")
                return "shown"
            self.save()
            for qid in undone:
                _say(f"Took back your answer to: {_line(self.kb.questions[qid].prompt)}")
            self.undone = undone[0]
            return "back"
        if word == "change" or word.startswith("change "):
            return self.change(word.removeprefix("change").strip())
        if question is not None and word in DETAIL_WORDS:
            self.show_why_detail(c.why(question.id))
            return "shown"
        if question is not None and word in WHY_WORDS:
            self.show_why(question)
            return "shown"
        return None

    def change(self, typed: str) -> str:
        """``change N``: put question number N again and keep the new answer in its place."""
        c = self.c
        if not typed.isdigit():
            _say(
                "Type change and the number of the answer, e.g. change 2 "
                f"(answers so far: 1 to {len(c.history)})."
                if c.history
                else "There is no answer to change yet."
            )
            return "shown"
        try:
            qid = c.answered(int(typed))
        except ValueError as exc:
            _say(f"{str(exc)[0].upper()}{str(exc)[1:]}.")
            return "shown"
        question = self.kb.questions[qid]
        was = _answer_words(question, c.answers.get(qid), qid in c.unknowns)
        _say("")
        _say(f"Changing answer {typed}: {_line(question.prompt)} (was: {_line(was)})", bold=True)
        outcome = self.ask(question, number=int(typed), keep_place=True)
        return "changed" if outcome == "answered" else outcome

    def ask_step(self, step: tuple[Question, ...]) -> str:
        """Put one screen: a question, or a checklist of several."""
        if len(step) == 1:
            return self.ask(step[0])
        return self.ask_checklist(step)

    def ask(
        self, question: Question, *, number: int | None = None, keep_place: bool = False
    ) -> str:
        """Put one question until it is answered; returns answered, back, quit, eof, ..."""
        from expert.consultation import read_answer

        c = self.c

        def dont_know(word: str) -> str | None:
            if word not in UNKNOWN_WORDS:
                return None
            c.unknown(question.id, keep_place=keep_place)
            self.save()
            _say("Noted as don't know; nothing that needs this answer is concluded.")
            return "answered"

        self.show_question(question, number)
        return self._until_answered(
            lambda: self.show_help(question),
            dont_know,
            lambda word: question,
            lambda line: read_answer(question, line),
            lambda value: c.answer(question.id, value, keep_place=keep_place),
        )

    def ask_checklist(self, step: tuple[Question, ...]) -> str:
        """Put a checklist screen until it is answered; one step for all its questions."""
        from expert.consultation import read_checklist
        from expert.relevance import UNKNOWN

        c = self.c

        def accept(answers: dict[str, Any]) -> None:
            c.answer_step(answers)
            unknown = [str(n) for n, q in enumerate(step, 1) if answers[q.id] is UNKNOWN]
            if unknown:
                _say(
                    f"Noted as don't know: {', '.join(unknown)}; nothing that needs "
                    "those answers is concluded."
                )

        self.show_checklist(step)
        return self._until_answered(
            lambda: self.show_checklist_help(step),
            lambda word: None,
            # ``why`` on a checklist explains its first question; other commands need none.
            lambda word: step[0] if word in WHY_WORDS | DETAIL_WORDS else None,
            lambda line: read_checklist(step, line),
            accept,
        )

    def _until_answered(
        self,
        show_help: Callable[[], None],
        early: Callable[[str], str | None],
        about: Callable[[str], Question | None],
        parse: Callable[[str], Any],
        accept: Callable[[Any], None],
    ) -> str:
        """Read lines until one answers the screen (``parse`` then ``accept``, saved) or a
        command ends it; ``early`` handles words the screen takes before the commands."""
        while True:
            line = self.read("> ")
            if line is None:
                return "eof"
            word = " ".join(line.strip().lower().split())
            if word in HELP_WORDS:
                show_help()
                continue
            ended = early(word)
            if ended is not None:
                return ended
            done = self.command(line, about(word))
            if done == "shown":
                continue
            if done is not None:
                return done
            try:
                value = parse(line)
            except ValueError as exc:
                _say(f"{exc}. (Or type {COMMANDS}.)")
                continue
            accept(value)
            self.save()
            return "answered"

    # --- screens --------------------------------------------------------------------

    def _progress(self, number: int | None, section: str) -> str:
        answered = len(self.c.history)
        shown = number if number is not None else answered + 1
        return f"[{shown}] {section} · {answered} answered"

    def show_question(self, question: Question, number: int | None = None) -> None:
        _say("")
        _say(self._progress(number, _line(question.section)), bold=True)
        _say(_line(question.prompt))
        if question.type == "yesno":
            hint = "y/n"
        elif question.type in ("choice", "multi"):
            for n, choice in enumerate(question.choices, 1):
                _say(f"  {n}. {_line(choice.label)}")
            count = len(question.choices)
            hint = f"1-{count}" if question.type == "choice" else "e.g. 1,3 or none"
        else:
            hint = f"{_line(question.unit)}, {_num(question.min)} to {_num(question.max)}"
        _say(f"  [{hint} · {COMMANDS}]")

    def show_checklist(self, step: tuple[Question, ...]) -> None:
        group = self.kb.checklist_of[step[0].id]
        _say("")
        _say(self._progress(None, _line(group.title)), bold=True)
        _say(_line(group.prompt))
        shown = {q.id: n for n, q in enumerate(step, 1)}
        for n, question in enumerate(step, 1):
            gate = [
                str(shown[cond.question])
                for cond in self.kb.preconditions.get(question.id, ())
                if cond.question in shown
            ]
            lead = f"(if yes to {', '.join(gate)}) " if gate else ""
            _say(f"  {n}. {lead}{_line(question.prompt)}")
        _say(
            "  [numbers of those you answer yes to, e.g. 1,3 · none · ? don't know · "
            f"?N don't know that one · {COMMANDS}]"
        )

    def show_checklist_help(self, step: tuple[Question, ...]) -> None:
        _say(
            "Type the numbers of the questions you answer yes to, separated by commas "
            "(e.g. 1,3); the others count as no. Type none if the answer to all is no, "
            "? if you don't know any of them, or ?N for one you don't know (e.g. 1,?3)."
        )
        for n, question in enumerate(step, 1):
            _say(f"  {n}. {_line(question.help)}")
        self.show_command_help()

    def show_help(self, question: Question) -> None:
        from expert.consultation import allowed_answers

        _say(f"About this question: {_line(question.help)}")
        _say(f"Answer with {_line(allowed_answers(question))}, or type:")
        self.show_command_help()

    def show_command_help(self) -> None:
        _say("  why        which theories and sources make it matter, and what each answer changes")
        _say("  why --detail  the same with the rules and their conditions")
        _say("  back       take back your last answer")
        _say("  ?          don't know (also: unknown); nothing that needs it is concluded")
        _say("  result     the result so far, and what could still change it (also: done)")
        _say("  change N   change your answer number N")
        _say("  help       this help")
        _say(f"  quit       save and stop; continue later with: {self.resume}")

    def show_why(self, question: Question) -> None:
        """``why`` in words: the theories and sources behind the question, and what each
        answer would do to the headline."""
        from expert.why_words import why_in_words

        for line in why_in_words(self.c, question.id):
            _say(_line(line))

    def show_why_detail(self, why: Why) -> None:
        questions = self.kb.questions
        if not why.matters:
            _say("No rule left depends on this answer.")
            return
        count = len(why.reasons)
        _say(
            f"Why this question: your answer decides {count} rule{'s' if count != 1 else ''} "
            "that can still change the result."
        )
        for reason in why.reasons:
            name = reason.claim or reason.rule
            _say(f"  - [{name}] {reason.says}")
            if reason.source_title:
                _say(f"      source: {reason.source_title}")
            else:
                _say("      from the knowledge base's description of the theory")
            _say(f"      applies when: {'; '.join(reason.needs)}")
            if reason.via:
                _say(f"      (through the question it opens: {questions[reason.via].prompt})")
        _say("What each answer would change:")
        if questions[why.question].type == "multi":
            _say("  (each choice as if it were the only one picked)")
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
            _say(f"  - {outcome.answer} → {line}{referral}")

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
        from explain.terminal import heading, width

        diagnosis = self.c.diagnosis()
        triage = diagnosis.triage
        _say("")
        box = heading(f"{triage.title.upper()}: {triage.action}", triage.tier, width())
        _say(box, tier=triage.tier)
        for claim in triage.claims:
            _say(f"  - because: {claim.says} ({claim.source_title})")

    def show_headline(self) -> None:
        """The headline so far, and the questions that could still change it."""
        from expert.why_words import headline_lines

        _say("")
        for line, tier in headline_lines(self.c):
            _say(_line(line), tier=tier)

    def closing(self) -> str:
        """The result, then what can be done with it: done, quit, eof, or go on asking."""
        if not getattr(self, "shown_result", False):
            self.finish()
            self.shown_result = True
        c = self.c
        while True:
            left = c.remaining()
            _say("")
            more = (
                f"more: answer up to {left} more question{'s' if left != 1 else ''} to "
                "refine the rest · "
                if not c.is_finished and left
                else ""
            )
            _say(f"[{more}back · change N · result]")
            _say(
                "Write a report of this consultation? Give a file name ending in .md, "
                ".html or .json, or press Enter to finish."
            )
            line = self.read("file> ")
            if line is None or not line.strip() or line.strip().lower() in QUIT_WORDS:
                _say(f"Nothing written. Your answers stay saved in {self.shown}.")
                return "done"
            word = " ".join(line.strip().lower().split())
            if word in RESULT_WORDS:
                self.finish()
                continue
            done = self.command(line, None)
            if done == "shown":
                continue
            if done == "back":
                self.shown_result = False
                if not c.next_step():
                    # The headline did not depend on it: put the question again anyway.
                    outcome = self.ask(self.kb.questions[self.undone])
                    if outcome in ("quit", "eof"):
                        return outcome
                return "again"
            if done is not None:
                self.shown_result = False
                return done if done in ("quit", "eof") else "again"
            if self.offer_report(line):
                return "done"

    def finish(self) -> None:
        from explain import render_text
        from explain.terminal import echo_report

        c = self.c
        diagnosis = c.diagnosis()
        self.save(finished=True)
        _say("")
        if c.is_red_flag:
            _say("The questions stop here: a warning sign needs attention first.", bold=True)
            self.show_referral()
            _say("")
            _say(
                "What else is known from your answers so far (secondary: act on the "
                "referral above first):"
            )
        elif c.is_finished:
            _say(
                f"Nothing left to ask can change the result ({_answers(len(c.history))}; "
                f"the full questionnaire has {len(self.kb.questions)} questions).",
                bold=True,
            )
        else:
            _say(
                "Your result: no answer still to come can change how urgent this is, the "
                f"three likeliest causes or what to do now ({_answers(len(c.history))}).",
                bold=True,
            )
        _say("")
        echo_report(
            render_text(diagnosis, title=self.kb.manifest.title), tier=diagnosis.triage.tier
        )

    def offer_report(self, line: str) -> bool:
        """Write a report to the file named; True once written."""
        from cramp.report import write_report

        try:
            target = Path(line.strip()).expanduser()
        except RuntimeError:  # ~someone who is not a user here
            _say(f"{printable(line.strip())}: no such user's home; give another name.")
            return False
        shown = printable(target)
        try:
            written = write_report(self.kb, self.c.profile(), target)
            _say(f"Report written to {printable(written)}.")
            return True
        except FileExistsError:
            _say(f"{shown} already exists; give another name, or press Enter to finish.")
        except ValueError as exc:
            _say(f"{printable(exc)}; give another name, or press Enter to finish.")
        except OSError as exc:
            _say(
                f"cannot write {shown}: {printable(exc.strerror or exc)}; "
                "give another name, or press Enter to finish."
            )
        return False


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(n.removeprefix("claim:") for n in names[:SHOW_RULES])
    more = len(names) - SHOW_RULES
    return f"{shown} and {more} more" if more > 0 else shown


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _answer_words(question: Question, value: Any, unknown: bool) -> str:
    """An answer as the runner would say it."""
    from knowledge.values import answer_words

    if unknown:
        return "don't know"
    if value is None:
        return "not answered"
    return answer_words(question, value)
