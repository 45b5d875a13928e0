"""Which rules can still fire, and which questions can still change a conclusion.

The knowledge base's rules (:func:`expert.rules.rule_specs`) are read here as data:
the claims, the clauses of findings, and the ``contradicted_when`` clauses of
theories. Given the answers so far, each is evaluated to a :data:`State`:

* whether it **holds now**, exactly as the engine would decide on these answers;
* the open questions whose answers could still change that (empty: settled);
* or **dead**: a test fails, tests a question answered "unknown", or one that can no
  longer be asked (its ``ask_if`` failed), so it can never hold.

A test that a finding holds is as the finding is: it holds if one of its clauses holds,
is dead if all are dead, and waits on what its unsettled clauses wait on. An ``unless``
test holds now while its question is open, yet waits on it: the answer can undo it.

A question *matters* while a live rule that counts waits on it, or while it gates
(through ``ask_if``) a question that matters. Once an urgent or emergency red flag has
fired, only two kinds of rule still count: those that could make the triage more
urgent, and the clauses of warning-sign findings that refine the one found (after a
sudden sharp pain: could you carry on, can you tighten the calf). The referral stands
whatever else the runner says, and asking on would only delay it; nor is a question
asked whose answer could only take back a red flag already shown.

Nothing here runs the engine: a step costs a pass over the rules plus a look-ahead over
the answers of the questions that can be asked, with indexes built once per knowledge
base (:class:`Rulebook`). A rule the answers cannot reach stands as it does with no
answers, so when the answers reach fewer than half the rules only those are judged
again and the rest are read from the analysis of no answers (:attr:`Rulebook.blank`).
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from knowledge import KnowledgeBase
from knowledge.conditions import Condition, FindingTest, Test, holds_all
from knowledge.vocabulary import TIERS

from .rules import RuleSpec, rule_specs

if TYPE_CHECKING:
    from knowledge.schema import Question

#: Tiers that stop the questioning: the referral comes before anything else.
RED_FLAG_TIERS: frozenset[str] = frozenset({"emergency", "urgent"})

#: How much deciding a rule weighs when choosing what to ask (higher is asked first).
#: A red flag weighs more the more urgent the tier it can lead to (see Rulebook).
GRAVITY_RED_FLAG = 3
GRAVITY_SAFETY = 2
GRAVITY_OTHER = 1

# Question states while analysing (see Analysis.status).
_KNOWN, _UNKNOWN, _PENDING, _OPEN, _CLOSED = "known", "unknown", "pending", "open", "closed"

#: A test's or rule's state: None if dead for good, else (holds now, the open questions
#: whose answers could still change that).
State = tuple[bool, frozenset[str]] | None
_NONE: frozenset[str] = frozenset()
_SETTLED_TRUE: State = (True, _NONE)


@dataclass(frozen=True)
class RuleInfo:
    """One rule seen as data: its name, what it concludes, and what it tests."""

    name: str
    kind: str
    claim: str | None
    theory: str | None
    finding: str | None
    conditions: tuple[Test, ...]
    tier: str | None
    gravity: int
    satisfiable: bool
    #: Every question it depends on, directly or through the findings it tests.
    questions: frozenset[str]
    #: The questions it tests for a sign being present (not ``unless`` context), directly
    #: or through the findings it tests: what asking first is about.
    primary: frozenset[str]
    #: The clause of a finding or contradiction it is (see :attr:`RuleSpec.index`).
    index: int | None = None


class Rulebook:
    """Indexes over a knowledge base's rules, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        warning = {f for f, finding in kb.findings.items() if finding.warning_sign}
        reach = _reachable_tiers(kb)
        rules = [
            self._info(spec, warning, reach)
            for spec in rule_specs(kb).of_kind("claim", "finding", "contradiction")
        ]
        self.rules: tuple[RuleInfo, ...] = tuple(rules)
        self.by_name: dict[str, int] = {r.name: i for i, r in enumerate(rules)}
        clauses: dict[str, list[int]] = {f: [] for f in kb.findings}
        for i, r in enumerate(rules):
            if r.kind == "finding" and r.finding in clauses:
                clauses[r.finding].append(i)
        #: For each finding, the indexes of its clause rules.
        self.clauses: dict[str, tuple[int, ...]] = {f: tuple(v) for f, v in clauses.items()}
        testing: dict[str, list[int]] = {q: [] for q in kb.questions}
        for index, rule in enumerate(rules):
            for q in rule.questions:
                testing[q].append(index)
        #: For each question, the rules that depend on it (directly or via findings).
        self.testing: dict[str, tuple[int, ...]] = {q: tuple(v) for q, v in testing.items()}
        gated: dict[str, list[str]] = {q: [] for q in kb.questions}
        for qid, conditions in kb.preconditions.items():
            for c in conditions:
                gated[c.question].append(qid)
        #: For each question, the questions whose ``ask_if`` tests it.
        self.gated: dict[str, tuple[str, ...]] = {q: tuple(v) for q, v in gated.items()}
        self.position: Mapping[str, int] = kb.question_position
        self._affected: dict[str, frozenset[int]] = {}
        # Keyed by identity (see can_hold); each entry holds its condition, so the id
        # stays that condition's while the entry lives.
        self._can_hold: dict[int, tuple[Condition, bool]] = {}
        by_tier: dict[str, list[int]] = {}
        for i, r in enumerate(rules):
            if r.tier:
                by_tier.setdefault(r.tier, []).append(i)
        #: For each triage tier, the rules that set it.
        self.by_tier: dict[str, tuple[int, ...]] = {t: tuple(v) for t, v in by_tier.items()}
        #: Red-flag claims and warning-sign finding clauses: what can reveal a sign.
        self.warning_rules: tuple[int, ...] = tuple(
            i
            for i, r in enumerate(rules)
            if r.gravity >= GRAVITY_RED_FLAG
            or (r.claim is not None and kb.claims[r.claim].kind == "red_flag")
        )
        #: Warning-sign findings, and for each the warning-sign findings it refines or
        #: is refined by (one implies the other): asked after a red flag.
        self.warning = frozenset(warning)
        # g is related to f when one implies the other: from each sign's implications and
        # their inverse, not by testing every pair (quadratic in the warning signs).
        implied = {f: kb.implied_findings(f) for f in warning}
        implied_by: dict[str, set[str]] = {f: set() for f in warning}
        for g in warning:
            for f in implied[g]:
                if f in implied_by:
                    implied_by[f].add(g)
        self.related: dict[str, frozenset[str]] = {
            f: frozenset({f} | (implied[f] & warning) | implied_by[f]) for f in warning
        }

    def _info(self, spec: RuleSpec, warning: set[str], reach: Mapping[str, str]) -> RuleInfo:
        kb = self.kb
        tier = None
        claim = kb.claims.get(spec.item) if spec.kind == "claim" else None
        if claim is not None:
            tier = claim.triage
        if (tier in RED_FLAG_TIERS) or (spec.kind == "finding" and spec.item in warning):
            # Emergency signs before urgent ones, before the rest.
            reachable = tier or reach.get(spec.item, "self_care")
            gravity = GRAVITY_RED_FLAG + len(TIERS) - 1 - TIERS.index(reachable)
        elif spec.kind == "finding" or (
            claim is not None
            and (
                kb.source_of(claim.id).kind == "public_health"
                or claim.triage is not None
                or claim.kind in ("referral", "red_flag", "caution")
            )
        ):
            gravity = GRAVITY_SAFETY
        else:
            gravity = GRAVITY_OTHER
        return RuleInfo(
            name=spec.name,
            kind=spec.kind,
            claim=claim.id if claim is not None else None,
            theory=(claim.theory if claim is not None else None)
            or (spec.item if spec.kind == "contradiction" else None),
            finding=spec.item if spec.kind == "finding" else None,
            conditions=spec.tests,
            tier=tier,
            gravity=gravity,
            satisfiable=all(
                c.satisfying(kb.questions[c.question]) or c.holds_unanswered
                for c in spec.tests
                if isinstance(c, Condition)
            ),
            questions=kb.questions_under(spec.tests),
            primary=_primary(kb, spec.tests),
            index=spec.index,
        )

    def can_hold(self, test: Condition) -> bool:
        """Whether some answer to its question satisfies ``test`` (worked out once)."""
        # By identity: a condition's hash and equality are a dataclass's, run in Python,
        # and looking one up by them was a third of evaluating the rules at ×100.
        known = self._can_hold.get(id(test))
        if known is None or known[0] is not test:
            holds = bool(test.satisfying(self.kb.questions[test.question]))
            known = self._can_hold[id(test)] = (test, holds)
        return known[1]

    def most_urgent_tier(self, holding: Collection[int]) -> str:
        """The most urgent tier a rule in ``holding`` sets ("self_care" if none): looked
        up tier by tier, as thousands of rules may hold and few set a tier."""
        return next(
            (t for t in TIERS if any(i in holding for i in self.by_tier.get(t, ()))),
            "self_care",
        )

    def __getstate__(self) -> dict[str, Any]:
        # Kept in an image: what is keyed by identity means nothing in another process,
        # and the analysis of no answers is made again when first needed.
        state = dict(self.__dict__)
        state["_can_hold"] = {}
        state.pop("blank", None)
        state.pop("blank_signs", None)
        return state

    @cached_property
    def blank(self) -> Analysis:
        """The analysis of no answers at all, made once: the start of every other."""
        return Analysis(self, {}, frozenset(), incremental=False)

    @cached_property
    def blank_signs(self) -> dict[int, frozenset[str]]:
        """What each warning-sign rule leaves unchecked with no answers at all."""
        return {i: _signs_left(self, self.blank._view, i) for i in self.warning_rules}

    def reached_by(
        self, questions: Iterable[str], incremental: bool | None
    ) -> frozenset[int] | None:
        """The rules answers to ``questions`` can change (see :meth:`affected`), when an
        analysis should start from the blank one: if ``incremental``, or by default when
        they are fewer than half the rules; None when it should judge every rule."""
        if incremental is False:
            return None
        half = len(self.rules) / 2
        found: set[int] = set()
        for qid in questions:
            found |= self.affected(qid)
            if incremental is None and len(found) >= half:
                return None  # a full pass judges fewer: no need to finish the union
        return frozenset(found)

    @classmethod
    def for_kb(cls, kb: KnowledgeBase) -> Rulebook:
        """The rulebook shared by every consultation in this process for ``kb``."""
        book = kb._cache.get("rulebook")
        if book is None:
            book = kb._cache["rulebook"] = cls(kb)
        return book

    def affected(self, qid: str) -> frozenset[int]:
        """Rules an answer to ``qid`` can change: those testing it or a question it gates."""
        got = self._affected.get(qid)
        if got is None:
            got = self._affected[qid] = frozenset(
                i for q in (qid, *self.gated_closure(qid)) for i in self.testing[q]
            )
        return got

    @cached_property
    def sign_gravity(self) -> Mapping[str, int]:
        """For each warning-sign question, the gravity of the most urgent sign it can reveal.

        A runner who left many warning signs unchecked is shown the most serious by name
        first (see :mod:`expert.summary`). A question that gates one (through ``ask_if``)
        must be asked first, so it is as serious as the most serious question it gates.
        """
        gravity: dict[str, int] = {}
        for index in self.warning_rules:
            rule = self.rules[index]
            tested = {
                t.question
                for t in rule.conditions
                if isinstance(t, Condition) and not t.holds_unanswered
            }
            for q in tested | rule.primary:
                gravity[q] = max(gravity.get(q, 0), rule.gravity)
        signs = dict(gravity)
        # Each gate's closure once (the closure is transitive, so a gate of a gate sees
        # every sign below it), not once per sign: linear in the questions.
        for gate in self.kb.questions:
            below = [signs[q] for q in self.gated_closure(gate) if q in signs]
            if below:
                gravity[gate] = max(gravity.get(gate, 0), *below)
        return gravity

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


