"""Saved sessions: round trips, atomic replacement, and one-line errors for bad files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cramp.session import (
    SessionError,
    default_session_path,
    dump_yaml,
    load_session,
    save_session,
    session_data,
    write_profile,
)
from expert.consultation import Consultation
from knowledge import KnowledgeBase, Profile, load_profile_text


def some_consultation(kb: KnowledgeBase) -> Consultation:
    consultation = Consultation(kb, Profile(name="Sam", notes="night cramps"))
    consultation.answer("leg_signs", ["swelling"])
    consultation.unknown("one_leg_only")
    consultation.answer("calf_can_contract", True)
    consultation.answer("cramp_timing", ["night", "after_run"])
    return consultation


def test_a_saved_session_comes_back_with_answers_unknowns_order_and_names(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    consultation = some_consultation(kb)
    path = tmp_path / "s.yaml"
    save_session(path, consultation)
    session = load_session(path, kb)
    back = session.consultation
    assert back.answers == consultation.answers
    assert back.unknowns == consultation.unknowns
    assert back.history == consultation.history
    assert (back.name, back.notes) == ("Sam", "night cramps")
    assert not session.finished and not session.kb_changed()
    assert back.next_question() == consultation.next_question()


def test_the_session_file_is_readable_yaml_with_the_knowledge_base_hash(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    save_session(path, some_consultation(kb), finished=True)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# cramp ask session")
    assert kb.content_hash in text
    assert "calf_can_contract: yes" in text
    assert load_session(path, kb).finished


def test_the_session_file_is_private_to_its_owner(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "s.yaml"
    save_session(path, some_consultation(kb))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_interrupted_save_leaves_the_previous_session_intact(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.yaml"
    consultation = some_consultation(kb)
    save_session(path, consultation)
    before = path.read_bytes()
    consultation.answer("cramp_frequency", "regular")

    def power_cut(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError):
        save_session(path, consultation)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]
    assert "cramp_frequency" not in load_session(path, kb).consultation.answers


def test_a_save_stopped_by_a_signal_mid_write_leaves_no_partial_file(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.yaml"
    save_session(path, some_consultation(kb))
    before = path.read_bytes()

    def hangup(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", hangup)
    with pytest.raises(KeyboardInterrupt):
        save_session(path, Consultation(kb))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{{{{ not yaml", "not valid YAML"),
        ("- a list\n", "expected a mapping"),
        ("format: 99\n", "format must be 1"),
        ("format: 1\n", "knowledge_base.hash is missing"),
        ("format: 1\nknowledge_base: {hash: x}\nanswers: [1]\n", "answers must be a mapping"),
        (
            "format: 1\nknowledge_base: {hash: x}\nanswers: {no_such: yes}\n",
            "unknown question 'no_such'",
        ),
        (
            "format: 1\nknowledge_base: {hash: x}\nanswers: {calf_can_contract: maybe}\n",
            "not yes or no",
        ),
        (
            "format: 1\nknowledge_base: {hash: x}\norder: [leg_signs]\n",
            "which has no answer",
        ),
        (
            "format: 1\nknowledge_base: {hash: x}\nanswers: {calf_can_contract: yes}\n"
            "unknown: [calf_can_contract]\n",
            "both answered and unknown",
        ),
        ("format: 1\nknowledge_base: {hash: x}\nfinished: maybe\n", "finished must be"),
        ("", "not a valid cramp session"),
    ],
)
def test_a_bad_session_file_is_one_line_naming_it(
    kb: KnowledgeBase, tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SessionError) as caught:
        load_session(path, kb)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert says in message


def test_binary_garbage_is_a_session_error_not_a_crash(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SessionError, match="not UTF-8"):
        load_session(path, kb)


def test_a_missing_session_says_so(kb: KnowledgeBase, tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no saved consultation"):
        load_session(tmp_path / "none.yaml", kb)


def test_a_session_from_another_knowledge_base_version_is_kept_and_flagged(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    data = session_data(some_consultation(kb))
    data["knowledge_base"] = {"version": "0.0.1", "hash": "0" * 64}
    path.write_text(dump_yaml(data), encoding="utf-8")
    session = load_session(path, kb)
    assert session.kb_changed()
    assert session.saved_version == "0.0.1"
    assert session.consultation.answers["calf_can_contract"] is True


def test_the_default_session_path_follows_xdg_state_home(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path)}
    assert default_session_path(env) == tmp_path / "cramp" / "session.yaml"
    home = Path.home() / ".local" / "state" / "cramp" / "session.yaml"
    assert default_session_path({}) == home
    assert default_session_path({"XDG_STATE_HOME": "relative/dir"}) == home


def test_answers_saved_as_a_profile_read_back_as_the_same_profile(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    consultation = some_consultation(kb)
    path = tmp_path / "me.yaml"
    write_profile(path, consultation.profile())
    again = load_profile_text(path.read_bytes(), kb, str(path))
    assert again == consultation.profile()
    with pytest.raises(FileExistsError):
        write_profile(path, consultation.profile())
