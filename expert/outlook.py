"""What the answers still to come could do to the headline: value of information, and when to stop.

For one set of answers (a :class:`~expert.relevance.Analysis`), every question that can
still be asked is tried with each of its answers (each choice, yes and no, every choice
of a multi-choice question alone, none of them and all of them, each range of a number
that changes something) and with "don't know". An answer *moves* the headline
(:mod:`expert.headline`) when the headline of the answers so far plus that answer
differs from the headline now. On top of single answers, each rule that could still
move the headline is tried with a *witness*: the fewest answers to open questions that
make it hold (a claim that needs two answers at once cannot be caught by one); with
*pairs* of single answers that together reorder the likely causes; and with the answers
that together take back every rule holding only until they are given (its ``unless``
tests: two warning signs can hold up one tier, each on its own open question).

* The **value of information** of a question is the probability that its answer moves
  the headline, with every answer of the question equally likely and "don't know" one
  time in ten (:data:`P_UNKNOWN`). It is myopic: it looks one answer ahead; a question
  that matters only together with another scores through the witnesses it belongs to.
* The headline is **stable** when no single answer to any question still asked, no
  witness, no pair and no taking back moves it. Three or more answers that together
  reorder the causes, none of which does alone or in a pair, are not looked for
  (documented as a limit in ``docs/consultation.md``; the benchmark measures how often
  it shows).

Everything is worked out from which rules hold (:meth:`Analysis.fired_after`), never by
running the engine, so trying every answer to every question costs tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from knowledge.conditions import Condition, holds_all
from knowledge.satisfy import alternatives, candidates
from knowledge.schema import Question

from .headline import TOP_CAUSES, Headline, HeadlineModel
from .relevance import UNKNOWN, Analysis

#: The probability given to "don't know" when weighing a question's answers.
P_UNKNOWN = 0.1
#: At most this many ways a rule can hold are tried for witnesses (findings multiply them).
MAX_ALTERNATIVES = 12


@dataclass(frozen=True)
class Move:
    """Answers that would move the headline, and the headline they would give."""

    answers: tuple[tuple[str, Any], ...]
    #: The answer in words for a single answer ("yes", a choice's label, "don't know").
    label: str
    headline: Headline

    @property
    def questions(self) -> tuple[str, ...]:
        """The questions these answers are to."""
        return tuple(q for q, _ in self.answers)


def answer_outcomes(analysis: Analysis, question: Question) -> list[tuple[str, Any]]:
    """The answers tried for ``question``: each that differs in effect, then "don't know"."""
    outcomes = list(analysis.outcomes(question))
    if question.type == "multi" and len(question.values) > 1:
        outcomes.append(("all of these", tuple(sorted(question.values))))
    return [*outcomes, ("don't know", UNKNOWN)]


class Outlook:
    """For one set of answers: the headline, what could move it, and each question's value."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.model = HeadlineModel.for_book(analysis.book)
        #: The headline of the answers so far.
        self.headline: Headline = self.model.of(analysis.fired)

    def _after(self, changes: Mapping[str, Any]) -> Headline:
        return self.model.of(self.analysis.fired_after(changes))

    @cached_property
    def single(self) -> dict[str, tuple[float, tuple[Move, ...]]]:
        """For each askable question: its value of information and the answers that move."""
        kb = self.analysis.book.kb
        out: dict[str, tuple[float, tuple[Move, ...]]] = {}
        self._outcomes: dict[str, list[tuple[str, Any]]] = {}
        self._fired_after: dict[tuple[str, Any], frozenset[int]] = {}
        for qid in self.analysis.askable:
            question = kb.questions[qid]
            outcomes = self._outcomes[qid] = answer_outcomes(self.analysis, question)
            known = len(outcomes) - 1
            moves = []
            value = 0.0
            for label, answer in outcomes:
                fired = self._fired_after[(qid, _key(answer))] = self.analysis.fired_after(
                    {qid: answer}
                )
                after = self.model.of(fired)
                if after != self.headline:
                    moves.append(Move(((qid, answer),), label, after))
                    value += P_UNKNOWN if answer is UNKNOWN else (1 - P_UNKNOWN) / known
            out[qid] = (round(value, 6), tuple(moves))
        return out

    @cached_property
    def combined(self) -> tuple[Move, ...]:
        """Witnesses: answers to several open questions that together move the headline."""
        analysis = self.analysis
        book = analysis.book
        seen: set[tuple[tuple[str, Any], ...]] = set()
        moves = []
        for index in sorted(analysis.waiting):
            if index not in self.model.relevant or index in analysis.fired:
                continue
            for witness in _witnesses(analysis, index):
                if len(witness) < 2:
                    continue  # one answer: tried with the single answers
                key = tuple(sorted(witness.items(), key=lambda kv: kv[0]))
                if key in seen:
                    continue
                seen.add(key)
                after = self._after(witness)
                if after != self.headline:
                    ordered = tuple(sorted(key, key=lambda kv: book.position[kv[0]]))
                    moves.append(Move(ordered, "", after))
        return tuple(moves)

    @cached_property
    def paired(self) -> tuple[Move, ...]:
        """Pairs of answers to two questions that together reorder the likely causes.

        Standings add up, so two answers that each move a theory a little can together
        change the first three causes though neither does alone. Every pair of single
        answers that shift some theory is screened by adding up their shifts (plain
        arithmetic on the theories they touch); a pair that would change the causes is
        then tried for real.
        """
        model = self.model
        fired = self.analysis.fired
        base = model.theory_state(fired)
        ranked = model.rank(base)
        shifts: list[tuple[str, Any, dict[str, tuple[float, int, int]]]] = []
        for qid in self.single:
            for _label, answer in self._outcomes[qid]:
                held = self._fired_after[(qid, _key(answer))]
                shift = model.shift(fired - held, held - fired)
                if shift:
                    shifts.append((qid, answer, shift))
        found = []
        seen: set[tuple[str, str]] = set()
        for n, (q1, a1, s1) in enumerate(shifts):
            for q2, a2, s2 in shifts[n + 1 :]:
                if q1 == q2 or (q1, q2) in seen:
                    continue
                if model.rank_shifted(base, ranked, s1, s2) == ranked[:TOP_CAUSES]:
                    continue
                after = self._after({q1: a1, q2: a2})
                if after != self.headline:
                    seen.add((q1, q2))
                    found.append(Move(((q1, a1), (q2, a2)), "", after))
        return tuple(found)

    @cached_property
    def released(self) -> tuple[Move, ...]:
        """The answers that together take back every rule holding only until they are given.

        A warning sign with an ``unless`` test ("after a long run, unless it was not
        long") holds while its question is open. Two of them can hold up the same tier
        (low blood sodium after a long run, heatstroke after a run in the heat): no single
        answer lowers it and a witness only looks for rules that could start to hold, but
        the two answers together would lower it.
        """
        analysis = self.analysis
        answers: dict[str, Any] = {}
        for index in sorted(analysis.fired & self.model.relevant):
            if index in analysis.live:
                for qid, value in _release(analysis, index).items():
                    answers.setdefault(qid, value)
        if not answers:
            return ()
        after = self._after(answers)
        if after == self.headline:
            return ()
        position = analysis.book.position
        return (Move(tuple(sorted(answers.items(), key=lambda kv: position[kv[0]])), "", after),)

    @property
    def stable(self) -> bool:
        """Whether no answer still to come (alone, in a pair, a witness, or the answers that
        take back what holds until answered) moves the headline."""
        return (
            not any(moves for _, moves in self.single.values())
            and not self.combined
            and not self.paired
            and not self.released
        )

    def value(self, qid: str) -> float:
        """The probability that the answer to ``qid`` moves the headline (0 if it cannot)."""
        got = self.single.get(qid)
        return got[0] if got else 0.0

    def share(self, qid: str) -> float:
        """How much of the witnesses that move the headline ``qid`` would answer."""
        return round(
            sum(1 / len(m.answers) for m in self._joint if qid in m.questions),
            6,
        )

    def movers(self) -> tuple[str, ...]:
        """Askable questions whose answer, alone or in a witness, could move the headline."""
        found = {q for q, (_, moves) in self.single.items() if moves}
        found |= {q for m in self._joint for q in m.questions if q in self.single}
        return tuple(q for q in self.analysis.askable if q in found)

    @property
    def _joint(self) -> tuple[Move, ...]:
        """Moves that need answers to several questions."""
        return (*self.combined, *self.paired, *self.released)


