"""Adaptive questioning: ask only what can still change a conclusion.

The compiled engine's rules are read here as data: one rule per claim and one per
``contradicted_when`` clause of a theory, each a conjunction of conditions on answers.
Given the answers so far, every rule is

* **fired**: every condition holds, so its conclusion is already drawn;
* **dead**: a condition fails, tests a question answered "unknown", or tests a question
  that can no longer be asked (its ``ask_if`` failed), so it can never fire;
* **live**: neither; some question it tests is still open.

A question *matters* while a live rule tests it, or while it gates (through ``ask_if``)
a question that matters. Once an urgent or emergency red flag has fired, only rules
that could make the triage more urgent still count: the referral stands whatever else
the runner says, and asking on would only delay it. The consultation is finished when
no question matters; its conclusions are then those the complete profile would give
(or, after a red flag, the same triage).

The next question is the one whose answer can change most: first by the gravity of
the rules it decides (red flags, then safety net and referrals, then the rest), then by
how many other questions its answer is expected to make irrelevant (a one-step look
ahead over its possible answers), then by how many live rules it decides, and finally
by vocabulary order, so the sequence is deterministic.

>>> from knowledge import load_knowledge_base
>>> consultation = Consultation(load_knowledge_base())
>>> question = consultation.next_question()
>>> consultation.answer(question.id, question.values[0])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from statistics import fmean
from typing import TYPE_CHECKING, Any

from knowledge import Condition, KnowledgeBase, Profile
from knowledge.conditions import holds_all
from knowledge.profile import coerce_answer
from knowledge.schema import TIERS, Question

if TYPE_CHECKING:
    from .conclusions import Diagnosis

#: Tiers that stop the questioning: the referral comes before anything else.
RED_FLAG_TIERS: frozenset[str] = frozenset({"emergency", "urgent"})

#: How much deciding a rule weighs when choosing what to ask (higher is asked first).
GRAVITY_RED_FLAG = 3
GRAVITY_SAFETY = 2
GRAVITY_OTHER = 1

# Question states while analysing (see _Analysis.status).
_KNOWN, _UNKNOWN, _PENDING, _OPEN, _CLOSED = "known", "unknown", "pending", "open", "closed"


@dataclass(frozen=True)
class RuleInfo:
    """One engine rule seen as data: its name, what it concludes, and its conditions."""

    name: str
    claim: str | None
    theory: str | None
    conditions: tuple[Condition, ...]
    tier: str | None
    gravity: int
    satisfiable: bool

    @cached_property
    def condition_on(self) -> Mapping[str, Condition]:
        """The condition this rule puts on each question it tests."""
        return {c.question: c for c in self.conditions}


class Rulebook:
    """Indexes over a knowledge base's rules, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        rules: list[RuleInfo] = []
        for claim_id, conditions in kb.conditions.items():
            claim = kb.claims[claim_id]
            if claim.triage in RED_FLAG_TIERS:
                gravity = GRAVITY_RED_FLAG
            elif (
                kb.source_of(claim_id).kind == "public_health"
                or claim.triage is not None
                or claim.kind in ("referral", "red_flag")
                or claim.withholds
            ):
                gravity = GRAVITY_SAFETY
            else:
                gravity = GRAVITY_OTHER
            rules.append(
                RuleInfo(
                    f"claim:{claim_id}",
                    claim_id,
                    claim.theory,
                    conditions,
                    claim.triage,
                    gravity,
                    self._satisfiable(conditions),
                )
            )
        for theory_id, clauses in kb.contradictions.items():
            for index, (conditions, _because) in enumerate(clauses):
                rules.append(
                    RuleInfo(
                        f"contradiction:{theory_id}:{index}",
                        None,
                        theory_id,
                        conditions,
                        None,
                        GRAVITY_OTHER,
                        self._satisfiable(conditions),
                    )
                )
        self.rules: tuple[RuleInfo, ...] = tuple(rules)
        self.by_name: dict[str, int] = {r.name: i for i, r in enumerate(rules)}
        testing: dict[str, list[int]] = {q: [] for q in kb.questions}
        for index, rule in enumerate(rules):
            for c in rule.conditions:
                testing[c.question].append(index)
        self.testing: dict[str, tuple[int, ...]] = {q: tuple(v) for q, v in testing.items()}
        gated: dict[str, list[str]] = {q: [] for q in kb.questions}
        for qid, conditions in kb.preconditions.items():
            for c in conditions:
                gated[c.question].append(qid)
        #: For each question, the questions whose ``ask_if`` tests it.
        self.gated: dict[str, tuple[str, ...]] = {q: tuple(v) for q, v in gated.items()}
        self.position: dict[str, int] = {q: i for i, q in enumerate(kb.questions)}

    @classmethod
    def for_kb(cls, kb: KnowledgeBase) -> Rulebook:
        """The rulebook shared by every consultation in this process for ``kb``."""
        book = kb._cache.get("rulebook")
        if book is None:
            book = kb._cache["rulebook"] = cls(kb)
        return book

    def _satisfiable(self, conditions: Iterable[Condition]) -> bool:
        return all(c.satisfying(self.kb.questions[c.question]) for c in conditions)

    def gated_closure(self, qid: str) -> list[str]:
        """Questions whose ``ask_if`` depends, directly or through others, on ``qid``."""
        out: list[str] = []
        stack = list(self.gated[qid])
        while stack:
            g = stack.pop()
            if g not in out:
                out.append(g)
                stack.extend(self.gated[g])
        return out


