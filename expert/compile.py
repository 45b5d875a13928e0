"""Compile a knowledge base into an experta ``KnowledgeEngine`` subclass.

Every rule comes from :func:`expert.rules.rule_specs`, the knowledge base's one rule
list; none is written by hand. Each specification becomes experta patterns:

* a condition on an answer tests an ``Answer`` fact; an ``unless`` condition is a
  ``NOT`` of any answer that would rule it out;
* a finding test is a ``Finding`` fact; other tests on derived facts (a ``Support`` for
  the advice, a ``Triage`` tier) are patterns on those facts, and what a rule must not
  see (a ``Withhold``, a more urgent tier) is a ``NOT``;
* firing declares the specification's facts and records a :class:`~expert.trace.Firing`.

Salience comes from the specification's stratum, so the agenda runs strata in order
and every ``NOT`` is decided after all the rules that could declare what it excludes.

Those are the rules of the trace. The experta network that runs them is kept small
(see docs/performance.md): rules with equal tests and salience share one experta rule
that records a firing for each; each distinct test is one alpha-network path shared by
every rule that uses it; and the recommendation rules are one experta rule per set of
tags that could withhold the advice, the advice tested by an indexed set. The trace is
the same as with one experta rule per specification, firing for firing.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any

from knowledge import KnowledgeBase
from knowledge.conditions import Condition, FindingTest

from ._experta import (
    ANDFC,
    AS,
    NOT,
    NOTFC,
    ORFC,
    ChildNode,
    ConflictSetNode,
    Fact,
    FactList,
    KnowledgeEngine,
    NoMemory,
    P,
    ReteMatcher,
    Rule,
    built_fact,
    freeze,
    prepare_rule,
    watchers,
)
from .alpha_index import NoneOf, OneOf, index_alpha_network
from .facts import FACT_TYPES, Answer, FactRecord, Finding, Given, Recommendation
from .network_build import appending_children, build_alpha_part
from .rete_nodes import (
    Bus,
    ConflictSet,
    DepthOrder,
    FeatureTester,
    Join,
    Negation,
    build_beta_part,
)
from .rules import RuleSpec, rule_specs
from .trace import Firing


class QuietReteMatcher(ReteMatcher):
    """experta's RETE matcher, collecting activations only from nodes that received some.

    After every firing experta asks each conflict-set node (one per rule) for its new
    activations, although a firing reaches few of them. Here each conflict-set node
    notes that it was reached (the fast ones themselves, experta's through a watched
    input), and only those nodes are asked, in experta's order: the same activations in
    the same order, at a cost per firing that does not grow with the number of rules.
    Wide fan-outs in the alpha network get dispatch tables (:mod:`expert.alpha_index`),
    so a declared fact visits only the tests it can pass.
    """

    #: Whether to put dispatch tables in the alpha network (off only to compare).
    index_alpha: bool = True

    #: Whether to build with the faster nodes of :mod:`expert.rete_nodes` (off only to
    #: compare: experta's own node classes, wired by experta).
    fast_nodes: bool = True

    #: experta's alpha-network builder, made linear (see :mod:`expert.network_build`).
    build_alpha_part = staticmethod(build_alpha_part)

    def build_network(self) -> None:
        """experta's network, with the inputs of conflict-set nodes watched."""
        with appending_children():
            if self.fast_nodes:
                self.root_node = Bus()
                ruleset = self.prepare_ruleset(self.engine)
                terminals = build_alpha_part(ruleset, self.root_node, FeatureTester)
                build_beta_part(ruleset, terminals, self.root_node)
            else:
                super().build_network()
        self._reached: set[Any] = set()
        #: Conflict-set nodes reached since the last reset (see :meth:`reset`).
        self._seen: set[Any] = set()
        self._rank = {node: i for i, node in enumerate(conflict_set_nodes(self.root_node))}
        for node in self._nodes():
            node.children[:] = [self._watched(child) for child in node.children]
        if self.index_alpha:
            index_alpha_network(self.root_node, self._nodes())
        # The fast two-input nodes note here that they were reached (see :meth:`reset`).
        self._touched: set[Any] = set()
        for node in self._nodes():
            if isinstance(node, Join | Negation):
                node.touched = self._touched
        #: Nodes with a memory that do not note being reached: wiped at every reset.
        self._always = tuple(n for n in self._nodes() if not _tracked(n))

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
        if type(child.node) is ConflictSet and child.callback == child.node.activate:
            child.node.reached = self._reached  # it notes itself, without a wrapper's call
            return child
        return ChildNode(child.node, _Watch(self._reached, child.node, child.callback))

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list, list]:
        """Propagate fact changes through the network; return (added, removed) activations."""
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added: list = []
        removed: list = []
        if self._reached:
            reached = (
                sorted(self._reached, key=self._rank.__getitem__)
                if len(self._reached) > 1
                else list(self._reached)
            )
            self._seen.update(reached)
            self._reached.clear()
            for node in reached:
                node_added, node_removed = node.get_activations()
                added.extend(node_added)
                removed.extend(node_removed)
        return added, removed

    def reset(self) -> None:
        """Wipe the memory of every node a run has reached, each once.

        experta wipes every node, walking shared ones again through each parent: a cost
        that grows with the rules, not with what a run did. The fast two-input nodes note
        that they were reached, conflict-set nodes are noted by their watched inputs, and
        nodes without memory have nothing to wipe; any other node (experta's own, for a
        rule wired by experta) is wiped every time. A network is built with its memories
        empty, as a wipe leaves them.
        """
        for node in self._always:
            node._reset()
        for node in self._touched:
            node._reset()
        for node in self._seen:
            node._reset()
        self._touched.clear()
        self._seen.clear()

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


