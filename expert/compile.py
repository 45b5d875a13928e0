"""Compile a knowledge base into an experta ``KnowledgeEngine`` subclass.

Every rule is generated from data; no rule is written by hand:

* one rule per claim: its ``when`` conditions become ``Answer`` patterns, and firing it
  declares what the claim concludes (``Evidence`` for a theory, ``Support`` for advice,
  ``Triage`` for a tier, ``Withhold`` for advice a safety rule forbids);
* one rule per ``contradicted_when`` clause of a theory, declaring ``Contradiction``;
* one rule per piece of advice, ``recommend:ADVICE``: a backing ``Support`` and no
  ``Withhold`` declare a ``Recommendation``.

Salience orders the agenda so safety-net rules fire first, then every other claim, and
recommendations last, after every ``Withhold`` that could cancel them is known.

Those are the rules of the trace. The experta network that runs them is kept small
(see docs/performance.md): rules with equal conditions and salience share one experta
rule that records a firing for each; each distinct condition is one alpha-network
path shared by every rule that tests it; and the recommendation rules are one experta
rule with the advice as a variable. The trace is the same as with one experta rule
per knowledge-base rule, firing for firing.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from knowledge import Condition, KnowledgeBase

from ._experta import (
    ANDFC,
    AS,
    MATCH,
    NOT,
    NOTFC,
    ORFC,
    ChildNode,
    ConflictSetNode,
    Fact,
    KnowledgeEngine,
    P,
    ReteMatcher,
    Rule,
    prepare_rule,
)
from .facts import (
    Answer,
    Contradiction,
    Evidence,
    FactRecord,
    Recommendation,
    Support,
    Triage,
    Withhold,
)
from .trace import Firing

SALIENCE_SAFETY_NET = 300
SALIENCE_TRIAGE = 200
SALIENCE_CLAIM = 100
SALIENCE_RECOMMENDATION = 0


class QuietReteMatcher(ReteMatcher):
    """experta's RETE matcher, collecting activations only from nodes that received some.

    After every firing experta asks each conflict-set node (one per rule) for its new
    activations, although a firing reaches few of them. Here each conflict-set node's
    input also notes that the node was reached, and only those nodes are asked, in
    experta's order: the same activations in the same order, at a cost per firing that
    does not grow with the number of rules.
    """

    def build_network(self) -> None:
        """experta's network, with the inputs of conflict-set nodes watched."""
        super().build_network()
        self._reached: set[Any] = set()
        self._rank = {node: i for i, node in enumerate(self._get_conflict_set_nodes())}
        for node in self._nodes():
            node.children[:] = [self._watched(child) for child in node.children]

    @staticmethod
    def prepare_ruleset(engine: Any) -> set[Any]:
        """Rules ready for the network; a plain conjunction needs no rewriting.

        experta rewrites every rule to disjunctive normal form, copying it several
        times. A rule made only of patterns (and ``NOT`` of a pattern, not first) whose
        fields hold no ``|``, ``&`` or ``~`` constraints is in that form already; it is
        copied once, unbound from the engine as experta's rewriting leaves it. Any other
        rule goes through experta's own preparation.
        """
        return {
            rule.new_conditions(*rule) if _is_plain(rule) else prepare_rule(rule)
            for rule in engine.get_rules()
        }

    def _watched(self, child: Any) -> Any:
        if not isinstance(child.node, ConflictSetNode):
            return child
        reached, node, callback = self._reached, child.node, child.callback

        def activate(token: Any) -> None:
            reached.add(node)
            callback(token)

        return ChildNode(node, activate)

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list, list]:
        """Propagate fact changes through the network; return (added, removed) activations."""
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added: list = []
        removed: list = []
        if self._reached:
            reached = sorted(self._reached, key=self._rank.__getitem__)
            self._reached.clear()
            for node in reached:
                node_added, node_removed = node.get_activations()
                added.extend(node_added)
                removed.extend(node_removed)
        return added, removed

    def reset(self) -> None:
        """Wipe every node's memory, each node once (experta's walks shared nodes again)."""
        for node in self._nodes():
            node._reset()

    @lru_cache(maxsize=1)  # noqa: B019  (one network per matcher, kept as long as it)
    def _nodes(self) -> tuple[Any, ...]:
        found: dict[int, Any] = {}
        pending = [self.root_node]
        while pending:
            node = pending.pop()
            if id(node) not in found:
                found[id(node)] = node
                pending.extend(child.node for child in node.children)
        return tuple(found.values())


def _is_plain(rule: Rule) -> bool:
    """Whether ``rule`` is a non-empty conjunction of plain patterns, not starting with NOT."""
    if not rule or isinstance(rule[0], NOT):
        return False
    for element in rule:
        pattern = element[0] if isinstance(element, NOT) and len(element) == 1 else element
        if not isinstance(pattern, Fact) or any(
            isinstance(v, ANDFC | ORFC | NOTFC) for v in pattern.values()
        ):
            return False
    return True