class _Analysis:
    """Where every rule and question stands for one set of answers."""

    def __init__(self, book: Rulebook, answers: Mapping[str, Any], unknown: frozenset[str]) -> None:
        kb = book.kb
        self.book = book
        self.given = dict(answers)
        self.unknown = unknown
        self.answers = kb.applicable(answers)
        self._status: dict[str, str] = {}

        fired: set[int] = set()
        waiting: dict[int, frozenset[str]] = {}
        for index, rule in enumerate(book.rules):
            state = self._rule_state(rule)
            if state is None:
                continue
            if state:
                waiting[index] = state
            else:
                fired.add(index)
        self.fired = frozenset(fired)
        tiers = [book.rules[i].tier for i in fired if book.rules[i].tier]
        self.tier = min(tiers, key=TIERS.index) if tiers else "self_care"
        if self.tier in RED_FLAG_TIERS:
            rank = TIERS.index(self.tier)
            waiting = {
                i: w
                for i, w in waiting.items()
                if book.rules[i].tier and TIERS.index(book.rules[i].tier) < rank
            }
        #: Live rules that still count, with the questions each is waiting on.
        self.waiting: dict[int, frozenset[str]] = waiting

        matters: set[str] = set()
        stack = [q for w in waiting.values() for q in w]
        while stack:
            q = stack.pop()
            if q in matters:
                continue
            matters.add(q)
            for c in kb.preconditions.get(q, ()):
                if self.status(c.question) in (_OPEN, _PENDING):
                    stack.append(c.question)
        self.matters = frozenset(matters)
        self.askable = tuple(
            sorted(
                (
                    q
                    for q in matters
                    if self.status(q) == _OPEN
                    and holds_all(kb.preconditions.get(q, ()), self.answers)
                ),
                key=book.position.__getitem__,
            )
        )

    def status(self, qid: str) -> str:
        """known, unknown, pending (answered, set aside for now), open or closed."""
        got = self._status.get(qid)
        if got is not None:
            return got
        if qid in self.answers:
            got = _KNOWN
        elif qid in self.unknown:
            got = _UNKNOWN
        else:
            self._status[qid] = _CLOSED  # guards against ask_if cycles the loader missed
            can = self._can_apply(qid)
            # An answer given but set aside waits for its ask_if; else the question is open.
            waiting = _PENDING if qid in self.given else _OPEN
            got = waiting if can else _CLOSED
        self._status[qid] = got
        return got

    def _can_apply(self, qid: str) -> bool:
        """Whether the ``ask_if`` of ``qid`` holds or can still come to hold."""
        for c in self.book.kb.preconditions.get(qid, ()):
            state = self.status(c.question)
            if state == _KNOWN:
                ok = c.holds(self.answers[c.question])
            elif state == _PENDING:
                ok = c.holds(self.given[c.question])
            elif state == _OPEN:
                ok = bool(c.satisfying(self.book.kb.questions[c.question]))
            else:
                ok = False
            if not ok:
                return False
        return True

    def _rule_state(self, rule: RuleInfo) -> frozenset[str] | None:
        """None if the rule is dead, else the open questions it waits on (empty: fired)."""
        if not rule.satisfiable:
            return None
        waiting = []
        for c in rule.conditions:
            state = self.status(c.question)
            if state == _KNOWN:
                if not c.holds(self.answers[c.question]):
                    return None
            elif state == _PENDING:
                if not c.holds(self.given[c.question]):
                    return None
                waiting.append(c.question)
            elif state == _OPEN:
                waiting.append(c.question)
            else:
                return None
        return frozenset(waiting)

    # --- what an answer would change ----------------------------------------------------

    def deciding(self, qid: str) -> tuple[list[int], dict[int, str]]:
        """Live rules that test ``qid``, and live rules behind questions it gates (→ which)."""
        direct = [i for i in self.book.testing[qid] if i in self.waiting]
        via: dict[int, str] = {}
        for g in self.book.gated_closure(qid):
            if self.status(g) in (_OPEN, _PENDING):
                for i in self.book.testing[g]:
                    if i in self.waiting and i not in via and qid not in self.waiting[i]:
                        via[i] = g
        return direct, via

    def simulate(self, qid: str, value: Any) -> tuple[frozenset[int], frozenset[int]]:
        """Rules that would fire, and rules that would die, if ``qid`` were ``value``."""
        fires: set[int] = set()
        dies: set[int] = set()
        for i in self.book.testing[qid]:
            wait = self.waiting.get(i)
            if wait is None:
                continue
            if not self.book.rules[i].condition_on[qid].holds(value):
                dies.add(i)
            elif wait == {qid}:
                fires.add(i)
        closed = self._closed_by(qid, value)
        for g in closed:
            dies.update(i for i in self.book.testing[g] if i in self.waiting)
        return frozenset(fires), frozenset(dies - fires)

    def _closed_by(self, qid: str, value: Any) -> set[str]:
        """Open questions that could no longer be asked if ``qid`` were ``value``."""
        kb = self.book.kb
        closed: set[str] = set()
        for g in self.book.gated[qid]:
            if self.status(g) not in (_OPEN, _PENDING):
                continue
            if any(c.question == qid and not c.holds(value) for c in kb.preconditions[g]):
                closed.add(g)
                closed.update(self.book.gated_closure(g))
        return closed

    def outcomes(self, question: Question) -> list[tuple[str, Any]]:
        """Answers that differ in effect, each with a label: every value, or number ranges."""
        if question.type == "yesno":
            return [("yes", True), ("no", False)]
        if question.type == "choice":
            return [(c.label, c.value) for c in question.choices]
        if question.type == "multi":
            picks = [(c.label, (c.value,)) for c in question.choices]
            return [*picks, ("none of these", ())]
        return self._number_outcomes(question)

    def _number_outcomes(self, question: Question) -> list[tuple[str, Any]]:
        assert question.min is not None and question.max is not None
        low, high = float(question.min), float(question.max)
        conditions = [
            self.book.rules[i].condition_on[question.id]
            for i in self.book.testing[question.id]
            if i in self.waiting
        ]
        conditions += [
            c
            for g in self.book.gated[question.id]
            for c in self.book.kb.preconditions[g]
            if c.question == question.id
        ]
        points = sorted(
            {low, high}
            | {
                float(b)
                for c in conditions
                for b in (c.low, c.high)
                if b is not None and low <= b <= high
            }
        )
        probes: list[tuple[float, bool]] = []
        for index, p in enumerate(points):
            probes.append((p, True))
            if index + 1 < len(points):
                probes.append(((p + points[index + 1]) / 2, False))
        groups: list[list[tuple[float, bool]]] = []
        last = None
        for probe in probes:
            effect = self.simulate(question.id, probe[0])
            if groups and effect == last:
                groups[-1].append(probe)
            else:
                groups.append([probe])
                last = effect
        out = []
        for index, group in enumerate(groups):
            first, is_point = group[0]
            lower = _num(first) if is_point else f"over {_num(_prev_point(group[0], probes))}"
            if index + 1 == len(groups):
                upper = _num(high)
            else:
                nxt, nxt_is_point = groups[index + 1][0]
                upper = f"under {_num(nxt)}" if nxt_is_point else _num(group[-1][0])
            label = lower if lower == upper else f"{lower} to {upper}"
            out.append((f"{label} {question.unit}", first))
        return out

    @cached_property
    def need(self) -> dict[str, int]:
        """How many live rules wait on each question."""
        need: dict[str, int] = {}
        for wait in self.waiting.values():
            for q in wait:
                need[q] = need.get(q, 0) + 1
        return need

    @cached_property
    def best(self) -> str | None:
        """The askable question whose answer can change most (None if none can)."""
        return max(self.askable, key=self.score) if self.askable else None

    def score(self, qid: str) -> tuple[int, float, int, int]:
        """How much asking ``qid`` can change: bigger is asked first."""
        book = self.book
        direct, via = self.deciding(qid)
        touched = direct + list(via)
        gravity = max((book.rules[i].gravity for i in touched), default=0)
        need = self.need
        removed_counts = []
        for _label, value in self.outcomes(book.kb.questions[qid]):
            fires, dies = self.simulate(qid, value)
            lost: dict[str, int] = {}
            for i in fires | dies:
                for q in self.waiting[i]:
                    lost[q] = lost.get(q, 0) + 1
            removed = sum(1 for q, n in lost.items() if q != qid and n == need[q])
            removed_counts.append(removed)
        expected = round(fmean(removed_counts), 6) if removed_counts else 0.0
        return (gravity, expected, len(touched), -book.position[qid])