def _tracked(node: Any) -> bool:
    """Whether :meth:`QuietReteMatcher.reset` knows when ``node`` holds something: it has
    no memory, or notes being reached (fast two-input nodes, watched conflict sets)."""
    return isinstance(node, NoMemory | Join | Negation | ConflictSetNode)


class _Watch:
    """A conflict-set node's input that notes the node was reached (see the matcher).

    A class rather than a closure, so a compiled engine can be kept in an image.
    """

    __slots__ = ("callback", "node", "reached")

    def __init__(self, reached: set[Any], node: Any, callback: Callable[[Any], None]) -> None:
        self.reached, self.node, self.callback = reached, node, callback

    def __call__(self, token: Any) -> None:
        self.reached.add(self.node)
        self.callback(token)


def conflict_set_nodes(root: Any) -> list[Any]:
    """The conflict-set nodes below ``root`` in experta's order, each node visited once.

    experta lists them depth first, keeping each at its first visit, and walks a node
    again through each of its parents (checking the list each time); the first visits
    come in the same order when a node already walked is skipped.
    """
    found: list[Any] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ConflictSetNode):
            found.append(node)
        stack.extend(child.node for child in reversed(node.children))
    return found


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
    __strategy__ = DepthOrder
    knowledge_base: KnowledgeBase
    answer_class: Mapping[str, type[Answer]]
    _rule_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._deffacts: list[Any] | None = None
        super().__init__()
        self.trace: list[Firing] = []
        self._records: dict[int, FactRecord] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Its state as when built, for an image (see :mod:`expert.persist`)."""
        state = dict(self.__dict__)
        state.update(_deffacts=None, trace=[], _records={})
        return state

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

    def run(self, steps: float = math.inf) -> None:
        """Fire activations, as experta's ``run`` does, writing the log line of a firing
        only when someone watches: experta formats every fact of every firing for a log
        line that, unwatched, is thrown away."""
        self.running = True
        execution = 0
        rules = watchers.RULES
        while steps > 0 and self.running:
            added, removed = self.get_activations()
            self.strategy.update_agenda(self.agenda, added, removed)
            if watchers.worth("AGENDA", "DEBUG"):
                for index, waiting in enumerate(self.agenda.activations):
                    watchers.AGENDA.debug(
                        "%d: %r %r",
                        index,
                        waiting.rule.__name__,
                        ", ".join(str(f) for f in waiting.facts),
                    )
            activation = self.agenda.get_next()
            if activation is None:
                break
            steps -= 1
            execution += 1
            if rules.isEnabledFor(logging.INFO):
                rules.info(
                    "FIRE %s %s: %s",
                    execution,
                    activation.rule.__name__,
                    ", ".join(str(f) for f in activation.facts),
                )
            activation.rule(
                self, **{k: v for k, v in activation.context.items() if not k.startswith("__")}
            )
        self.running = False

    def answer(self, question: str, value: Any) -> Answer:
        """The fact for a known answer, of the class the compiled patterns test for."""
        return self.answer_class[question](question=question, value=value)

    def declare_derived(self, conclusion: _Conclusion) -> None:
        """Declare a fact a compiled rule made, with its trace record made at compile time.

        experta's ``declare`` checks every fact for field constraints and nested field
        names, and its fact list validates the fields and works out the fact's identity
        (its class and fields, as a frozenset) each time: a compiled rule's facts were
        checked, and their identity made, when it was compiled. A fact already declared
        is not made at all. What the fact list records is what its ``declare`` would.
        """
        facts = self.facts
        fact_id = conclusion.fact_id
        if fact_id is None:
            declared = facts.declare(built_fact(conclusion.fact_class, conclusion.frozen))
            if declared is not None:
                self._records[declared["__factid__"]] = conclusion.record
        elif facts.duplication or fact_id not in facts.reference_counter:
            fact = built_fact(conclusion.fact_class, conclusion.frozen)
            index = facts.last_index
            dict.__setitem__(fact, "__factid__", index)
            # experta's hash of a fact, that of a frozenset of its items, made here from
            # the fields' items frozen once (experta makes it when the network meets it).
            fact._hash = hash(conclusion.items | {("__factid__", index)})
            facts[index] = fact
            facts.last_index = index + 1
            facts.added.append(fact)
            facts.reference_counter[fact_id] += 1
            watchers.FACTS.info(" ==> %s: %r", fact, fact)
            self._records[index] = conclusion.record
        if not self.running:  # as experta's declare: outside a run, update the agenda now
            added, removed = self.get_activations()
            self.strategy.update_agenda(self.agenda, added, removed)

    def record(self, fact: Fact) -> FactRecord:
        """The trace record of a declared fact, made once per fact and run."""
        key = fact["__factid__"]
        found = self._records.get(key)
        if found is None:
            found = self._records[key] = FactRecord.of(fact)
        return found

    def fired(
        self,
        spec_name: str,
        salience: int,
        claim: str | None,
        matched: tuple[FactRecord, ...],
        declared: tuple[FactRecord, ...],
        absent: tuple[str, ...],
    ) -> None:
        """Record one firing, numbered in the order the agenda really ran it."""
        self.trace.append(
            Firing(spec_name, salience, claim, matched, declared, len(self.trace), absent)
        )


@dataclass(frozen=True)
class _Conclusion:
    """A fact a rule declares, kept as its class and fields until the rule fires.

    Its trace record is made here, once; it equals ``FactRecord.of`` of the fact. So
    are its fields, frozen as experta would freeze them when the fact is made.
    """

    fact_class: type[Fact]
    record: FactRecord
    frozen: dict[str, Any]

    @classmethod
    def of(cls, fact_class: type[Fact], **fields: Any) -> _Conclusion:
        record = FactRecord(fact_class.__name__, tuple(sorted(fields.items())))
        frozen = {k: v if type(v) in _PLAIN else freeze(v) for k, v in fields.items()}
        built_fact(fact_class, frozen).validate()  # experta's fact list would, each time
        return cls(fact_class, record, frozen)

    @cached_property
    def fact_id(self) -> frozenset[Any] | None:
        """The fact's identity in experta's fact list, worked out when first declared
        (None if its fields cannot be hashed: it is then declared through experta's
        checks). Not kept in an image: most conclusions never fire in a given run."""
        try:
            return FactList._get_fact_id(built_fact(self.fact_class, self.frozen))
        except TypeError:
            return None

    @cached_property
    def items(self) -> frozenset[tuple[str, Any]]:
        """The fact's fields as the items experta hashes a fact by (its id aside)."""
        return frozenset(self.frozen.items())

    def declare(self, engine: CrampEngine) -> None:
        """Declare the fact in ``engine``."""
        engine.declare_derived(self)