#: Stands for a "don't know" answer in a look-ahead (see :meth:`Analysis.fired_after`).
UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()


class _Answers:
    """Question states for one set of answers, as they would be after a few answers more.

    With a ``base`` and the questions ``changed`` from it, those questions and every
    question their answers gate are judged again; everything else is as in ``base``.
    """

    def __init__(
        self,
        book: Rulebook,
        given: Mapping[str, Any],
        unknown: frozenset[str],
        base: _Answers | None = None,
        changed: Iterable[str] = (),
    ) -> None:
        self.book = book
        self.given = given
        self.unknown = unknown
        self.answers = book.kb.applicable(given)
        self._status: dict[str, str] = {}
        #: The questions judged again, not read from ``base`` (empty without one).
        self.fresh: frozenset[str] = _NONE
        if base is not None:
            fresh: set[str] = set()
            for qid in changed:
                fresh.add(qid)
                fresh.update(book.gated_closure(qid))
            self.fresh = frozenset(fresh)
            # Copied whole and the few fresh ones taken out: a dict's copy is a memory
            # copy, where filtering each of thousands of questions is a Python loop.
            self._status = dict(base._status)
            for qid in fresh:
                self._status.pop(qid, None)
        self._findings: dict[str, State] = {}
        #: The findings judged again, not read from ``base`` (see :func:`_from_blank`).
        self.refound: frozenset[str] = _NONE

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
            # Resolved one precondition at a time, with an explicit stack, so a long
            # chain of ask_if cannot exhaust Python's recursion.
            got = self._resolve(qid)
        self._status[qid] = got
        return got

    def _resolve(self, qid: str) -> str:
        pre = self.book.kb.preconditions
        stack = [qid]
        while stack:
            top = stack[-1]
            if top in self._status:
                stack.pop()
                continue
            pending = [
                c.question
                for c in pre.get(top, ())
                if c.question not in self._status
                and c.question not in self.answers
                and c.question not in self.unknown
                and c.question not in stack
            ]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if top in self.answers:
                self._status[top] = _KNOWN
            elif top in self.unknown:
                self._status[top] = _UNKNOWN
            else:
                can = self._can_apply(top)
                waiting = _PENDING if top in self.given else _OPEN
                self._status[top] = waiting if can else _CLOSED
        return self._status[qid]

    def _can_apply(self, qid: str) -> bool:
        """Whether the ``ask_if`` of ``qid`` holds or can still come to hold."""
        for c in self.book.kb.preconditions.get(qid, ()):
            if c.question in self.answers:
                state = _KNOWN
            elif c.question in self.unknown:
                state = _UNKNOWN
            else:
                # Resolved before ``qid`` (see _resolve); a cycle the loader refuses reads
                # as closed.
                state = self._status.get(c.question, _CLOSED)
            if state == _KNOWN:
                ok = c.holds(self.answers[c.question])
            elif state == _PENDING:
                ok = c.holds(self.given[c.question]) or c.holds_unanswered
            elif state == _OPEN:
                ok = c.holds_unanswered or self.book.can_hold(c)
            else:
                ok = c.holds_unanswered
            if not ok:
                return False
        return True

    # --- three-valued evaluation ------------------------------------------------------

    def test(self, test: Test) -> State:
        """The state of one test (see :data:`State`)."""
        if isinstance(test, FindingTest):
            return self.finding(test.finding)
        state = self.status(test.question)
        unanswered = test.holds_unanswered
        if state == _KNOWN:
            return _SETTLED_TRUE if test.holds(self.answers[test.question]) else None
        if state == _PENDING:
            # The engine sets the answer aside for now (unanswered); admitted later, the
            # answer decides. Settled only if both ways agree.
            admitted = test.holds(self.given[test.question])
            if admitted == unanswered:
                return _SETTLED_TRUE if admitted else None
            return (unanswered, frozenset({test.question}))
        if state == _OPEN:
            if unanswered or self.book.can_hold(test):
                return (unanswered, frozenset({test.question}))
            return None
        return _SETTLED_TRUE if unanswered else None

    def conjunction(self, tests: Iterable[Test]) -> State:
        """All tests: dead if one is dead; holds now if all do; waits on the union."""
        now = True
        waiting: set[str] = set()
        for test in tests:
            state = self.test(test)
            if state is None:
                return None
            now = now and state[0]
            waiting |= state[1]
        return (now, frozenset(waiting))

    def finding(self, fid: str) -> State:
        """A finding: any clause; settled true if one is, dead if all are dead."""
        if fid in self._findings:
            return self._findings[fid]
        self._findings[fid] = None  # a cycle (refused by the loader) reads as dead
        states = [
            state
            for index in self.book.clauses.get(fid, ())
            if (state := self.conjunction(self.book.rules[index].conditions)) is not None
        ]
        result: State = None
        if any(s == _SETTLED_TRUE for s in states):
            result = _SETTLED_TRUE
        elif states:
            waiting = frozenset().union(*(s[1] for s in states))
            result = (any(s[0] for s in states), waiting)
        self._findings[fid] = result
        return result

    def rule(self, rule: RuleInfo) -> State:
        """A rule's state (see :meth:`test`)."""
        if not rule.satisfiable:
            return None
        return self.conjunction(rule.conditions)


