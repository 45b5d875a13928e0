"""Which rules can still fire, and which questions can still change a conclusion.

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
the runner says, and asking on would only delay it.

Nothing here runs the engine: a step costs a pass over the rules plus a look-ahead over
the answers of the questions that can be asked, with indexes built once per knowledge
base (:class:`Rulebook`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from statistics import fmean
from typing import Any

from knowledge import Condition, KnowledgeBase
from knowledge.conditions import holds_all
from knowledge.schema import TIERS, Question

#: Tiers that stop the questioning: the referral comes before anything else.
RED_FLAG_TIERS: frozenset[str] = frozenset({"emergency", "urgent"})

#: How much deciding a rule weighs when choosing what to ask (higher is asked first).
GRAVITY_RED_FLAG = 3
GRAVITY_SAFETY = 2
GRAVITY_OTHER = 1

# Question states while analysing (see Analysis.status).
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


class Analysis:
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
        # The questions an ask_if tests are settled first, with an explicit stack rather
        # than recursion (ask_if chains may be thousands deep).
        statuses = self._status
        visiting: set[str] = set()
        stack = [qid]
        while stack:
            q = stack[-1]
            if q in visiting:  # every question its ask_if tests is settled now
                visiting.discard(q)
                stack.pop()
                # An answer given but set aside waits for its ask_if; else it is open.
                waiting = _PENDING if q in self.given else _OPEN
                statuses[q] = waiting if self._can_apply(q) else _CLOSED
            elif q in statuses:
                stack.pop()
            elif q in self.answers:
                statuses[q] = _KNOWN
                stack.pop()
            elif q in self.unknown:
                statuses[q] = _UNKNOWN
                stack.pop()
            else:
                statuses[q] = _CLOSED  # guards against ask_if cycles the loader missed
                visiting.add(q)
                above = self.book.kb.preconditions.get(q, ())
                stack.extend(c.question for c in above if c.question not in statuses)
        return statuses[qid]

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
            if is_point:
                lower = num_text(first)
            else:
                lower = f"over {num_text(_prev_point(group[0], probes))}"
            if index + 1 == len(groups):
                upper = num_text(high)
            else:
                nxt, nxt_is_point = groups[index + 1][0]
                upper = f"under {num_text(nxt)}" if nxt_is_point else num_text(group[-1][0])
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

    def remaining(self) -> int:
        """How many questions that matter are still open (an upper bound on those left)."""
        return sum(1 for q in self.matters if self.status(q) == _OPEN)

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


def num_text(value: float) -> str:
    """A number as a person writes it: 10, not 10.0."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


__all__ = ["RED_FLAG_TIERS", "Analysis", "RuleInfo", "Rulebook", "num_text"]