@dataclass(frozen=True)
class _Member:
    """One rule specification inside a compiled group: what each firing records."""

    rule: str
    claim: str | None
    conclusions: tuple[_Conclusion, ...]
    records: tuple[FactRecord, ...]

    @classmethod
    def of(cls, spec: RuleSpec, made: dict[Any, _Conclusion] | None = None) -> _Member:
        """The member for ``spec``; ``made`` shares equal conclusions between members."""
        made = {} if made is None else made
        conclusions = []
        for d in spec.declares:
            # A finding's withholding declares the same facts in each of its clauses.
            key: tuple[str, Any] | None = (d.type, d.fields)
            try:
                found = made.get(key)
            except TypeError:  # a field that is a list: made for this member alone
                key, found = None, None
            if found is None:
                found = _Conclusion.of(FACT_TYPES[d.type], **dict(d.fields))
                if key is not None:
                    made[key] = found
            conclusions.append(found)
        return cls(spec.name, spec.claim, tuple(conclusions), tuple(c.record for c in conclusions))


#: Field values experta's ``freeze`` returns as they are (the rest it may convert).
_PLAIN = frozenset({str, int, float, bool, type(None)})


class _Action:
    """A rule's right-hand side: an object, not a closure, so it can be kept in an image.

    experta binds an action's arguments by ``inspect.signature()``, which honours a
    ``__signature__``; it copies the action's name onto the rule (and logs it), and
    would copy an instance dictionary onto it too: actions keep theirs in slots.
    """

    __slots__ = ("name",)
    name: str
    __signature__: inspect.Signature

    # The name experta copies onto the rule, read as a function's would be.
    @property
    def __name__(self) -> str:
        return self.name