class Analysis:
    """Where every rule and question stands for one set of answers."""

    _view: _Answers
    fired: frozenset[int]
    live: dict[int, frozenset[str]]

    def __init__(
        self,
        book: Rulebook,
        answers: Mapping[str, Any],
        unknown: frozenset[str],
        *,
        incremental: bool | None = None,
    ) -> None:
        """Judge every rule for ``answers`` (and the questions answered ``unknown``).

        A rule no answer here can reach stands as it does with no answers at all
        (:attr:`Rulebook.blank`): with ``incremental`` only the rules the answered
        questions reach are judged again, and the rest are read from the blank analysis.
        By default that is done when it judges fewer rules than a full pass (a few
        answers to a large knowledge base); the result is the same either way.
        """
        kb = book.kb
        self.book = book
        self.given = dict(answers)
        self.unknown = unknown
        changed = [q for q in (*self.given, *unknown) if q in kb.questions]
        reached = book.reached_by(changed, incremental)
        fired: set[int]
        waiting: dict[int, frozenset[str]]
        judged: Iterable[int]
        if reached is not None:
            blank = book.blank
            self._view = _from_blank(book, self.given, unknown, changed, reached)
            # What the answers do not reach, as it was (copied whole, then the reached
            # rules taken out and judged again; nothing reads these in rule order).
            fired = set(blank.fired)
            fired -= reached
            waiting = dict(blank.live)
            for index in reached:
                waiting.pop(index, None)
            judged = sorted(reached)
        else:
            self._view = _Answers(book, self.given, unknown)
            fired, waiting = set(), {}
            judged = range(len(book.rules))
        self.answers = self._view.answers

        for index in judged:
            rule = book.rules[index]
            state = self._view.rule(rule)
            if state is None:
                continue
            if state[0]:
                fired.add(index)
            if state[1]:
                waiting[index] = state[1]
        #: Rules that hold now (as the engine decides on these answers).
        self.fired = frozenset(fired)
        #: Findings that hold now.
        self.findings: frozenset[str]
        if reached is not None:
            # Those the answers reach judged again; the rest hold as with no answers.
            refound = self._view.refound
            self.findings = (blank.findings - refound) | {
                f for f in refound if (state := self._view.finding(f)) is not None and state[0]
            }
        else:
            self.findings = frozenset(
                f for f in kb.findings if (state := self._view.finding(f)) is not None and state[0]
            )
        #: The triage tier these answers set now, as the engine decides it.
        self.tier = book.most_urgent_tier(fired)
        #: The tier no answer still to come can take back (an ``unless`` test that holds
        #: only while its question is open is not settled): what stops the questioning.
        self.settled_tier = book.most_urgent_tier({i for i in fired if i not in waiting})
        #: Every live rule, whether or not it still counts (never changed after this:
        #: ``waiting`` is the same dict unless a red flag narrows it to a new one).
        self.live: dict[int, frozenset[str]] = waiting
        if self.settled_tier in RED_FLAG_TIERS:
            rank = TIERS.index(self.settled_tier)
            refine: set[str] = set()
            for f in self.findings & book.warning:
                refine |= book.related[f]
            # What could make it more urgent (or settle a more urgent rule one way or
            # the other), and what tells more about the warning sign found: looked up
            # by tier and by finding, not by going through every live rule.
            counting = {i for tier in TIERS[:rank] for i in book.by_tier.get(tier, ())}
            counting.update(
                i for f in refine - self.findings for i in book.clauses[f] if i not in fired
            )
            live = waiting
            waiting = {i: live[i] for i in sorted(counting) if i in live}
        #: Live rules that still count, with the questions each is waiting on.
        self.waiting: dict[int, frozenset[str]] = waiting
        # The rules whose waiting counts differ from the blank analysis's (see _tally);
        # None to count afresh, as when either leaves out live rules after a red flag.
        self._recount: frozenset[int] | None = (
            reached
            if reached is not None
            and RED_FLAG_TIERS.isdisjoint({self.settled_tier, book.blank.settled_tier})
            else None
        )

        # The questions live rules wait on (counted from the blank analysis's, when it
        # can be), and the questions that gate them while they can still be answered.
        pre = kb.preconditions
        matters = set(self.need) if self._recount is not None else set().union(*waiting.values())
        stack = list(matters & pre.keys())
        while stack:
            for c in pre[stack.pop()]:
                gate = c.question
                if gate not in matters and self.status(gate) in (_OPEN, _PENDING):
                    matters.add(gate)
                    if gate in pre:
                        stack.append(gate)
        self.matters = frozenset(matters)
        #: The questions that matter and can be asked now, in the knowledge base's order.
        self.askable: tuple[str, ...]
        # Those askable now but not with no answers, or judged again (None: a full pass).
        self._askable_added: frozenset[str] | None
        self.askable, self._askable_added = self._askable(reached is not None)

    def _askable(self, from_blank: bool) -> tuple[tuple[str, ...], frozenset[str] | None]:
        """The askable questions, and which of them were looked at afresh (None unless
        made ``from_blank``).

        From the blank analysis, only questions judged again (``fresh``) or that did not
        matter with no answers are looked at: any other is askable as it was then, its
        state and the answers its ``ask_if`` tests unchanged by these answers.
        """
        book = self.book
        pre = book.kb.preconditions
        matters = self.matters

        def askable(q: str) -> bool:
            return self.status(q) == _OPEN and holds_all(pre.get(q, ()), self.answers)

        if not from_blank:
            return tuple(sorted(filter(askable, matters), key=book.position.__getitem__)), None
        blank = book.blank
        fresh = self._view.fresh
        kept = [q for q in blank.askable if q in matters and q not in fresh]
        added = sorted(
            filter(askable, (matters - blank.matters) | (fresh & matters)),
            key=book.position.__getitem__,
        )
        for q in added:  # few: each put in its place in the sorted list
            bisect.insort(kept, q, key=book.position.__getitem__)
        return tuple(kept), frozenset(added)

    def status(self, qid: str) -> str:
        """known, unknown, pending (answered, set aside for now), open or closed."""
        return self._view.status(qid)

    @cached_property
    def unchecked_warning_signs(self) -> tuple[str, ...]:
        """Warning-sign questions not ruled out (see :func:`unchecked_warning_signs`)."""
        return unchecked_warning_signs(self.book.kb, self.given, self.unknown)

    # --- what an answer would change ----------------------------------------------------

    def deciding(self, qid: str) -> tuple[list[int], dict[int, str]]:
        """Live rules that wait on ``qid``, and live rules behind questions it gates."""
        direct = [i for i in self.book.testing[qid] if i in self.waiting and qid in self.waiting[i]]
        via: dict[int, str] = {}
        for g in self.book.gated_closure(qid):
            if self.status(g) in (_OPEN, _PENDING):
                for i in self.book.testing[g]:
                    if i in self.waiting and i not in via and qid not in self.waiting[i]:
                        via[i] = g
        return direct, via

    def simulate(self, qid: str, value: Any) -> tuple[frozenset[int], frozenset[int]]:
        """Rules that would fire, and rules that would die, if ``qid`` were ``value``."""
        book = self.book
        view = _Answers(
            book, {**self.given, qid: value}, self.unknown - {qid}, base=self._view, changed=[qid]
        )
        affected = book.affected(qid)
        fires: set[int] = set()
        dies: set[int] = set()
        for i in affected:
            if i not in self.waiting:
                continue
            state = view.rule(book.rules[i])
            if state is None:
                dies.add(i)
            elif state == _SETTLED_TRUE:
                fires.add(i)
        return frozenset(fires), frozenset(dies)

    def fired_after(self, changes: Mapping[str, Any]) -> frozenset[int]:
        """The rules that would hold if the questions in ``changes`` had those answers.

        A value of :data:`UNKNOWN` stands for "don't know". Only the rules the changed
        questions can reach are evaluated again; the rest hold as they do now.
        """
        book = self.book
        given = dict(self.given)
        unknown = set(self.unknown)
        affected: set[int] = set()
        for qid, value in changes.items():
            if value is UNKNOWN:
                given.pop(qid, None)
                unknown.add(qid)
            else:
                given[qid] = value
                unknown.discard(qid)
            affected |= book.affected(qid)
        view = _Answers(book, given, frozenset(unknown), base=self._view, changed=changes)
        fired = set(self.fired) - affected
        for i in affected:
            state = view.rule(book.rules[i])
            if state is not None and state[0]:
                fired.add(i)
        return frozenset(fired)

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
            c
            for i in self.book.testing[question.id]
            if i in self.waiting
            for c in self.book.rules[i].conditions
            if isinstance(c, Condition) and c.question == question.id
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
    def waiting_on(self) -> dict[str, list[int]]:
        """For each question, the live rules that wait on it, in rule order."""
        found: dict[str, list[int]] = {}
        for index in sorted(self.waiting):
            for q in self.waiting[index]:
                found.setdefault(q, []).append(index)
        return found

    @cached_property
    def _tally(self) -> tuple[dict[str, int], dict[str, int], frozenset[str] | None]:
        """For each question, how many live rules wait on it, and at least their greatest
        gravity (one pass over the waiting rules for both, or over the reached ones);
        and, when counted from the blank analysis's, the questions whose counts may
        differ from its (None when counted afresh)."""
        rules = self.book.rules
        reached = self._recount
        if reached is not None:
            # The blank analysis's counts, corrected for the rules the answers reach. A
            # gravity is only raised: still at least the greatest, as a bound must be.
            blank = self.book.blank
            blank_need, blank_ceiling, _ = blank._tally
            need, ceiling = dict(blank_need), dict(blank_ceiling)
            touched: set[str] = set()
            for index in reached:
                before = blank.waiting.get(index, _NONE)
                for q in before:
                    need[q] -= 1
                    if not need[q]:
                        del need[q]
                gravity = rules[index].gravity
                after = self.waiting.get(index, _NONE)
                for q in after:
                    need[q] = need.get(q, 0) + 1
                    if ceiling.get(q, 0) < gravity:
                        ceiling[q] = gravity
                touched |= before
                touched |= after
            return need, ceiling, frozenset(touched)
        need = {}
        ceiling = {}
        for index, wait in self.waiting.items():
            gravity = rules[index].gravity
            for q in wait:
                need[q] = need.get(q, 0) + 1
                if ceiling.get(q, 0) < gravity:
                    ceiling[q] = gravity
        return need, ceiling, None

    @property
    def need(self) -> dict[str, int]:
        """How many live rules wait on each question."""
        return self._tally[0]

    def most_telling(self, count: int = 3) -> tuple[str, ...]:
        """The askable questions whose answers would change most, a cheap ranking.

        By the gravity of the live rules that wait on each (warning signs first), then
        by how many wait on it; for naming the few questions that would sharpen a result
        from sparse answers (the consultation itself looks one answer ahead). The first
        ``count`` of the askable questions sorted by :meth:`weight`, largest first.
        """
        if count <= 0:
            return ()
        # Weighed in the order of their bounds, until no bound can beat the last of the
        # best found: with thousands of questions askable, a few are weighed.
        best: list[tuple[tuple[int, int, int], str]] = []
        for limit, qid in self._by_bound():
            if len(best) >= count and limit < best[-1][0]:
                break
            best.append((self.weight(qid), qid))
            best.sort(reverse=True)
            del best[count:]
        return tuple(qid for _, qid in best)

    def _bound(self, qid: str) -> tuple[int, int, int]:
        """The weight with every waiting rule counted as looking for a sign: never less
        than :meth:`weight`, and cheap (no rule's findings are looked at)."""
        need, ceiling, _ = self._tally
        gravity = max(ceiling.get(qid, GRAVITY_OTHER), GRAVITY_OTHER)
        return (gravity, need.get(qid, 0), -self.book.position[qid])

    @cached_property
    def _bound_order(self) -> list[tuple[tuple[int, int, int], str]]:
        """Every askable question with its bound, largest first (kept for the blank
        analysis, whose order every analysis made from it starts from)."""
        return sorted(((self._bound(q), q) for q in self.askable), reverse=True)

    @cached_property
    def _askable_set(self) -> frozenset[str]:
        """The askable questions as a set."""
        return frozenset(self.askable)

    def _by_bound(self) -> Iterable[tuple[tuple[int, int, int], str]]:
        """The askable questions with their bounds, largest first, made lazily.

        Made from the blank analysis, a question whose counts the answers did not touch
        and that was askable then keeps its bound and place in the blank analysis's
        order; only the others are sorted, and merged in (bounds end with the question's
        unique place, so the order is total and the same as sorting them all).
        """
        touched = self._tally[2]
        added = self._askable_added
        if touched is None or added is None:
            return self._bound_order
        moved = touched | added
        askable = self._askable_set
        kept = (
            (limit, q)
            for limit, q in self.book.blank._bound_order
            if q not in moved and q in askable
        )
        others = sorted(((self._bound(q), q) for q in moved if q in askable), reverse=True)
        return heapq.merge(kept, others, reverse=True)

    def weight(self, qid: str) -> tuple[int, int, int]:
        """How telling asking ``qid`` is (see :meth:`most_telling`): the gravity of the live
        rules that look for a sign in it, how many live rules wait on it, its place."""
        book = self.book
        # The rules that wait on it, from those that test it: for the few questions
        # weighed, cheaper than listing every question's waiting rules.
        waiting = [i for i in book.testing[qid] if qid in self.waiting.get(i, ())]
        gravity = max(
            (book.rules[i].gravity for i in waiting if self._looks_for_sign(i, qid)),
            default=GRAVITY_OTHER,
        )
        return (gravity, len(waiting), -book.position[qid])

    def remaining(self) -> int:
        """How many questions that matter are still open (an upper bound on those left)."""
        return sum(1 for q in self.matters if self.status(q) == _OPEN)

    @cached_property
    def best(self) -> str | None:
        """The askable question whose answer can change most (None if none can)."""
        return max(self.askable, key=self.score) if self.askable else None

    def _builds_on_holding(self, rule: RuleInfo) -> bool:
        """Whether every finding the rule tests holds now."""
        return all(
            (state := self._view.finding(t.finding)) is not None and state[0]
            for t in rule.conditions
            if isinstance(t, FindingTest)
        )

    def _looks_for_sign(self, index: int, qid: str) -> bool:
        """Whether rule ``index`` tests ``qid`` for a sign now (see :func:`_primary`)."""
        rule = self.book.rules[index]
        if qid in rule.primary:
            return True
        return self._builds_on_holding(rule) and any(
            isinstance(t, Condition) and t.question == qid and not t.holds_unanswered
            for t in rule.conditions
        )

    def score(self, qid: str) -> tuple[int, float, int, int]:
        """How much asking ``qid`` can change: bigger is asked first."""
        book = self.book
        direct, via = self.deciding(qid)
        touched = direct + list(via)
        # Gravity counts where the question looks for a sign (not only as context, as
        # in "after a long run unless it was not long"), so warning signs come first.
        gravity = max(
            (book.rules[i].gravity for i in direct if self._looks_for_sign(i, qid)),
            default=0,
        )
        gravity = max(gravity, min((book.rules[i].gravity for i in touched), default=0))
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
        # statistics.fmean's own arithmetic, without importing statistics (and fractions).
        expected = (
            round(math.fsum(removed_counts) / len(removed_counts), 6) if removed_counts else 0.0
        )
        return (gravity, expected, len(touched), -book.position[qid])


