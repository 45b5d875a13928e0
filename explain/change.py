"""The smallest change of answers that makes a conclusion fire, checked by the engine.

Any change that works must make at least one candidate rule fire (a claim, or a clause
of a finding), so it must change every answer that rule's tests currently fail. A test
that a finding holds is met through one of the finding's clauses, so each candidate's
tests are first expanded into conjunctions of answer conditions
(:func:`knowledge.satisfy.alternatives`). An ``unless`` test already holds while its
question is unanswered or "don't know"; only an answer that rules it out is changed.
Where a question's ``ask_if`` would then not hold, the answers its precondition needs
are changed too, since the engine sets aside an answer to a question that does not
apply. Proposals are built that way and tried in order of how many answers they
change, fewest first; each is verified by running the engine on the changed profile.
When a proposal makes the rule fire but the conclusion still does not (a finding
withholds the advice), it is extended by the fewest changes that stop that finding
holding, and tried again. The first verified proposal is the answer.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import count
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from expert.engine import Run
    from knowledge import Condition, KnowledgeBase, Profile
    from knowledge.conditions import Test
    from knowledge.schema import Question

#: Most answers a proposal may change, and most engine runs one search may make.
MAX_CHANGES = 4
MAX_RUNS = 250
#: Cap on proposals built for one claim (choice questions multiply).
MAX_OPTIONS = 64

Changes = dict[str, Any]


@dataclass(frozen=True)
class Found:
    """A verified change: the new answers, and the run that shows the conclusion fires."""

    changes: Mapping[str, Any]
    run: Run
    runs: int


@dataclass(frozen=True)
class NotFound:
    """No change of at most ``MAX_CHANGES`` answers made it fire within ``runs`` engine runs."""

    runs: int
    exhausted: bool


def smallest_change(
    kb: KnowledgeBase,
    profile: Profile,
    candidates: Iterable[str],
    target: Callable[[Run], bool],
    *,
    blockers: Iterable[str] = (),
    max_changes: int = MAX_CHANGES,
    max_runs: int = MAX_RUNS,
) -> Found | NotFound:
    """Search for the fewest answers to change so that ``target`` holds for the run.

    ``candidates`` are the rules that could produce the conclusion: claim ids, or
    ``finding:<id>`` for a finding (any of its clauses); ``blockers`` the findings that
    can stop it (by withholding the advice).
    """
    from expert.engine import Reasoner
    from knowledge.satisfy import alternatives

    reasoner = Reasoner.for_kb(kb)
    answers = dict(profile.answers)
    blockers = tuple(blockers)
    queue: list[tuple[int, str, int, Changes]] = []
    seen: set[str] = set()
    tiebreak = count()

    def push(changes: Changes) -> None:
        key = _key(changes)
        if key not in seen and len(changes) <= max_changes:
            seen.add(key)
            heapq.heappush(queue, (len(changes), key, next(tiebreak), changes))

    for rule in sorted(candidates):
        for alternative in alternatives(kb, rule_tests(kb, rule)):
            for option in satisfy(kb, alternative, answers):
                push(option)
    runs = 0
    while queue and runs < max_runs:
        _, _, _, changes = heapq.heappop(queue)
        changed = apply_changes(profile, changes)
        run = reasoner.run(changed)
        runs += 1
        if target(run):
            return Found(dict(sorted(changes.items())), run, runs)
        for finding in blockers:
            if finding in run.findings:
                for option in unsatisfy_finding(kb, finding, dict(changed.answers), changes):
                    push({**changes, **option})
    return NotFound(runs, exhausted=not queue)


def rule_tests(kb: KnowledgeBase, rule: str) -> tuple[Test, ...]:
    """The tests of a candidate rule: a claim's conditions, or ``finding:<id>`` itself."""
    from knowledge.conditions import FindingTest

    if rule.startswith("finding:"):
        return (FindingTest(rule.removeprefix("finding:")),)
    return tuple(kb.conditions[rule])


def apply_changes(profile: Profile, changes: Mapping[str, Any]) -> Profile:
    """The profile with some answers replaced (a changed "don't know" becomes known)."""
    return replace(
        profile,
        answers={**profile.answers, **changes},
        unknown=frozenset(profile.unknown - set(changes)),
    )


