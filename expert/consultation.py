"""The consultation: a runner's answers so far, what to ask next, and why.

It asks warning signs first, always, and never skips them. Then it asks the question
whose answer is most likely to change the *headline* (:mod:`expert.headline`: the
triage tier, the first three likely causes and what to do now; see
:mod:`expert.outlook` for that value of information), and stops once no answer still to
come can change the headline: the result is then shown. On request (:meth:`refine`,
``more`` at the prompt) it keeps asking what can still change any conclusion, until
nothing can; the conclusions are then those of the complete profile (or, after a red
flag, the same triage).

While refining, or after a red flag, the next question is the one whose answer can
change most: first by the gravity of the rules it decides (red flags, then safety net
and referrals, then the rest), then by how many other questions its answer is expected
to make irrelevant (a one-step look ahead over its possible answers), then by how many
live rules it decides, and finally by vocabulary order, so the sequence is
deterministic.

>>> from knowledge import load_knowledge_base
>>> consultation = Consultation(load_knowledge_base())
>>> question = consultation.next_question()
>>> consultation.answer(question.id, question.values[0])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from knowledge import KnowledgeBase, Profile
from knowledge.conditions import FindingTest, holds_all
from knowledge.profile import coerce_answer

from .headline import Headline
from .outlook import Outlook
from .relevance import (
    GRAVITY_RED_FLAG,
    RED_FLAG_TIERS,
    UNKNOWN,
    Analysis,
    Rulebook,
    RuleInfo,
    num_text,
)

if TYPE_CHECKING:
    from knowledge.schema import Question

    from .conclusions import Diagnosis

# --- what the runner is told ------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """A live rule that makes a question matter: what it says, who says it, what it needs."""

    rule: str
    claim: str | None
    source_title: str | None
    says: str
    needs: tuple[str, ...]
    via: str | None = None
    #: The finding the rule concludes, for a finding's clause.
    finding: str | None = None
    #: The theory the rule contradicts, for a contradiction.
    theory: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one possible answer would change: rules that fire, die, or stay open."""

    answer: str
    fires: tuple[str, ...]
    rules_out: tuple[str, ...]
    keeps_open: tuple[str, ...]