def _key(answer: Any) -> Any:
    return "<unknown>" if answer is UNKNOWN else answer


def _ways(analysis: Analysis, index: int) -> list[tuple[Condition, ...]]:
    """The ways rule ``index`` can hold, as plain answer tests (cached per knowledge base)."""
    book = analysis.book
    cache = book.kb._cache.setdefault("outlook.alternatives", {})
    ways = cache.get(index)
    if ways is None:
        ways = alternatives(book.kb, book.rules[index].conditions)[:MAX_ALTERNATIVES]
        cache[index] = ways
    return ways


def _witnesses(analysis: Analysis, index: int) -> list[dict[str, Any]]:
    """Fewest answers to open questions under which rule ``index`` would hold, one per way."""
    out = []
    for way in _ways(analysis, index):
        found = _assign(analysis, way)
        if found:
            out.append(found)
    return out


def _release(analysis: Analysis, index: int) -> dict[str, Any]:
    """Answers to the open questions rule ``index`` holds without, that take it back.

    A rule that holds and still waits on questions holds through their ``unless`` tests;
    each is answered with a value that breaks them (empty if that does not stop the rule
    holding, or the question does not apply yet).
    """
    kb = analysis.book.kb
    tests = [t for way in _ways(analysis, index) for t in way if t.holds_unanswered]
    answers: dict[str, Any] = {}
    for qid in sorted(analysis.live[index]):
        # Breaking an unless test means answering one of the values it names.
        broken = tuple(replace(t, op="any") for t in tests if t.question == qid)
        if not broken or not holds_all(kb.preconditions.get(qid, ()), analysis.answers):
            continue
        pick = next(iter(candidates(kb.questions[qid], broken)), None)
        if pick is not None:
            answers[qid] = pick
    if not answers or index in analysis.fired_after(answers):
        return {}
    return answers


def _assign(analysis: Analysis, tests: tuple[Condition, ...]) -> dict[str, Any] | None:
    """Answers to open questions making ``tests`` hold given the answers so far, or None."""
    kb = analysis.book.kb
    given = analysis.given
    unknown = analysis.unknown
    constraints: dict[str, list[Condition]] = {}
    pending = list(tests)
    while pending:
        test = pending.pop()
        known = test.question in constraints
        constraints.setdefault(test.question, []).append(test)
        if not known:
            # An answer counts only where its question applies: its ask_if must hold too.
            pending.extend(kb.preconditions.get(test.question, ()))
    assigned: dict[str, Any] = {}
    for qid, conds in constraints.items():
        if qid in unknown:
            if not all(c.holds_unanswered for c in conds):
                return None
        elif qid in given:
            if not all(c.holds(given[qid]) for c in conds):
                return None
        elif not all(c.holds_unanswered for c in conds):
            pick = next(iter(candidates(kb.questions[qid], tuple(conds))), None)
            if pick is None:
                return None
            assigned[qid] = pick
    return assigned


__all__ = ["P_UNKNOWN", "Move", "Outlook", "answer_outcomes"]