def _prev_point(probe: tuple[float, bool], probes: list[tuple[float, bool]]) -> float:
    index = probes.index(probe)
    return probes[index - 1][0]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


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
        self._analysis: _Analysis | None = None
        self._diagnosis: tuple[Any, Diagnosis] | None = None

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
    def _state(self) -> _Analysis:
        if self._analysis is None:
            self._analysis = _Analysis(self._book, self._answers, frozenset(self._unknown))
        return self._analysis

    # --- asking ---------------------------------------------------------------------

    def next_question(self) -> Question | None:
        """The question whose answer can change most, or None when nothing can."""
        best = self._state.best
        return None if best is None else self.kb.questions[best]

    @property
    def is_finished(self) -> bool:
        """Whether no question left can change a conclusion."""
        return not self._state.askable

    def remaining(self) -> int:
        """How many questions could still be asked at most (fewer, usually)."""
        state = self._state
        return sum(1 for q in state.matters if state.status(q) == _OPEN)

    @property
    def triage_tier(self) -> str:
        """The most urgent triage tier the answers so far set (``self_care`` if none)."""
        return self._state.tier

    @property
    def is_red_flag(self) -> bool:
        """Whether an emergency or urgent referral has been triggered."""
        return self._state.tier in RED_FLAG_TIERS

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

    def _record(self, qid: str) -> None:
        if qid in self._history:
            self._history.remove(qid)
        self._history.append(qid)
        self._analysis = None

    def answer(self, qid: str, value: Any) -> None:
        """Record an answer (validated like a profile's; ValueError names what is allowed)."""
        question = self._question(qid)
        if isinstance(value, tuple | set | frozenset):
            value = sorted(value)
        normal = coerce_answer(question, value)
        self._unknown.discard(qid)
        self._answers[qid] = normal
        self._record(qid)

    def unknown(self, qid: str) -> None:
        """Record "don't know": no fact is asserted and nothing that needs it fires."""
        self._question(qid)
        self._answers.pop(qid, None)
        self._unknown.add(qid)
        self._record(qid)

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
        needs = tuple(c.describe() for c in rule.conditions)
        if rule.claim is not None:
            source = kb.source_of(rule.claim)
            says = kb.claims[rule.claim].says
            return Reason(rule.name, rule.claim, source.title, says, needs, via)
        assert rule.theory is not None
        index = int(rule.name.rsplit(":", 1)[1])
        because = kb.contradictions[rule.theory][index][1]
        title = kb.theories[rule.theory].title
        return Reason(rule.name, None, None, f"{title} does not fit when {because}", needs, via)

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
    return f"a number of {question.unit} from {_num(question.min)} to {_num(question.max)}"  # type: ignore[arg-type]


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
    "RuleInfo",
    "Rulebook",
    "Why",
    "allowed_answers",
    "read_answer",
]