class CrampEngine(KnowledgeEngine):
    """Base of every compiled engine: keeps the trace of firings."""

    __matcher__ = QuietReteMatcher
    knowledge_base: KnowledgeBase
    answer_class: Mapping[str, type[Answer]]
    _rule_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._deffacts: list[Any] | None = None
        super().__init__()
        self.trace: list[Firing] = []
        self._records: dict[int, FactRecord] = {}

    def get_rules(self) -> list[Rule]:
        """The compiled rules, read from the class rather than by inspecting every member."""
        rules = []
        for name in self._rule_names:
            rule = getattr(self, name)
            rule.ke = self  # as experta's own lookup does
            rules.append(rule)
        return rules

    def get_deffacts(self) -> list[Any]:
        """experta's deffacts of this engine class, found once instead of at every reset."""
        found = self._deffacts
        if found is None:
            found = self._deffacts = super().get_deffacts()
        return found

    def reset(self, **kwargs: Any) -> None:
        """Clear facts, agenda and trace (experta's reset, plus the trace)."""
        super().reset(**kwargs)
        self.trace = []
        self._records = {}

    def answer(self, question: str, value: Any) -> Answer:
        """The fact for a known answer, of the class the compiled patterns test for."""
        return self.answer_class[question](question=question, value=value)

    def record(self, fact: Fact) -> FactRecord:
        """The trace record of a declared fact, made once per fact and run."""
        key = fact["__factid__"]
        found = self._records.get(key)
        if found is None:
            found = self._records[key] = FactRecord.of(fact)
        return found


@dataclass(frozen=True)
class _Conclusion:
    """A fact a rule declares, kept as its class and fields until the rule fires.

    Its trace record is made here, once; it equals ``FactRecord.of`` of the fact.
    """

    fact_class: type[Fact]
    fields: dict[str, Any]
    record: FactRecord

    @classmethod
    def of(cls, fact_class: type[Fact], **fields: Any) -> _Conclusion:
        record = FactRecord(fact_class.__name__, tuple(sorted(fields.items())))
        return cls(fact_class, fields, record)


@dataclass(frozen=True)
class _Member:
    """One rule of the knowledge base inside a compiled group: what each firing records."""

    rule: str
    claim: str | None
    conclusions: tuple[_Conclusion, ...]
    records: tuple[FactRecord, ...]

    @classmethod
    def of(cls, rule: str, claim: str | None, conclusions: Iterable[_Conclusion]) -> _Member:
        conclusions = tuple(conclusions)
        return cls(rule, claim, conclusions, tuple(c.record for c in conclusions))


def _group_action(
    index: int, salience: int, binds: tuple[str, ...], members: tuple[_Member, ...]
) -> Callable:
    """The right-hand side of one group: per member, declare its facts and record a firing.

    Every member of a group has the same conditions, so they share the matched facts.
    """

    def fire(engine: CrampEngine, **context: Any) -> None:
        matched = tuple(engine.record(context[name]) for name in binds)
        for member in members:
            for conclusion in member.conclusions:
                engine.declare(conclusion.fact_class(**conclusion.fields))
            engine.trace.append(
                Firing(member.rule, salience, member.claim, matched, member.records)
            )

    fire.__name__ = f"group_{index}"
    fire.__signature__ = _ACTION_SIGNATURE  # type: ignore[attr-defined]
    return fire


def _action_signature(engine: CrampEngine, **context: Any) -> None:
    """The signature of every rule action, given to experta ready-made.

    experta inspects a rule's action each time it copies the rule, several times per
    rule while building its network; a ``__signature__`` makes that a lookup.
    """


_ACTION_SIGNATURE = inspect.signature(_action_signature)


