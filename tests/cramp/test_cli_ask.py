"""`cramp ask` driven through click's CliRunner with scripted input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from consultation_support import plan, plan_from

import cramp.report
from cramp.cli import cli
from cramp.cli.ask import COMMANDS, _Shell
from cramp.session import SESSION_HEADER, load_session
from expert import diagnose
from expert.consultation import Consultation
from explain import render_text
from knowledge import KnowledgeBase, Profile, default_directory, load_profile_text


@pytest.fixture
def session(tmp_path: Path) -> Path:
    return tmp_path / "state" / "session.yaml"


#: Wide enough that no line is wrapped: these tests read what is said, and the layout
#: (wrapping to the width) is tested in test_terminal.py.
UNWRAPPED = "100000"


def ask(session: Path, lines: list[str], *args: str, env: dict[str, str] | None = None) -> Result:
    text = "".join(f"{line}\n" for line in lines)
    return CliRunner().invoke(
        cli,
        ["ask", "--session", str(session), *args],
        input=text,
        env={"COLUMNS": UNWRAPPED, **(env or {})},
        catch_exceptions=False,
    )


def conclusions_text(kb: KnowledgeBase, profile: Profile) -> str:
    """What `cramp diagnose` prints for ``profile``."""
    return render_text(diagnose(kb, profile), title=kb.manifest.title)


def test_a_consultation_answered_to_the_end_shows_what_diagnose_concludes(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, expected = plan(kb)
    result = ask(session, [*lines, ""])
    assert result.exit_code == 0, result.output
    assert conclusions_text(kb, expected.profile()) in result.output
    assert "Your result: no answer still to come can change" in result.output
    saved = load_session(session, kb)
    assert saved.finished
    assert saved.consultation.answers == expected.answers
    assert saved.consultation.history == expected.history
    assert "Traceback" not in result.output


def test_the_questions_show_numbered_choices_and_what_may_be_typed(
    kb: KnowledgeBase, session: Path
) -> None:
    _, consultation = plan(kb, stop_after=0)
    first = consultation.next_question()
    assert first is not None
    result = ask(session, ["quit"])
    assert first.prompt in result.output
    for number, choice in enumerate(first.choices, 1):
        assert f"  {number}. {choice.label}" in result.output
    assert COMMANDS in result.output


def test_why_names_the_sources_behind_the_question_and_what_each_answer_changes(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, consultation = plan(kb, stop_after=1)
    first = consultation.history[0]
    why = Consultation(kb).why(first)
    result = ask(session, ["why", "why --detail", lines[0], "quit"])
    assert result.exit_code == 0
    # In words first: no claim ids, no conditions.
    words = result.output.split("Why I ask this:")[1].split("Why this question")[0]
    assert "What each answer would change:" in words
    assert "applies when" not in words and "[" not in words
    for reason in why.reasons:
        if reason.claim:
            assert reason.claim not in words
    # Then, with --detail, the rules behind it.
    assert "Why this question" in result.output
    assert "What each answer would change:" in result.output
    for reason in why.reasons:
        assert reason.says in result.output
        if reason.source_title:
            assert f"source: {reason.source_title}" in result.output
    for outcome in why.outcomes:
        assert f"  - {outcome.answer} → " in result.output
    assert load_session(session, kb).consultation.history == consultation.history


def test_back_takes_back_the_last_answer_and_asks_it_again(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, consultation = plan(kb, stop_after=2)
    before = plan(kb, stop_after=1)[1].history
    second = consultation.history[len(before) :]  # the second screen: one or a checklist
    result = ask(session, [lines[0], lines[1], "back", "?", "quit"])
    assert result.exit_code == 0
    for qid in second:
        prompt = kb.questions[qid].prompt
        assert f"Took back your answer to: {prompt}" in result.output
        assert result.output.count(prompt) >= 3  # asked, taken back, asked
    saved = load_session(session, kb).consultation
    assert saved.history == consultation.history
    assert all(q in saved.unknowns and q not in saved.answers for q in second)


def test_back_before_any_answer_says_there_is_nothing_to_take_back(session: Path) -> None:
    result = ask(session, ["back", "quit"])
    assert result.exit_code == 0
    assert "Nothing to take back yet." in result.output


def test_question_mark_records_dont_know_and_the_conclusions_follow(
    kb: KnowledgeBase, session: Path
) -> None:
    _, consultation = plan(kb, stop_after=0)
    first = consultation.next_question()
    assert first is not None
    consultation.unknown(first.id)
    rest, finished = _finish_plan(kb, consultation)
    result = ask(session, ["?", *rest, ""])
    assert result.exit_code == 0, result.output
    assert "Noted as don't know" in result.output
    saved = load_session(session, kb).consultation
    assert first.id in saved.unknowns
    assert conclusions_text(kb, finished.profile()) in result.output
    assert f"unknown: {first.id}" in result.output


def _finish_plan(kb: KnowledgeBase, consultation: Consultation) -> tuple[list[str], Consultation]:
    """Lines that answer the rest benignly, one per screen, and the consultation they lead to."""
    return plan_from(consultation)


def test_unknown_is_the_same_as_a_question_mark(kb: KnowledgeBase, session: Path) -> None:
    result = ask(session, ["unknown", "quit"])
    assert result.exit_code == 0
    assert len(load_session(session, kb).consultation.unknowns) == 1


def test_help_lists_the_commands_and_explains_the_question(
    kb: KnowledgeBase, session: Path
) -> None:
    first = plan(kb, stop_after=0)[1].next_question()
    assert first is not None
    result = ask(session, ["help", "quit"])
    assert result.exit_code == 0
    assert f"About this question: {first.help}" in result.output
    for word in ("why", "back", "?", "help", "quit"):
        assert f"\n  {word} " in result.output


def test_quit_saves_and_prints_exactly_how_to_resume_then_resume_finishes(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, expected = plan(kb)
    two = len(plan(kb, stop_after=2)[1].history)  # answers on the first two screens
    result = ask(session, [lines[0], lines[1], "quit"])
    assert result.exit_code == 0
    resume = f"cramp ask --resume --session {session}"
    assert f"Continue where you stopped with:  {resume}" in result.output
    assert f"Your {two} answers are saved" in result.output
    assert not load_session(session, kb).finished

    again = ask(session, [*lines[2:], ""], "--resume")
    assert again.exit_code == 0, again.output
    assert f"Continuing your saved consultation: {two} answers so far." in again.output
    assert conclusions_text(kb, expected.profile()) in again.output
    saved = load_session(session, kb)
    assert saved.finished and saved.consultation.history == expected.history


def test_invalid_answers_are_re_asked_with_the_allowed_values(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, consultation = plan(kb, stop_after=3)
    script: list[str] = []
    for line in lines:
        script += ["maybe", line]
    result = ask(session, [*script, "quit"])
    assert result.exit_code == 0
    assert "'maybe' is not" in result.output
    assert "please answer with" in result.output
    assert load_session(session, kb).consultation.history == consultation.history
    assert "Traceback" not in result.output


def test_answers_file_prefills_and_those_questions_are_not_asked(
    kb: KnowledgeBase, session: Path, tmp_path: Path
) -> None:
    profile_path = tmp_path / "me.yaml"
    profile_path.write_text(
        "name: Sam\ncalf_can_contract: yes\nleg_signs: none\ncramp_timing: [night]\n",
        encoding="utf-8",
    )
    profile = load_profile_text(profile_path.read_bytes(), kb, str(profile_path))
    result = ask(session, ["quit"], "--answers", str(profile_path))
    assert result.exit_code == 0
    assert f"3 answers taken from {profile_path}" in result.output
    for qid in profile.answers:
        assert f"{kb.questions[qid].prompt}\n" not in result.output
    saved = load_session(session, kb).consultation
    assert saved.answers == profile.answers and saved.name == "Sam"


def test_an_answers_file_that_answers_everything_goes_straight_to_the_end(
    kb: KnowledgeBase, session: Path, tmp_path: Path
) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "long-hot-run.yaml"
    profile = load_profile_text(example.read_bytes(), kb, str(example))
    rest, finished = _finish_plan(kb, Consultation(kb, profile))
    result = ask(session, [*rest, ""], "--answers", str(example))
    assert result.exit_code == 0, result.output
    assert conclusions_text(kb, finished.profile()) in result.output


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("calf_can_contract: maybe\n", "not yes or no"),
        ("no_such_question: yes\n", "unknown question"),
        ("[1, 2]\n", "must be a mapping"),
    ],
)
def test_a_bad_answers_file_is_one_line_on_stderr_and_exit_2(
    session: Path, tmp_path: Path, content: str, says: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    result = ask(session, [], "--answers", str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert says in result.stderr and "bad.yaml" in result.stderr
    assert not session.exists()


def test_a_missing_answers_file_is_one_line_and_exit_2(session: Path, tmp_path: Path) -> None:
    result = ask(session, [], "--answers", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_red_flag_stops_the_questions_and_shows_the_referral_first(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, expected = plan(kb, {"calf_can_contract": False})
    normal, _ = plan(kb)
    assert expected.is_red_flag and len(lines) < len(normal)
    result = ask(session, [*lines, ""])
    assert result.exit_code == 0, result.output
    out = result.output
    referral = f"URGENT: {kb.manifest.tiers['urgent'].action.split(',')[0]}"
    assert referral in out
    assert "The questions stop here" in out
    first_referral = out.index(referral)
    secondary = out.index("What else is known from your answers so far (secondary")
    assert first_referral < secondary < out.index("LIKELY CAUSES")
    assert "A calf that cannot contract" in out[first_referral:secondary]
    assert conclusions_text(kb, expected.profile()) in out


def test_a_prefilled_red_flag_shows_the_referral_before_any_question(
    kb: KnowledgeBase, session: Path, tmp_path: Path
) -> None:
    profile_path = tmp_path / "me.yaml"
    profile_path.write_text("calf_can_contract: no\n", encoding="utf-8")
    result = ask(session, ["quit"], "--answers", str(profile_path))
    out = result.output
    assert "URGENT" in out
    question_marks = [i for i in (out.find("[2] "), out.find("file> ")) if i >= 0]
    assert all(out.index("URGENT") < i for i in question_marks)


def test_end_of_input_saves_and_stops_cleanly(kb: KnowledgeBase, session: Path) -> None:
    lines, _ = plan(kb, stop_after=1)
    result = ask(session, lines)
    assert result.exit_code == 0
    assert "End of input. Your 1 answer is saved" in result.output
    assert f"cramp ask --resume --session {session}" in result.output
    assert len(load_session(session, kb).consultation.history) == 1
    assert "Traceback" not in result.output


def test_no_input_at_all_saves_an_empty_session(kb: KnowledgeBase, session: Path) -> None:
    result = ask(session, [])
    assert result.exit_code == 0
    assert "End of input. Your 0 answers are saved" in result.output
    assert load_session(session, kb).consultation.history == ()


def _interrupt_after(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell reads ``lines``, then the runner presses Ctrl-C."""
    script = iter(lines)

    def read(self: _Shell, prompt: str) -> str | None:
        line = next(script, None)
        if line is None:
            raise KeyboardInterrupt
        return line

    monkeypatch.setattr(_Shell, "read", read)