def _reachable_tiers(kb: KnowledgeBase) -> dict[str, str]:
    """For each finding, the most urgent tier a claim testing it, or a finding built on
    it, can set ("self_care" if none)."""
    reach = dict.fromkeys(kb.findings, "self_care")
    for cid, claim in kb.claims.items():
        for test in kb.conditions[cid]:
            if isinstance(test, FindingTest) and claim.triage is not None:
                reach[test.finding] = min(reach[test.finding], claim.triage, key=TIERS.index)
    # Through findings built on others, to a fixed point (findings form no cycle).
    for _ in range(len(reach)):
        moved = False
        for fid, clauses in kb.finding_clauses.items():
            for clause in clauses:
                for test in clause:
                    if isinstance(test, FindingTest):
                        best = min(reach[test.finding], reach[fid], key=TIERS.index)
                        if best != reach[test.finding]:
                            reach[test.finding] = best
                            moved = True
        if not moved:
            break
    return reach


def _primary(kb: KnowledgeBase, tests: Iterable[Test]) -> frozenset[str]:
    """Questions that look for a sign: tested positively, not as context of a finding.

    In a list of tests that builds on a finding ("those symptoms, after a lot of plain
    water"), the answer tests only matter once the finding holds, so the finding's own
    questions are the primary ones; an ``unless`` test is context too.
    """
    found: set[str] = set()
    seen: set[str] = set()
    pending = [tuple(tests)]
    while pending:
        group = pending.pop()
        builds_on = [t.finding for t in group if isinstance(t, FindingTest)]
        if not builds_on:
            found |= {
                t.question for t in group if isinstance(t, Condition) and not t.holds_unanswered
            }
        for finding in builds_on:
            if finding not in seen:
                seen.add(finding)
                pending.extend(kb.finding_clauses.get(finding, ()))
    return frozenset(found)


