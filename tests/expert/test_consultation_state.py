"""A stateful model of a consultation, in any order: answer (one question or a checklist),
don't know, back (also from the closing screen), change N, result, more, quit and resume."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from consultation_support import can_still_change, expected_red_tier, settled_red_tier
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from cramp.authoring.runners import answers
from cramp.session import load_session, save_session
from expert import diagnose
from expert.consultation import Consultation
from expert.headline import headline
from expert.relevance import UNKNOWN as LOOK_AHEAD_UNKNOWN
from knowledge import Profile, load_knowledge_base
from knowledge.conditions import holds_all
from knowledge.profile import coerce_answer

KB = load_knowledge_base()
UNKNOWN = object()


class ConsultationMachine(RuleBasedStateMachine):
    """The model is the plain list of (question, answer) the runner gave, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.consultation = Consultation(KB)
        self.given: list[tuple[str, Any]] = []
        self.directory = Path(tempfile.mkdtemp(prefix="cramp-state-"))

    def teardown(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- the model ------------------------------------------------------------------

    def record(self, qid: str, value: Any) -> None:
        self.given = [(q, v) for q, v in self.given if q != qid]
        self.given.append((qid, value))

    def model_profile(self) -> Profile:
        answers = {q: v for q, v in self.given if v is not UNKNOWN}
        unknown = frozenset(q for q, v in self.given if v is UNKNOWN)
        return Profile(answers, unknown)

    # --- what a runner can do -------------------------------------------------------

    @precondition(lambda self: not self.consultation.is_finished)
    @rule(data=st.data())
    def answer_the_question_asked(self, data: st.DataObject) -> None:
        question = self.consultation.next_question()
        assert question is not None
        value = data.draw(answers(question), label=question.id)
        self.consultation.answer(question.id, value)
        self.record(question.id, coerce_answer(question, _plain(value)))

    @precondition(lambda self: not self.consultation.is_finished)
    @rule()
    def say_dont_know(self) -> None:
        question = self.consultation.next_question()
        assert question is not None
        self.consultation.unknown(question.id)
        self.record(question.id, UNKNOWN)

    @rule(data=st.data())
    def answer_any_question(self, data: st.DataObject) -> None:
        """As a pre-filled profile does: any question, even one that does not apply."""
        qid = data.draw(st.sampled_from(sorted(KB.questions)), label="question")
        value = data.draw(answers(KB.questions[qid]), label=qid)
        self.consultation.answer(qid, value)
        self.record(qid, coerce_answer(KB.questions[qid], _plain(value)))

    @precondition(lambda self: bool(self.consultation.next_step()))
    @rule(data=st.data())
    def answer_a_screen(self, data: st.DataObject) -> None:
        """A checklist (or one question) answered at once, as `cramp ask` puts it."""
        step = self.consultation.next_step()
        values: dict[str, Any] = {}
        for question in step:
            if question.type == "yesno":
                values[question.id] = data.draw(
                    st.sampled_from([True, False, LOOK_AHEAD_UNKNOWN]), label=question.id
                )
            else:
                values[question.id] = data.draw(answers(question), label=question.id)
        before = dict(self.consultation.answers)
        self.consultation.answer_step(values)
        for qid, value in values.items():
            if qid not in self.consultation.history:
                continue  # a follow-up its gate left unasked
            if value is LOOK_AHEAD_UNKNOWN:
                self.record(qid, UNKNOWN)
            else:
                self.record(qid, coerce_answer(KB.questions[qid], _plain(value)))
        assert set(before) <= set(self.consultation.answers) | self.consultation.unknowns

    @precondition(lambda self: bool(self.given))
    @rule(data=st.data())
    def change_an_answer(self, data: st.DataObject) -> None:
        """`change N`: a new answer to question number N keeps its number."""
        number = data.draw(st.integers(1, len(self.given)), label="N")
        qid = self.consultation.answered(number)
        assert qid == self.given[number - 1][0]
        value = data.draw(answers(KB.questions[qid]), label=qid)
        self.consultation.answer(qid, value, keep_place=True)
        self.given[number - 1] = (qid, coerce_answer(KB.questions[qid], _plain(value)))

    @rule()
    def ask_for_the_result(self) -> None:
        """`result`: the headline shown is that of `cramp diagnose` on the answers so far,
        and what could still change it is empty exactly when it is stable."""
        got = headline(diagnose(KB, self.model_profile()))
        assert self.consultation.headline == got
        assert (not self.consultation.could_change()) == self.consultation.is_stable

    @precondition(lambda self: not self.consultation.next_step() and bool(self.given))
    @rule()
    def back_from_the_closing_screen(self) -> None:
        undone = self.consultation.back()
        assert undone == self.given.pop()[0]

    @precondition(lambda self: not self.consultation.next_step())
    @rule()
    def more(self) -> None:
        """`more` at the closing screen: asking goes on exactly while something can change."""
        self.consultation.refine()
        assert (self.consultation.next_question() is None) == self.consultation.is_finished

    @rule()
    def go_back(self) -> None:
        undone = self.consultation.back()
        expected = self.given.pop()[0] if self.given else None
        assert undone == expected

    @rule()
    def quit_and_resume(self) -> None:
        path = self.directory / "session.yaml"
        before = self.consultation
        save_session(path, before)
        self.consultation = load_session(path, KB).consultation
        assert self.consultation.history == before.history
        assert self.consultation.answers == before.answers
        assert self.consultation.unknowns == before.unknowns

    # --- what must always hold ------------------------------------------------------

    @invariant()
    def history_is_the_order_answers_were_given(self) -> None:
        assert self.consultation.history == tuple(q for q, _ in self.given)

    @invariant()
    def conclusions_equal_diagnose_of_the_current_answers(self) -> None:
        profile = self.model_profile()
        got = self.consultation.diagnosis()
        assert got.to_dict() == diagnose(KB, profile).to_dict()
        fired = {
            r.removeprefix("claim:")
            for r in self.consultation.fired_rules
            if r.startswith("claim:")
        }
        assert fired == set(got.fired_claims)

    @invariant()
    def the_closing_screen_shows_a_stable_headline(self) -> None:
        c = self.consultation
        if c.next_step():
            return
        assert c.is_stable or c.is_finished
        assert not c.warning_questions() or c.is_red_flag
        if not c.refining:
            assert c.outlook.stable or c.is_finished or c.is_red_flag

    @invariant()
    def a_red_flag_answered_and_not_undone_keeps_the_referral(self) -> None:
        profile = self.model_profile()
        red = expected_red_tier(KB, profile.answers)
        if red is not None:
            triage = self.consultation.diagnosis().triage
            assert triage.tier == red
            assert triage.is_referral
        # The questioning stops for a red flag only once no answer to come can undo it.
        settled = settled_red_tier(KB, profile.answers, profile.unknown)
        assert self.consultation.is_red_flag == (settled is not None)

    @invariant()
    def the_next_question_applies_and_can_still_change_a_conclusion(self) -> None:
        question = self.consultation.next_question()
        if question is None:
            return
        profile = self.model_profile()
        assert question.id not in profile.answers and question.id not in profile.unknown
        assert holds_all(KB.preconditions[question.id], KB.applicable(profile.answers))
        assert can_still_change(KB, profile.answers, profile.unknown, question.id)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


ConsultationMachine.TestCase.settings = settings(
    # Sized so the whole file takes seconds on today's knowledge base and well under a
    # minute on one five times larger (two engine runs per step dominate).
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_consultation_state_machine = ConsultationMachine.TestCase