def test_ctrl_c_keeps_every_answer_and_says_how_to_resume(
    kb: KnowledgeBase, session: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines, two = plan(kb, stop_after=2)
    _interrupt_after(lines, monkeypatch)
    result = ask(session, [])
    assert result.exit_code == 130
    count = len(two.history)
    assert f"Interrupted. Your {count} answers are saved" in result.output
    assert "--resume" in result.output
    assert len(load_session(session, kb).consultation.history) == count


def test_a_corrupt_session_file_is_one_line_naming_it_and_how_to_start_afresh(
    session: Path,
) -> None:
    session.parent.mkdir(parents=True)
    session.write_text("format: 1\nknowledge_base: [oops\n", encoding="utf-8")
    result = ask(session, [], "--resume")
    assert result.exit_code == 2
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert str(session) in line
    assert "--new" in line and "delete" in line


def test_new_starts_afresh_over_a_corrupt_session(kb: KnowledgeBase, session: Path) -> None:
    session.parent.mkdir(parents=True)
    # Damaged after cramp's header line; a file without it is not taken for a session.
    session.write_text(f"{SESSION_HEADER}\x00\x01 garbage", encoding="utf-8")
    result = ask(session, ["quit"], "--new")
    assert result.exit_code == 0
    assert load_session(session, kb).consultation.history == ()


def test_an_existing_session_is_never_overwritten_without_new(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, _ = plan(kb, stop_after=1)
    ask(session, [lines[0], "quit"])
    before = session.read_bytes()
    result = ask(session, ["quit"])
    assert result.exit_code == 2
    assert "holds a saved consultation (unfinished, 1 answer)" in result.stderr
    assert "--resume" in result.stderr and "--new" in result.stderr
    assert session.read_bytes() == before


def test_resume_without_a_saved_session_says_how_to_start(session: Path) -> None:
    result = ask(session, [], "--resume")
    assert result.exit_code == 2
    assert "no saved consultation" in result.stderr and "cramp ask" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--resume", "--new"], ["--resume", "--answers", "x.yaml"], ["--answers", "-"]],
)
def test_contradictory_options_are_one_line_and_exit_2(session: Path, args: list[str]) -> None:
    result = ask(session, [], *args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_session_defaults_to_xdg_state_home(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ask"], input="quit\n", env={"XDG_STATE_HOME": str(tmp_path)})
    assert result.exit_code == 0
    path = tmp_path / "cramp" / "session.yaml"
    assert path.is_file()
    assert "Continue where you stopped with:  cramp ask --resume\n" in result.output


def test_a_session_that_cannot_be_written_is_one_line_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = ask(blocker / "session.yaml", ["quit"])
    assert result.exit_code == 1
    assert "cannot save the consultation" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_report_name_that_exists_is_asked_again(
    kb: KnowledgeBase, session: Path, tmp_path: Path
) -> None:
    lines, _ = plan(kb)
    taken = tmp_path / "taken.md"
    taken.write_text("keep me\n", encoding="utf-8")
    result = ask(session, [*lines, str(taken), ""])
    assert result.exit_code == 0
    assert f"{taken} already exists" in result.output
    assert "Nothing written." in result.output
    assert taken.read_text(encoding="utf-8") == "keep me\n"


def test_the_report_is_written_with_write_report_when_it_is_available(
    kb: KnowledgeBase, session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []

    def write_report(
        kb: KnowledgeBase, profile: Profile, path: Path, fmt: str | None = None, *, force=False
    ) -> Path:
        if path.suffix not in (".md", ".html", ".json"):
            raise ValueError(f"{path}: unknown report format")
        calls.append((profile, path))
        return path

    monkeypatch.setattr(cramp.report, "write_report", write_report)
    lines, expected = plan(kb)
    result = ask(session, [*lines, str(tmp_path / "r.txt"), str(tmp_path / "r.md")])
    assert result.exit_code == 0, result.output
    assert "Write a report of this consultation?" in result.output
    assert "unknown report format" in result.output
    assert f"Report written to {tmp_path / 'r.md'}." in result.output
    assert calls == [(expected.profile(), tmp_path / "r.md")]


def test_resuming_a_finished_session_shows_the_conclusions_again(
    kb: KnowledgeBase, session: Path
) -> None:
    lines, expected = plan(kb)
    ask(session, [*lines, ""])
    result = ask(session, [""], "--resume")
    assert result.exit_code == 0
    assert conclusions_text(kb, expected.profile()) in result.output
    assert "[1] " not in result.output


def test_the_resume_command_names_the_knowledge_base_chosen_with_kb(session: Path) -> None:
    directory = default_directory()
    result = CliRunner().invoke(
        cli, ["--kb", str(directory), "ask", "--session", str(session)], input="quit\n"
    )
    assert result.exit_code == 0
    assert f"cramp --kb {directory} ask --resume --session {session}\n" in result.output


def test_a_session_path_with_spaces_is_quoted_in_the_resume_command(tmp_path: Path) -> None:
    session = tmp_path / "my state" / "s.yaml"
    result = ask(session, ["quit"])
    assert f"cramp ask --resume --session '{session}'\n" in result.output


def test_ctrl_c_at_the_report_prompt_keeps_the_session_finished(
    kb: KnowledgeBase, session: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines, expected = plan(kb)
    _interrupt_after(lines, monkeypatch)
    result = ask(session, [])
    assert result.exit_code == 130
    saved = load_session(session, kb)
    assert saved.finished and saved.consultation.answers == expected.answers