class _GroupAction(_Action):
    """The right-hand side of one group: per member, declare its facts and record a firing.

    Every member of a group has the same tests, so they share the matched facts.
    """

    __slots__ = ("absent", "binds", "members", "salience")

    def __init__(
        self,
        index: int,
        salience: int,
        binds: tuple[str, ...],
        absent: tuple[str, ...],
        members: tuple[_Member, ...],
    ) -> None:
        self.name = f"group_{index}"
        self.salience, self.binds, self.absent, self.members = salience, binds, absent, members

    def __call__(self, engine: CrampEngine, **context: Any) -> None:
        matched = tuple(engine.record(context[name]) for name in self.binds)
        for member in self.members:
            for conclusion in member.conclusions:
                conclusion.declare(engine)
            engine.fired(
                member.rule, self.salience, member.claim, matched, member.records, self.absent
            )


class _GateAction(_Action):
    """A gate: the given answer becomes an ``Answer`` once the ``ask_if`` tests hold."""

    __slots__ = ("answer_class", "binds", "question", "rule", "salience")

    def __init__(self, spec: RuleSpec, binds: tuple[str, ...], answer_class: type[Answer]):
        assert spec.gated is not None
        self.name = f"gate_{spec.gated}"
        self.question, self.rule, self.salience = spec.gated, spec.name, spec.salience
        self.binds, self.answer_class = binds, answer_class

    def __call__(self, engine: CrampEngine, **context: Any) -> None:
        given = context["given"]
        fact = self.answer_class(question=self.question, value=given["value"])
        engine.declare(fact)
        matched = (engine.record(given), *(engine.record(context[name]) for name in self.binds))
        declared = (FactRecord("Answer", (("question", self.question), ("value", given["value"]))),)
        engine.fired(self.rule, self.salience, None, matched, declared, ())


def _action_signature(engine: CrampEngine, **context: Any) -> None:
    """The signature of every rule action, given to experta ready-made.

    experta inspects a rule's action each time it copies the rule, several times per
    rule while building its network; a ``__signature__`` makes that a lookup.
    """


