"""The rules of a knowledge base, as values: the one rule list every consumer reads.

The experta compiler (:mod:`expert.compile`), the consultation's relevance analysis
(:mod:`expert.relevance`), the CLIPS oracle (:mod:`cramp.authoring.clips`) and the authoring
invariants all read :func:`rule_specs`, so there is one list of rules, built once per
knowledge base, instead of several that must be kept in step. A rule is data: a name
made of its kind and the item it concerns, what it tests, what it must not see, and the
facts it declares.

The engine chains through these kinds, in this order of strata:

``gate``
    a gated question's raw answer (``Given``) becomes an ``Answer`` once its
    ``ask_if`` holds;
``finding``
    one clause of a finding holds: ``Finding``;
``claim``
    a claim applies: ``Evidence`` (about a theory), ``Support`` (about advice),
    ``Triage`` (a tier); a caution claim declares nothing of its own (a finding's
    withholding cites it);
``contradiction``
    a ``contradicted_when`` clause of a theory holds: ``Contradiction``;
``beyond``
    a dispute with a scope that does not apply to this runner, of a theory that a
    claim supports for them: ``Beyond`` (shown beside the theory, not counted);
``withhold`` / ``caution``
    a finding forbids, or cautions against, advice by its ``acts_on`` tags;
``level``
    the most urgent ``Triage`` tier is the runner's ``Level``;
``recommend``
    backed advice that nothing withholds is a ``Recommendation``.

Negation is stratified: a rule that must not see a fact (no ``Withhold`` for this
advice, no more urgent ``Triage``, no answer ruling out an ``unless`` test) sits in a
later stratum than every rule that could declare that fact, and salience makes the
agenda run strata in order. So a rule never fires on the absence of a fact that a rule
still to fire would declare, and the result needs no truth maintenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from knowledge import KnowledgeBase
from knowledge.conditions import Condition, FindingTest, Test
from knowledge.vocabulary import TIERS

if TYPE_CHECKING:
    from knowledge.schema import Caution, Withholding

#: Kinds of rule, in the order they are listed.
KINDS = (
    "gate",
    "finding",
    "claim",
    "contradiction",
    "beyond",
    "withhold",
    "caution",
    "level",
    "recommend",
)

#: Within a stratum, what fires first: safety before everything else, so the trace
#: reads in the order a clinician would reason.
_PRIORITY = {
    "gate": 90,
    "finding": 80,
    "safety_claim": 70,
    "triage_claim": 60,
    "claim": 50,
    "contradiction": 40,
    "beyond": 35,
    "withhold": 30,
    "caution": 30,
    "level": 20,
    "recommend": 10,
}
#: Salience is priority within a stratum, strata far apart.
_STRATUM_SPAN = 1000


@dataclass(frozen=True)
class FactTest:
    """A test on a derived fact other than an answer or a finding.

    ``fields`` maps a field to the values it may take (``negate`` per field: any value
    but those). E.g. ``Triage`` with ``tier`` in ``{"emergency"}``.
    """

    type: str
    fields: tuple[tuple[str, frozenset[Any], bool], ...]
    #: The test in words, for explanations (e.g. "nothing withholds it").
    words: str = ""

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether a fact with these field values passes the test."""
        return all((record.get(name) in values) != negate for name, values, negate in self.fields)

    @property
    def key(self) -> tuple[str, Any]:
        """The predicate it reads: its type, and the one value of its first field if fixed."""
        _name, values, negate = self.fields[0]
        if not negate and len(values) == 1:
            return (self.type, next(iter(values)))
        return (self.type, None)


@dataclass(frozen=True)
class Declared:
    """A fact a rule declares: its type and fields (``value`` of a gate: the given one)."""

    type: str
    fields: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> tuple[str, Any]:
        """The predicate it makes true (see :attr:`FactTest.key`)."""
        return (self.type, _KEY_VALUE[self.type](dict(self.fields)))


_KEY_VALUE = {
    "Answer": lambda f: f["question"],
    "Finding": lambda f: f["id"],
    "Evidence": lambda f: f["theory"],
    "Support": lambda f: f["advice"],
    "Triage": lambda f: f["tier"],
    "Contradiction": lambda f: f["theory"],
    "Beyond": lambda f: f["theory"],
    "Withhold": lambda f: f["tag"],
    "Caution": lambda f: f["tag"],
    "Level": lambda f: f["tier"],
    "Recommendation": lambda f: f["advice"],
}

#: The value of a gate's ``Answer``: the value of the ``Given`` answer it admits.
GIVEN_VALUE = "<given>"