@dataclass(frozen=True)
class Why:
    """Why a question is asked: the live rules behind it and the effect of each answer."""

    question: str
    reasons: tuple[Reason, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def matters(self) -> bool:
        """Whether any answer to the question can still change a conclusion."""
        return bool(self.reasons)


class Consultation:
    """A runner's answers so far, and what to ask next.

    Answers are validated like a profile's; ``history`` keeps the order they were given
    in, which ``back`` unwinds. Nothing here prints or reads; the CLI is a shell over it.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        profile: Profile | None = None,
        order: Iterable[str] = (),
    ) -> None:
        self.kb = kb
        self._book = Rulebook.for_kb(kb)
        profile = profile or Profile()
        self._answers: dict[str, Any] = dict(profile.answers)
        self._unknown: set[str] = set(profile.unknown)
        self.name = profile.name
        self.notes = profile.notes
        given = set(self._answers) | self._unknown
        history: list[str] = []
        for qid in order:
            if qid not in given:
                raise ValueError(f"order names {qid!r}, which has no answer")
            if qid in history:
                raise ValueError(f"order names {qid!r} twice")
            history.append(qid)
        # Answers whose order is not known (a pre-filled profile) come first, in
        # vocabulary order, so `back` takes back the runner's own answers last-first.
        rest = sorted(given - set(history), key=self._book.position.__getitem__)
        self._history: list[str] = [*rest, *history]
        self._analysis: Analysis | None = None
        self._outlook: Outlook | None = None
        self._diagnosis: tuple[Any, Diagnosis] | None = None
        #: Whether to ask on past a stable headline, until nothing can change anything.
        self.refining = False

    # --- state ----------------------------------------------------------------------

    @property
    def answers(self) -> Mapping[str, Any]:
        """Known answers given so far (including any set aside as not applicable)."""
        return dict(self._answers)

    @property
    def unknowns(self) -> frozenset[str]:
        """Questions answered "don't know"."""
        return frozenset(self._unknown)

    @property
    def history(self) -> tuple[str, ...]:
        """Question ids in the order they were answered (pre-filled answers first)."""
        return tuple(self._history)

    def profile(self) -> Profile:
        """The answers as a profile, ready for ``cramp diagnose`` or a report."""
        return Profile(dict(self._answers), frozenset(self._unknown), self.name, self.notes)

    @property
    def _state(self) -> Analysis:
        if self._analysis is None:
            self._analysis = Analysis(self._book, self._answers, frozenset(self._unknown))
            self._outlook = None
        return self._analysis

    @property
    def outlook(self) -> Outlook:
        """What the answers still to come could do to the headline."""
        state = self._state
        if self._outlook is None or self._outlook.analysis is not state:
            self._outlook = Outlook(state)
        return self._outlook

    @property
    def headline(self) -> Headline:
        """The headline of the answers so far: tier, three likeliest causes, what to do now."""
        return self.outlook.headline

    # --- asking ---------------------------------------------------------------------

    def warning_questions(self) -> tuple[str, ...]:
        """Askable questions that look for a warning sign: asked first, never skipped."""
        state = self._state
        return tuple(q for q in state.askable if state.score(q)[0] >= GRAVITY_RED_FLAG)

    def next_question(self) -> Question | None:
        """The next question to ask, or None when the result is ready.

        Warning signs first; then, unless refining or after a red flag, the question most
        likely to change the headline (a checklist counts as one: the chance that one of
        its answers does), and None once nothing can; while refining, the question whose
        answer can change most, and None once nothing can.
        """
        state = self._state
        if not state.askable:
            return None
        if self.refining or self.is_red_flag:
            return self.kb.questions[state.best]  # type: ignore[index]
        signs = self.warning_questions()
        if signs:
            return self.kb.questions[max(signs, key=state.score)]
        outlook = self.outlook
        if outlook.stable:
            return None
        movers = outlook.movers() or state.askable
        best = max(movers, key=lambda q: (self._screen_value(q), outlook.share(q), state.score(q)))
        return self.kb.questions[best]

    def _screen_value(self, qid: str) -> float:
        """The chance that the screen ``qid`` is asked on changes the headline."""
        outlook = self.outlook
        group = self.kb.checklist_of.get(qid)
        if group is None:
            return outlook.value(qid)
        stays = 1.0
        for q in group.questions:
            stays *= 1 - outlook.value(q)
        return round(1 - stays, 6)

    def next_step(self) -> tuple[Question, ...]:
        """The next screen: the next question alone, or with the rest of its checklist.

        A checklist (knowledge-base data) lists, in its order, its questions that can
        still change the result and can be asked now, and those that ask for more about
        one of them (an ``ask_if`` on a question of the same screen, asked only if that
        answer opens it); empty when the result is ready.
        """
        question = self.next_question()
        if question is None:
            return ()
        group = self.kb.checklist_of.get(question.id)
        if group is None:
            return (question,)
        state = self._state
        askable = set(state.askable)
        shown: list[str] = []
        for q in group.questions:
            pre = self.kb.preconditions.get(q, ())
            if q in askable or (
                q in state.matters
                and state.status(q) == "open"
                and pre
                and all(c.question in shown or c.holds(state.answers.get(c.question)) for c in pre)
            ):
                shown.append(q)
        return tuple(self.kb.questions[q] for q in shown)

    def answer_step(self, answers: Mapping[str, Any]) -> None:
        """Record a screen's answers (:data:`UNKNOWN` for don't know), in screen order.

        An answer to a follow-up whose ``ask_if`` the other answers leave unmet is
        dropped: that question was not really put.
        """
        for qid, value in answers.items():
            pre = self.kb.preconditions.get(qid, ())
            if pre and not holds_all(pre, self.kb.applicable(self._answers)):
                continue
            if value is UNKNOWN:
                self.unknown(qid)
            else:
                self.answer(qid, value)

    @property
    def is_stable(self) -> bool:
        """Whether no answer still to come can change the headline (warning signs all asked)."""
        if self.is_red_flag:
            return self.is_finished
        return not self.warning_questions() and self.outlook.stable

    def could_change(self) -> tuple[str, ...]:
        """Questions still to ask whose answer could change the headline (vocabulary order)."""
        if self.is_red_flag:
            return self._state.askable
        return tuple(dict.fromkeys((*self.warning_questions(), *self.outlook.movers())))

    def refine(self, on: bool = True) -> None:
        """Keep asking past a stable headline, until nothing left can change a conclusion."""
        self.refining = on

    @property
    def is_finished(self) -> bool:
        """Whether no question left can change any conclusion."""
        return not self._state.askable

    def remaining(self) -> int:
        """How many questions could still be asked at most (fewer, usually)."""
        return self._state.remaining()

    @property
    def triage_tier(self) -> str:
        """The most urgent triage tier the answers so far set (``self_care`` if none)."""
        return self._state.tier

    @property
    def is_red_flag(self) -> bool:
        """Whether an emergency or urgent referral holds that no answer to come can undo."""
        return self._state.settled_tier in RED_FLAG_TIERS

    @property
    def fired_rules(self) -> frozenset[str]:
        """Names of the rules whose conditions all hold (``claim:...``, ``contradiction:...``)."""
        return frozenset(self._book.rules[i].name for i in self._state.fired)

    @property
    def live_rules(self) -> frozenset[str]:
        """Names of the rules that can still fire and still count."""
        return frozenset(self._book.rules[i].name for i in self._state.waiting)

    # --- answering ------------------------------------------------------------------

    def _question(self, qid: str) -> Question:
        question = self.kb.questions.get(qid)
        if question is None:
            raise ValueError(f"unknown question {qid!r}")
        return question

    def _record(self, qid: str, keep_place: bool) -> None:
        if qid in self._history:
            if keep_place:
                self._analysis = None
                return
            self._history.remove(qid)
        self._history.append(qid)
        self._analysis = None

    def answer(self, qid: str, value: Any, *, keep_place: bool = False) -> None:
        """Record an answer (validated like a profile's; ValueError names what is allowed).

        With ``keep_place``, a revised answer keeps its number in the history.
        """
        question = self._question(qid)
        if isinstance(value, tuple | set | frozenset):
            value = sorted(value)
        normal = coerce_answer(question, value)
        self._unknown.discard(qid)
        self._answers[qid] = normal
        self._record(qid, keep_place)

    def unknown(self, qid: str, *, keep_place: bool = False) -> None:
        """Record "don't know": no fact is asserted and nothing that needs it fires."""
        self._question(qid)
        self._answers.pop(qid, None)
        self._unknown.add(qid)
        self._record(qid, keep_place)

    def back_step(self) -> tuple[str, ...]:
        """Take back the last screen: the last answer, with the answers of its checklist
        given just before it (in the order they were given; empty if none)."""
        undone = self.back()
        if undone is None:
            return ()
        group = self.kb.checklist_of.get(undone)
        taken = [undone]
        while group is not None and self._history and self._history[-1] in group.questions:
            taken.append(self.back())  # type: ignore[arg-type]
        return tuple(reversed(taken))

    def answered(self, number: int) -> str:
        """The question answered ``number``-th (from 1, as prompts count); ValueError if none."""
        if not 1 <= number <= len(self._history):
            count = len(self._history)
            raise ValueError(
                "there is no answer to change yet"
                if not count
                else f"answer numbers go from 1 to {count}; {number} is not one of them"
            )
        return self._history[number - 1]

    def back(self) -> str | None:
        """Take back the last answer; return its question id (None if there was none)."""
        if not self._history:
            return None
        qid = self._history.pop()
        self._answers.pop(qid, None)
        self._unknown.discard(qid)
        self._analysis = None
        return qid

    # --- explaining -----------------------------------------------------------------

    def why(self, qid: str | None = None) -> Why:
        """Why a question (the next one by default) matters, and what each answer changes."""
        if qid is None:
            question = self.next_question()
            if question is None:
                raise ValueError("nothing is left to ask")
            qid = question.id
        question = self._question(qid)
        state = self._state
        book = self._book
        direct, via = state.deciding(qid)
        reasons = []
        for i in sorted(
            direct + list(via), key=lambda i: (-book.rules[i].gravity, book.rules[i].name)
        ):
            reasons.append(self._reason(book.rules[i], via.get(i)))
        outcomes = []
        touched = set(direct) | set(via)
        if touched:
            for label, value in state.outcomes(question):
                fires, dies = state.simulate(qid, value)
                keeps = touched - fires - dies
                outcomes.append(
                    Outcome(
                        label,
                        tuple(sorted(book.rules[i].name for i in fires)),
                        tuple(sorted(book.rules[i].name for i in dies)),
                        tuple(sorted(book.rules[i].name for i in keeps)),
                    )
                )
        return Why(qid, tuple(reasons), tuple(outcomes))

    def _reason(self, rule: RuleInfo, via: str | None) -> Reason:
        kb = self.kb
        needs = tuple(
            c.describe(kb.findings[c.finding].title) if isinstance(c, FindingTest) else c.describe()
            for c in rule.conditions
        )
        if rule.claim is not None:
            source = kb.source_of(rule.claim)
            says = kb.claims[rule.claim].says
            return Reason(rule.name, rule.claim, source.title, says, needs, via)
        if rule.finding is not None:
            finding = kb.findings[rule.finding]
            says = f"{finding.title}: {finding.says}"
            return Reason(rule.name, None, None, says, needs, via, finding=rule.finding)
        assert rule.theory is not None and rule.index is not None
        because = kb.contradictions[rule.theory][rule.index][1]
        says = f"{kb.theories[rule.theory].title} does not fit when {because}"
        return Reason(rule.name, None, None, says, needs, via, theory=rule.theory)

    # --- concluding -----------------------------------------------------------------

    def diagnosis(self) -> Diagnosis:
        """What ``cramp diagnose`` concludes for the answers so far (engine run, cached)."""
        from .conclusions import diagnose_run
        from .engine import Reasoner

        key = (tuple(sorted(self._answers.items())), frozenset(self._unknown))
        if self._diagnosis is None or self._diagnosis[0] != key:
            run = Reasoner.for_kb(self.kb).run(self.profile())
            self._diagnosis = (key, diagnose_run(self.kb, run))
        return self._diagnosis[1]


# --- reading what the runner typed ------------------------------------------------------

_SPLIT = re.compile(r"[\s,;]+")
NONE_WORDS = frozenset({"none", "0", "-", "nothing"})


def allowed_answers(question: Question) -> str:
    """The answers a question accepts, in words (for prompts and error messages)."""
    if question.type == "yesno":
        return "yes or no (y/n)"
    count = len(question.choices)
    if question.type == "choice":
        return f"one number from 1 to {count}"
    if question.type == "multi":
        return f"numbers from 1 to {count} separated by commas (e.g. 1,3), or none"
    assert question.min is not None and question.max is not None  # a number question
    return f"a number of {question.unit} from {num_text(question.min)} to {num_text(question.max)}"


def read_checklist(questions: tuple[Question, ...], text: str) -> dict[str, Any]:
    """What a runner typed at a checklist: the number of each yes, ``none``, ``?``, ``?N``.

    Returns each question's answer: True for the numbers given, :data:`UNKNOWN` for ``?``
    (all) or ``?N`` (that one), False for the rest. ValueError says what is allowed.
    """
    count = len(questions)
    allowed = (
        f"the numbers (1 to {count}) of those you answer yes to, e.g. 1,3; none for no to "
        "all; ? if you don't know; ?N for one you don't know"
    )
    typed = text.strip().lower()
    if not typed:
        raise ValueError(f"please answer with {allowed}")
    if typed in NONE_WORDS:
        return {q.id: False for q in questions}
    if typed in ("?", "unknown", "don't know", "dont know", "dunno"):
        return {q.id: UNKNOWN for q in questions}
    out: dict[str, Any] = {q.id: False for q in questions}
    for part in _SPLIT.split(typed):
        if not part:
            continue
        unsure = part.startswith("?")
        number = part[1:] if unsure else part
        if not number.isdigit() or not 1 <= int(number) <= count:
            raise ValueError(
                f"{part!r} is not one of the numbers shown; please answer with {allowed}"
            )
        out[questions[int(number) - 1].id] = UNKNOWN if unsure else True
    return out


def read_answer(question: Question, text: str) -> Any:
    """Turn what a runner typed into a valid answer; ValueError says what is allowed."""
    typed = text.strip()
    if not typed:
        raise ValueError(f"please answer with {allowed_answers(question)}")
    if question.type == "yesno":
        raw: Any = typed
    elif question.type == "choice":
        raw = _pick(question, typed)
    elif question.type == "multi":
        if typed.lower() in NONE_WORDS and typed.lower() not in question.values:
            raw = []
        else:
            raw = [_pick(question, part) for part in _SPLIT.split(typed) if part]
    else:
        raw = typed
        unit = question.unit or ""
        if unit and typed.lower().endswith(unit.lower()):
            raw = typed[: -len(unit)].strip()
    try:
        return coerce_answer(question, raw)
    except ValueError:
        raise ValueError(
            f"{typed!r} is not an answer here; please answer with {allowed_answers(question)}"
        ) from None


def _pick(question: Question, typed: str) -> str:
    """A choice by its number, its value or its label (case-insensitive)."""
    if typed.isdigit():
        index = int(typed)
        if 1 <= index <= len(question.choices):
            return question.choices[index - 1].value
        raise ValueError(
            f"{typed!r} is not one of the numbers shown; "
            f"please answer with {allowed_answers(question)}"
        )
    lowered = typed.lower()
    for choice in question.choices:
        if lowered in (choice.value.lower(), choice.label.lower()):
            return choice.value
    raise ValueError(
        f"{typed!r} is not one of the choices; please answer with {allowed_answers(question)}"
    )


__all__ = [
    "RED_FLAG_TIERS",
    "Consultation",
    "Outcome",
    "Reason",
    "Why",
    "allowed_answers",
    "read_answer",
    "read_checklist",
]