_ACTION_SIGNATURE = inspect.signature(_action_signature)
_GroupAction.__signature__ = _GateAction.__signature__ = _ACTION_SIGNATURE


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
    """One pattern, and one binding name, per distinct test across all rules.

    experta shares an alpha-network path between patterns that are equal, binding name
    included; naming the binding after the test rather than its position in a rule
    makes every rule using the same test reuse one path to the same end.
    """

    def __init__(self, answer_class: Mapping[str, type[Answer]]) -> None:
        self._answer_class = answer_class
        self._patterns: dict[Any, tuple[str | None, Any]] = {}

    def _make(self, key: Any) -> tuple[str | None, Any]:
        kind, test = key
        name = f"c{len(self._patterns)}"
        if kind == "finding":
            return name, getattr(AS, name) << Finding(id=test.finding)
        if kind == "answer":
            fact_class = self._answer_class[test.question]
            return name, getattr(AS, name) << fact_class(
                question=test.question, value=P(test.holds)
            )
        if kind == "unless":
            fact_class = self._answer_class[test.question]
            return None, NOT(fact_class(question=test.question, value=P(test.violated_by)))
        fact_class = FACT_TYPES[test.type]
        fields = {f: P(_matches_field(values, negate)) for f, values, negate in test.fields}
        if kind == "requires":
            return name, getattr(AS, name) << fact_class(**fields)
        return None, NOT(fact_class(**fields))

    def pattern(self, kind: str, test: Any) -> tuple[str | None, Any]:
        """(binding name or None for a NOT, pattern) for one test."""
        key = (kind, test)
        if key not in self._patterns:
            self._patterns[key] = self._make(key)
        return self._patterns[key]

    def patterns(self, spec: RuleSpec) -> tuple[tuple[str, ...], list[Any]]:
        """The binding names and patterns for a specification: positive ones first."""
        positive: list[tuple[str | None, Any]] = []
        negative: list[tuple[str | None, Any]] = []
        for test in spec.tests:
            if isinstance(test, FindingTest):
                positive.append(self.pattern("finding", test))
            elif test.holds_unanswered:
                negative.append(self.pattern("unless", test))
            else:
                positive.append(self.pattern("answer", test))
        positive += [self.pattern("requires", t) for t in spec.requires]
        negative += [self.pattern("excludes", t) for t in spec.excludes]
        binds = tuple(name for name, _ in positive if name is not None)
        return binds, [p for _, p in (*positive, *negative)]


@cache
def _matches_field(values: frozenset[Any], negate: bool) -> Callable[[Any], bool]:
    # One predicate object per test: experta shares an alpha node between checks only
    # when their predicate is the same object, so equal tests must not get new objects.
    return NoneOf(values) if negate else OneOf(values)  # OneOf: indexed by dispatch tables


def _absent_words(spec: RuleSpec) -> tuple[str, ...]:
    """What a rule needed not to be there, in words (for the trace and explanations)."""
    words = [t.describe() for t in spec.tests if isinstance(t, Condition) and t.holds_unanswered]
    words += [t.words for t in spec.excludes if t.words]
    return tuple(words)