@dataclass(frozen=True)
class RuleSpec:
    """One rule: what it tests, what it must not see, and what it declares.

    ``tests`` are conditions on answers (an ``unless`` condition is a negative test:
    no answer may rule it out) and tests that findings hold; ``requires`` and
    ``excludes`` test other derived facts. ``gated`` names the question whose raw
    answer a gate admits.
    """

    name: str
    kind: str
    item: str
    tests: tuple[Test, ...] = ()
    requires: tuple[FactTest, ...] = ()
    excludes: tuple[FactTest, ...] = ()
    declares: tuple[Declared, ...] = ()
    claim: str | None = None
    gated: str | None = None
    priority: int = 0
    stratum: int = 0
    #: Which clause (of a finding, a contradiction) or group (of a withhold or caution)
    #: of ``item`` the rule is; None for rules that are one per item.
    index: int | None = None

    @property
    def salience(self) -> int:
        """experta salience: earlier strata first, then by priority within one."""
        return -self.stratum * _STRATUM_SPAN + self.priority

    @property
    def answer_tests(self) -> tuple[Condition, ...]:
        """The tests on answers, ``unless`` ones included."""
        return tuple(t for t in self.tests if isinstance(t, Condition))

    @property
    def finding_tests(self) -> tuple[str, ...]:
        """Ids of the findings this rule needs."""
        return tuple(t.finding for t in self.tests if isinstance(t, FindingTest))


@dataclass(frozen=True)
class RuleSet:
    """Every rule of a knowledge base, in a fixed order, with lookups by name and kind."""

    rules: tuple[RuleSpec, ...]
    by_name: Mapping[str, RuleSpec] = field(repr=False)

    def of_kind(self, *kinds: str) -> tuple[RuleSpec, ...]:
        """The rules of these kinds, in list order."""
        return tuple(r for r in self.rules if r.kind in kinds)

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def rule_specs(kb: KnowledgeBase) -> RuleSet:
    """The knowledge base's rules, stratified (cached per knowledge base object)."""
    cached = kb._cache.get("rule_specs")
    if cached is None:
        rules = _stratify(list(_build(kb)))
        cached = kb._cache["rule_specs"] = RuleSet(tuple(rules), {r.name: r for r in rules})
    return cached


# --- building -----------------------------------------------------------------------------


def _build(kb: KnowledgeBase) -> Iterable[RuleSpec]:
    for qid, pre in kb.preconditions.items():
        if pre:
            yield RuleSpec(
                f"gate:{qid}",
                "gate",
                qid,
                tests=tuple(pre),
                declares=(Declared("Answer", (("question", qid), ("value", GIVEN_VALUE))),),
                gated=qid,
                priority=_PRIORITY["gate"],
            )
    for fid, clauses in kb.finding_clauses.items():
        for index, clause in enumerate(clauses):
            yield RuleSpec(
                f"finding:{fid}:{index}",
                "finding",
                fid,
                tests=clause,
                declares=(Declared("Finding", (("id", fid),)),),
                priority=_PRIORITY["finding"],
                index=index,
            )
    for claim_id in kb.claims:
        yield _claim_rule(kb, claim_id)
    for theory_id, contradicted in kb.contradictions.items():
        for index, (conditions, _because) in enumerate(contradicted):
            yield RuleSpec(
                f"contradiction:{theory_id}:{index}",
                "contradiction",
                theory_id,
                tests=conditions,
                declares=(Declared("Contradiction", (("clause", index), ("theory", theory_id))),),
                priority=_PRIORITY["contradiction"],
                index=index,
            )
    for claim_id, claim in kb.claims.items():
        if claim.stance == "disputes" and claim.theory and claim.scope:
            yield RuleSpec(
                f"beyond:{claim_id}",
                "beyond",
                claim_id,
                requires=(
                    FactTest(
                        "Evidence",
                        (
                            ("theory", frozenset({claim.theory}), False),
                            ("stance", frozenset({"disputes"}), True),
                        ),
                    ),
                ),
                excludes=(
                    FactTest(
                        "Evidence",
                        (
                            ("theory", frozenset({claim.theory}), False),
                            ("claim", frozenset({claim_id}), False),
                        ),
                        f"the dispute does not apply to you ({claim.scope} only)",
                    ),
                ),
                declares=(Declared("Beyond", (("claim", claim_id), ("theory", claim.theory))),),
                priority=_PRIORITY["beyond"],
            )
    # A withholding (or caution) is a rule over tags: the finding declares one fact per
    # tag it names that some advice acts on, and each piece of advice is held back by
    # any of its own tags. Declaring the advice itself would make every finding name
    # every piece of advice carrying a tag: rules and facts growing with the product of
    # the two (see docs/performance.md).
    for fid, finding in kb.findings.items():
        sides: tuple[tuple[str, tuple[Withholding | Caution, ...], str], ...] = (
            ("withhold", finding.withholds, "Withhold"),
            ("caution", finding.cautions, "Caution"),
        )
        for kind, groups, fact in sides:
            for index, group in enumerate(groups):
                tags = [tag for tag in dict.fromkeys(group.tags) if kb.advice_by_tag.get(tag)]
                if not tags:
                    continue
                yield RuleSpec(
                    f"{kind}:{fid}:{index}",
                    kind,
                    fid,
                    tests=(FindingTest(fid),),
                    declares=tuple(
                        Declared(fact, (("finding", fid), ("group", index), ("tag", tag)))
                        for tag in tags
                    ),
                    priority=_PRIORITY[kind],
                    index=index,
                )
    for rank, tier in enumerate(TIERS):
        higher = frozenset(TIERS[:rank])
        above_self_care = frozenset(TIERS[: TIERS.index("self_care")])
        if tier == "self_care":
            requires: tuple[FactTest, ...] = ()
            excludes: tuple[FactTest, ...] = (
                FactTest(
                    "Triage", (("tier", above_self_care, False),), "no claim sets a higher tier"
                ),
            )
        else:
            requires = (FactTest("Triage", (("tier", frozenset({tier}), False),)),)
            excludes = (
                (FactTest("Triage", (("tier", higher, False),), "no claim sets a higher tier"),)
                if higher
                else ()
            )
        yield RuleSpec(
            f"level:{tier}",
            "level",
            tier,
            requires=requires,
            excludes=excludes,
            declares=(Declared("Level", (("tier", tier),)),),
            priority=_PRIORITY["level"],
        )
    withheld_tags = {
        tag for finding in kb.findings.values() for group in finding.withholds for tag in group.tags
    }
    for advice_id, advice in kb.advice.items():
        held_by = frozenset(withheld_tags.intersection(advice.acts_on))
        yield RuleSpec(
            f"recommend:{advice_id}",
            "recommend",
            advice_id,
            requires=(
                FactTest(
                    "Support",
                    (
                        ("advice", frozenset({advice_id}), False),
                        ("stance", frozenset({"disputes"}), True),
                    ),
                ),
            ),
            excludes=(
                (FactTest("Withhold", (("tag", held_by, False),), "no warning sign withholds it"),)
                if held_by
                else ()
            ),
            declares=(Declared("Recommendation", (("advice", advice_id),)),),
            priority=_PRIORITY["recommend"],
        )