def answer_classes(kb: KnowledgeBase) -> dict[str, type[Answer]]:
    """The ``Answer`` class of each question: one subclass per block of about 2√n questions.

    experta's alpha network tries every child of a node in turn. With one answer class,
    each answer would be tested against every question that a rule names; with k
    classes, tested first, against k classes and then n/k questions. Every derived fact
    is tried against the k classes too, and a run derives about three facts per answer,
    which puts the least work near k = √n/2. The classes are all named ``Answer``, so
    the trace records answers exactly as with one class.
    """
    questions = list(kb.questions)
    size = max(1, 2 * math.isqrt(len(questions)))
    blocks = [
        type("Answer", (Answer,), {"__module__": Answer.__module__})
        for _ in range(0, len(questions), size)
    ]
    return {q: blocks[i // size] for i, q in enumerate(questions)}


class _PatternCache:
    """One pattern, and one binding name, per distinct condition across all rules.

    experta shares an alpha-network path between patterns that are equal, binding name
    included; naming the binding after the condition rather than its position in a
    rule makes every rule testing the same condition reuse one path to the same end.
    """

    def __init__(self, answer_class: Mapping[str, type[Answer]]) -> None:
        self._answer_class = answer_class
        self._patterns: dict[Condition, tuple[str, Fact]] = {}

    def patterns(self, conditions: Iterable[Condition]) -> tuple[tuple[str, ...], list[Fact]]:
        """The binding names and patterns for ``conditions``, in their order."""
        binds, patterns = [], []
        for cond in conditions:
            if cond not in self._patterns:
                name = f"c{len(self._patterns)}"
                fact_class = self._answer_class[cond.question]
                pattern = getattr(AS, name) << fact_class(
                    question=cond.question, value=P(cond.holds)
                )
                self._patterns[cond] = (name, pattern)
            name, pattern = self._patterns[cond]
            binds.append(name)
            patterns.append(pattern)
        return tuple(binds), patterns


def _claim_salience(kb: KnowledgeBase, claim_id: str) -> int:
    claim = kb.claims[claim_id]
    if kb.source_of(claim_id).kind == "public_health":
        return SALIENCE_SAFETY_NET
    if claim.triage is not None:
        return SALIENCE_TRIAGE
    return SALIENCE_CLAIM


def _claim_conclusions(kb: KnowledgeBase, claim_id: str) -> list[_Conclusion]:
    claim = kb.claims[claim_id]
    facts: list[_Conclusion] = []
    if claim.theory is not None:
        facts.append(
            _Conclusion.of(Evidence, theory=claim.theory, claim=claim.id, stance=claim.stance)
        )
    if claim.advice is not None:
        facts.append(
            _Conclusion.of(Support, advice=claim.advice, claim=claim.id, stance=claim.stance)
        )
    if claim.triage is not None:
        facts.append(_Conclusion.of(Triage, tier=claim.triage, claim=claim.id))
    facts.extend(_Conclusion.of(Withhold, advice=a, claim=claim.id) for a in claim.withholds)
    return facts


def _backs(stance: str) -> bool:
    """Whether a Support fact backs its advice (a disputing claim does not)."""
    return stance != "disputes"


def _recommend_action(kb: KnowledgeBase) -> Callable:
    """The right-hand side of the one recommendation rule, for whichever advice matched."""
    records = {a: _Conclusion.of(Recommendation, advice=a).record for a in kb.advice}

    def recommend(engine: CrampEngine, support: Fact, advice: str) -> None:
        engine.declare(Recommendation(advice=advice))
        engine.trace.append(
            Firing(
                f"recommend:{advice}",
                SALIENCE_RECOMMENDATION,
                None,
                (engine.record(support),),
                (records[advice],),
            )
        )

    recommend.__signature__ = inspect.signature(recommend)  # type: ignore[attr-defined]
    return recommend


def compile_engine(kb: KnowledgeBase) -> type[CrampEngine]:
    """Build the engine class for ``kb`` (cached per knowledge base object).

    Knowledge-base rules with the same conditions and salience become one experta rule
    whose action records a firing for each of them, so the trace is exactly that of one
    rule per claim with a smaller network: fewer join nodes, fewer conflict-set nodes
    for experta to poll after every firing, fewer activations.
    """
    cached = kb._cache.get("engine_class")
    if cached is not None:
        return cached
    groups: dict[tuple[tuple[Condition, ...], int], list[_Member]] = {}
    for claim_id in kb.claims:
        key = (tuple(kb.conditions[claim_id]), _claim_salience(kb, claim_id))
        member = _Member.of(f"claim:{claim_id}", claim_id, _claim_conclusions(kb, claim_id))
        groups.setdefault(key, []).append(member)
    for theory_id, clauses in kb.contradictions.items():
        for index, (conditions, _because) in enumerate(clauses):
            member = _Member.of(
                f"contradiction:{theory_id}:{index}",
                None,
                [_Conclusion.of(Contradiction, theory=theory_id, clause=index)],
            )
            groups.setdefault((tuple(conditions), SALIENCE_CLAIM), []).append(member)

    answer_class = answer_classes(kb)
    cache = _PatternCache(answer_class)
    namespace: dict[str, Any] = {"knowledge_base": kb, "answer_class": answer_class}
    for index, ((conditions, salience), members) in enumerate(groups.items()):
        binds, patterns = cache.patterns(conditions)
        action = _group_action(index, salience, binds, tuple(members))
        namespace[action.__name__] = Rule(*patterns, salience=salience)(action)

    # One rule for every piece of advice: the advice is a variable, so a Support or
    # Withhold fact passes one alpha test instead of one per piece of advice.
    backing = AS.support << Support(advice=MATCH.advice, stance=P(_backs))
    namespace["recommend"] = Rule(
        backing, NOT(Withhold(advice=MATCH.advice)), salience=SALIENCE_RECOMMENDATION
    )(_recommend_action(kb))

    namespace["_rule_names"] = tuple(n for n, v in namespace.items() if isinstance(v, Rule))
    engine_class = type("CompiledCrampEngine", (CrampEngine,), namespace)
    kb._cache["engine_class"] = engine_class
    return engine_class