def satisfy(
    kb: KnowledgeBase, conditions: Iterable[Condition], answers: Mapping[str, Any], depth: int = 0
) -> list[Changes]:
    """Minimal sets of changed answers under which every condition holds and is kept.

    Where a question the conditions test would be set aside (its ``ask_if`` fails), the
    changes its preconditions need are added, and theirs in turn: a depth-first walk up
    the ``ask_if`` chain, kept on an explicit stack so no chain is too deep for it.
    """
    # Each entry: conditions to meet, the answers they are met on, one way of meeting
    # them (option), how far up an ask_if chain this is, and the options of the entries
    # below it, which every change found here must agree with and be added to.
    conditions = tuple(conditions)
    stack: list[tuple[tuple[Condition, ...], Mapping[str, Any], Changes, int, tuple[Changes, ...]]]
    stack = [
        (conditions, answers, option, depth, ())
        for option in reversed(_options(kb, conditions, answers))
    ]
    out: list[Changes] = []
    while stack:
        conds, given, option, level, below = stack.pop()
        applied = {**given, **option}
        kept = kb.applicable(applied)
        # An ``unless`` test holds whether or not its question applies.
        missing = sorted(
            {c.question for c in conds if c.question not in kept and not c.holds_unanswered}
        )
        if not missing:
            found: Changes = option
            for outer in reversed(below):
                if not all(outer.get(q, v) == v for q, v in found.items()):
                    break
                found = {**outer, **found}
            else:
                out.append(found)
            continue
        if level >= len(kb.questions):  # preconditions are acyclic; this only guards the loop
            continue
        needed = tuple(pc for q in missing for pc in kb.preconditions.get(q, ()))
        stack.extend(
            (needed, applied, extra, level + 1, (*below, option))
            for extra in reversed(_options(kb, needed, applied))
        )
    return out


def _options(
    kb: KnowledgeBase, conditions: tuple[Condition, ...], answers: Mapping[str, Any]
) -> list[Changes]:
    """Ways to change answers so every condition holds (not yet checked to be kept)."""
    options: list[Changes] = [{}]
    for cond in conditions:
        q = cond.question
        if q in answers and cond.holds(answers[q]):
            continue
        if q not in answers and cond.holds_unanswered:
            continue
        values = satisfying_values(kb.questions[q], cond, answers.get(q))
        options = [{**o, q: v} for o in options for v in values][:MAX_OPTIONS]
    return options


def unsatisfy(
    kb: KnowledgeBase, conditions: Iterable[Condition], answers: Mapping[str, Any], keep: Changes
) -> list[Changes]:
    """Single changed answers that make one of the conditions fail (not touching ``keep``).

    A positive test on an unanswered question fails already; an ``unless`` test on one
    fails once the question is answered with a value that rules it out.
    """
    out: list[Changes] = []
    for cond in conditions:
        q = cond.question
        if q in keep or (q not in answers and not cond.holds_unanswered):
            continue
        out.extend({q: v} for v in failing_values(kb.questions[q], cond, answers.get(q)))
    return out


def unsatisfy_finding(
    kb: KnowledgeBase, finding: str, answers: Mapping[str, Any], keep: Changes
) -> list[Changes]:
    """The fewest changed answers (not touching ``keep``) under which ``finding`` fails.

    Every way the finding holds now (each of its clauses, expanded into answer
    conditions) must be broken; one changed answer may break several.
    """
    from knowledge.conditions import FindingTest, holds_all
    from knowledge.satisfy import alternatives

    ways = alternatives(kb, (FindingTest(finding),))
    options: list[Changes] = [{}]
    for way in ways:
        grown: list[Changes] = []
        for option in options:
            applied = kb.applicable({**answers, **option})
            if not holds_all(way, applied):
                grown.append(option)
                continue
            for extra in unsatisfy(kb, way, {**answers, **option}, {**keep, **option}):
                grown.append({**option, **extra})
        seen: set[str] = set()
        options = []
        for option in sorted(grown, key=lambda o: (len(o), _key(o))):
            if _key(option) not in seen:
                seen.add(_key(option))
                options.append(option)
        options = options[:MAX_OPTIONS]
    return [o for o in options if o]


def satisfying_values(question: Question, cond: Condition, current: Any) -> list[Any]:
    """Answers to ``question`` that pass ``cond``, as close to ``current`` as the test allows."""
    if question.type == "multi":
        have = set(current) if isinstance(current, tuple) else set()
        if cond.op in ("none", "unless"):
            return [tuple(sorted(have - cond.values))]
        if cond.op == "all":
            return [tuple(sorted(have | cond.values))]
        return [tuple(sorted(have | {v})) for v in sorted(cond.values)]
    if question.type == "number":
        ends = [float(v) for v in cond.satisfying(question)]
        if isinstance(current, float):
            ends.sort(key=lambda v: (abs(v - current), v))
        return ends[:1]
    return sorted(cond.satisfying(question), key=str)


def failing_values(question: Question, cond: Condition, current: Any) -> list[Any]:
    """Answers to ``question`` that fail ``cond``, as close to ``current`` as possible."""
    if question.type == "multi":
        have = set(current) if isinstance(current, tuple) else set()
        if cond.op == "any":
            return [tuple(sorted(have - cond.values))]
        if cond.op == "all":
            return [tuple(sorted(have - {v})) for v in sorted(cond.values)]
        return [tuple(sorted(have | {v})) for v in sorted(cond.values)]
    if question.type == "number":
        assert question.min is not None and question.max is not None, "set on number questions"
        outside = []
        if cond.low is not None and cond.low > question.min:
            outside.append(float(question.min))
        if cond.high is not None and cond.high < question.max:
            outside.append(float(question.max))
        return outside[:1]
    return sorted((v for v in question.values if not cond.holds(v)), key=str)


def _key(changes: Changes) -> str:
    return repr(sorted(changes.items(), key=lambda kv: kv[0]))