def _prev_point(probe: tuple[float, bool], probes: list[tuple[float, bool]]) -> float:
    index = probes.index(probe)
    return probes[index - 1][0]


def num_text(value: float) -> str:
    """A number as a person writes it: 10, not 10.0."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def unchecked_in(
    book: Rulebook, view: _Answers, reached: frozenset[int] | None = None
) -> tuple[str, ...]:
    """Open questions a live warning-sign rule waits on: signs not ruled out yet.

    A red-flag claim or a warning-sign finding's clause that can still hold and waits on
    a question means an answer could still reveal a warning sign; until then the result
    is never an all-clear. A rule's own signs count once the findings it builds on hold
    (until then those findings' clauses list theirs), and an ``unless`` test never hides
    a sign. In vocabulary order, with the questions that gate them.

    With ``reached``, a view made from the blank analysis (:func:`_from_blank`): a rule
    the answers do not reach leaves unchecked what it does with no answers at all.
    """
    kb = book.kb
    found: set[str] = set()
    for index in book.warning_rules:
        if reached is not None and index not in reached:
            found |= book.blank_signs[index]
        else:
            found |= _signs_left(book, view, index)
    # A question that gates one of them is unchecked too (it must be asked first).
    stack = list(found)
    while stack:
        q = stack.pop()
        for c in kb.preconditions.get(q, ()):
            if c.question not in found and view.status(c.question) in (_OPEN, _PENDING):
                found.add(c.question)
                stack.append(c.question)
    return tuple(sorted(found, key=book.position.__getitem__))


def _signs_left(book: Rulebook, view: _Answers, index: int) -> frozenset[str]:
    """The questions one warning-sign rule waits on for a sign (see :func:`unchecked_in`)."""
    rule = book.rules[index]
    state = view.rule(rule)
    if state is None or not state[1]:
        return _NONE
    builds_on = all(
        (held := view.finding(t.finding)) is not None and held[0]
        for t in rule.conditions
        if isinstance(t, FindingTest)
    )
    if not builds_on:
        return _NONE
    return frozenset(
        t.question
        for t in rule.conditions
        if isinstance(t, Condition)
        and not t.holds_unanswered
        and view.status(t.question) in (_OPEN, _PENDING)
        and holds_all(book.kb.preconditions.get(t.question, ()), view.answers)
    )


def _from_blank(
    book: Rulebook,
    given: Mapping[str, Any],
    unknown: frozenset[str],
    changed: Iterable[str],
    reached: frozenset[int],
) -> _Answers:
    """The view of these answers made from the blank analysis's (see :class:`Analysis`):
    only the questions ``changed`` and what they gate are judged again, and a finding
    none of whose clauses the answers reach holds as it did."""
    blank = book.blank._view
    view = _Answers(book, given, unknown, base=blank, changed=changed)
    view._findings = dict(blank._findings)
    # A finding's clauses carry its id; other rules carry None.
    view.refound = frozenset(f for i in reached if (f := book.rules[i].finding) is not None)
    for finding in view.refound:
        view._findings.pop(finding, None)
    return view


def unchecked_warning_signs(
    kb: KnowledgeBase,
    answers: Mapping[str, Any],
    unknown: Iterable[str],
    *,
    incremental: bool | None = None,
) -> tuple[str, ...]:
    """Warning-sign questions these answers leave open (see :func:`unchecked_in`).

    "Don't know" is not "no": a question answered unknown is as unchecked as one not
    answered. Only the warning-sign rules are evaluated, so a diagnosis pays little;
    as in :class:`Analysis`, those the answers do not reach are read from the blank
    analysis when that judges fewer (or always, or never, as ``incremental`` says).
    """
    book = Rulebook.for_kb(kb)
    given = dict(answers)
    changed = [q for q in given if q in kb.questions]
    reached = book.reached_by(changed, incremental)
    if reached is None:
        return unchecked_in(book, _Answers(book, given, frozenset()))
    return unchecked_in(book, _from_blank(book, given, frozenset(), changed, reached), reached)


__all__ = [
    "RED_FLAG_TIERS",
    "UNKNOWN",
    "Analysis",
    "RuleInfo",
    "Rulebook",
    "num_text",
    "unchecked_warning_signs",
]