def _claim_rule(kb: KnowledgeBase, claim_id: str) -> RuleSpec:
    claim = kb.claims[claim_id]
    declares: list[Declared] = []
    if claim.theory is not None:
        declares.append(
            Declared(
                "Evidence",
                (("claim", claim.id), ("stance", claim.stance), ("theory", claim.theory)),
            )
        )
    if claim.advice is not None:
        declares.append(
            Declared(
                "Support",
                (("advice", claim.advice), ("claim", claim.id), ("stance", claim.stance)),
            )
        )
    if claim.triage is not None:
        declares.append(Declared("Triage", (("claim", claim.id), ("tier", claim.triage))))
    if kb.source_of(claim_id).kind == "public_health" or claim.kind == "red_flag":
        priority = _PRIORITY["safety_claim"]
    elif claim.triage is not None:
        priority = _PRIORITY["triage_claim"]
    else:
        priority = _PRIORITY["claim"]
    return RuleSpec(
        f"claim:{claim_id}",
        "claim",
        claim_id,
        tests=kb.conditions[claim_id],
        declares=tuple(declares),
        claim=claim_id,
        priority=priority,
    )


# --- stratifying --------------------------------------------------------------------------


def _stratify(rules: list[RuleSpec]) -> list[RuleSpec]:
    """Give every rule the lowest stratum that puts it after what it must wait for.

    A rule's stratum is at least that of every rule declaring a fact it tests, and
    greater than that of every rule declaring a fact it must not see. Facts nobody
    declares (answers the runner gave) are below every stratum.
    """
    producers: dict[tuple[str, Any], list[int]] = {}
    by_type: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        for fact in rule.declares:
            producers.setdefault(fact.key, []).append(index)
            by_type.setdefault(fact.type, []).append(index)

    def sources(key: tuple[str, Any]) -> list[int]:
        return by_type.get(key[0], []) if key[1] is None else producers.get(key, [])

    positive: list[list[int]] = []
    negative: list[list[int]] = []
    for rule in rules:
        pos: set[int] = set()
        neg: set[int] = set()
        for test in rule.tests:
            if isinstance(test, FindingTest):
                pos.update(sources(("Finding", test.finding)))
            elif test.holds_unanswered:
                neg.update(sources(("Answer", test.question)))
            else:
                pos.update(sources(("Answer", test.question)))
        for fact_test in rule.requires:
            pos.update(sources(fact_test.key))
        for fact_test in rule.excludes:
            neg.update(sources(fact_test.key))
        positive.append(sorted(pos))
        negative.append(sorted(neg))

    strata = [0] * len(rules)
    # Relax until nothing moves; more passes than rules means negation in a cycle.
    for _ in range(len(rules) + 1):
        moved = False
        for index in range(len(rules)):
            want = max(
                max((strata[j] for j in positive[index]), default=0),
                max((strata[j] + 1 for j in negative[index]), default=0),
            )
            if want > strata[index]:
                strata[index] = want
                moved = True
        if not moved:
            break
    else:
        raise ValueError("rules negate a fact that depends on themselves; cannot stratify")
    return [
        RuleSpec(**{**_fields(rule), "stratum": stratum})
        for rule, stratum in zip(rules, strata, strict=True)
    ]


def _fields(rule: RuleSpec) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RuleSpec.__dataclass_fields__}


__all__ = [
    "GIVEN_VALUE",
    "KINDS",
    "Declared",
    "FactTest",
    "RuleSet",
    "RuleSpec",
    "rule_specs",
]