def compile_engine(kb: KnowledgeBase) -> type[CrampEngine]:
    """Build the engine class for ``kb`` (cached per knowledge base object).

    Specifications with the same tests and salience become one experta rule whose
    action records a firing for each of them, so the trace is exactly that of one rule
    per specification with a smaller network: fewer join nodes, fewer conflict-set
    nodes for experta to poll after every firing, fewer activations.
    """
    cached = kb._cache.get("engine_class")
    if cached is not None:
        return cached
    specs = rule_specs(kb)
    answer_class = answer_classes(kb)
    cache = _PatternCache(answer_class)
    namespace: dict[str, Any] = {"knowledge_base": kb, "answer_class": answer_class}

    groups: dict[tuple[Any, ...], list[RuleSpec]] = {}
    for spec in specs:
        if spec.kind == "gate":
            binds, patterns = cache.patterns(spec)
            given = AS.given << Given(question=spec.gated, value=P(_any_value))
            gate = _GateAction(spec, binds, answer_class[spec.gated])
            namespace[gate.__name__] = Rule(given, *patterns, salience=spec.salience)(gate)
        elif spec.kind != "recommend":
            key = (spec.tests, spec.requires, spec.excludes, spec.salience)
            groups.setdefault(key, []).append(spec)
    made: dict[Any, _Conclusion] = {}
    for index, members in enumerate(groups.values()):
        first = members[0]
        binds, patterns = cache.patterns(first)
        action = _GroupAction(
            index,
            first.salience,
            binds,
            _absent_words(first),
            tuple(_Member.of(m, made) for m in members),
        )
        namespace[action.__name__] = Rule(*patterns, salience=first.salience)(action)

    # The recommendations: one experta rule per set of tags that can withhold advice,
    # testing the advice as one of those carrying exactly that set. A Support fact
    # passes one alpha test (indexed), and a Withhold fact one per set that names its
    # tag, however many pieces of advice there are. They run in the latest stratum of
    # any recommendation, after every Withhold is known.
    recommend = specs.of_kind("recommend")
    if recommend:
        salience = min(spec.salience for spec in recommend)
        recommending = _Recommend(recommend, salience)
        by_tags: dict[frozenset[str], list[str]] = {}
        for spec in recommend:
            held_by = frozenset().union(
                *(values for t in spec.excludes for _, values, _ in t.fields)
            )
            by_tags.setdefault(held_by, []).append(spec.item)
        for index, (held_by, advice) in enumerate(sorted(by_tags.items(), key=_by_size)):
            backing = AS.support << FACT_TYPES["Support"](
                advice=P(_matches_field(frozenset(advice), False)), stance=P(_backs)
            )
            patterns = [backing]
            if held_by:
                patterns.append(NOT(FACT_TYPES["Withhold"](tag=P(_matches_field(held_by, False)))))
            namespace[f"recommend_{index}"] = Rule(*patterns, salience=salience)(recommending)

    namespace["_rule_names"] = tuple(n for n, v in namespace.items() if isinstance(v, Rule))
    engine_class = type("CompiledCrampEngine", (CrampEngine,), namespace)
    kb._cache["engine_class"] = engine_class
    return engine_class


def _by_size(item: tuple[frozenset[str], list[str]]) -> tuple[int, list[str]]:
    """Tag sets in a fixed order (smallest first, then by name), so rules are named alike."""
    return (len(item[0]), sorted(item[0]))


def _any_value(value: Any) -> bool:
    return True


def _backs(stance: str) -> bool:
    """Whether a Support fact backs its advice (a disputing claim does not)."""
    return stance != "disputes"


class _Recommend(_Action):
    """The right-hand side of the one recommendation rule, for whichever advice matched.

    Its firings record the salience the shared rule really runs at (the latest stratum
    of any recommendation), so the trace's saliences follow the agenda.
    """

    __slots__ = ("absent", "by_advice", "conclusions", "records", "salience")

    def __init__(self, specs: Iterable[RuleSpec], salience: int) -> None:
        self.name = "recommend"
        self.salience = salience
        self.by_advice = {spec.item: spec.name for spec in specs}
        self.conclusions = {
            advice: _Conclusion.of(Recommendation, advice=advice) for advice in self.by_advice
        }
        self.records = {advice: c.record for advice, c in self.conclusions.items()}
        by_spec = {spec.item: spec for spec in specs}
        self.absent = {advice: _absent_words(spec) for advice, spec in by_spec.items()}

    def __call__(self, engine: CrampEngine, support: Fact) -> None:
        advice = support["advice"]
        self.conclusions[advice].declare(engine)
        engine.fired(
            self.by_advice[advice],
            self.salience,
            None,
            (engine.record(support),),
            (self.records[advice],),
            self.absent[advice],
        )


def _recommend_signature(engine: CrampEngine, support: Fact) -> None:
    """The recommendation action's signature: experta passes it this binding only."""


_Recommend.__signature__ = inspect.signature(_recommend_signature)


__all__ = ["CrampEngine", "QuietReteMatcher", "answer_classes", "compile_engine"]
