"""Compile a knowledge base into an experta ``KnowledgeEngine`` subclass.

Every rule is generated from data; no rule is written by hand:

* one rule per claim: its ``when`` conditions become ``Answer`` patterns, and firing it
  declares what the claim concludes (``Evidence`` for a theory, ``Support`` for advice,
  ``Triage`` for a tier, ``Withhold`` for advice a safety rule forbids);
* one rule per ``contradicted_when`` clause of a theory, declaring ``Contradiction``;
* one rule per piece of advice: a backing ``Support`` and no ``Withhold`` declare a
  ``Recommendation``.

Salience orders the agenda so safety-net rules fire first, then every other claim, and
recommendations last, after every ``Withhold`` that could cancel them is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from knowledge import Condition, KnowledgeBase

from ._experta import AS, NOT, KnowledgeEngine, P, Rule
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


class CrampEngine(KnowledgeEngine):
    """Base of every compiled engine: keeps the trace of firings."""

    knowledge_base: KnowledgeBase

    def __init__(self) -> None:
        super().__init__()
        self.trace: list[Firing] = []

    def reset(self, **kwargs: Any) -> None:
        """Clear facts, agenda and trace (experta's reset, plus the trace)."""
        super().reset(**kwargs)
        self.trace = []


def _action(
    rule_name: str, salience: int, claim: str | None, produce: Callable[[dict], list]
) -> Callable:
    """The right-hand side shared by every generated rule: declare, then record."""

    def fire(engine: CrampEngine, **context: Any) -> None:
        matched = tuple(
            FactRecord.of(context[name]) for name in sorted(context) if name.startswith("m")
        )
        declared = produce(context)
        for fact in declared:
            engine.declare(fact)
        engine.trace.append(
            Firing(rule_name, salience, claim, matched, tuple(FactRecord.of(f) for f in declared))
        )

    fire.__name__ = rule_name.replace(":", "__").replace("-", "_")
    return fire


class _PatternCache:
    """One pattern object per distinct condition, so equal tests share RETE nodes."""

    def __init__(self) -> None:
        self._predicates: dict[Condition, Any] = {}

    def patterns(self, conditions: Iterable[Condition]) -> list:
        out = []
        for index, cond in enumerate(conditions):
            if cond not in self._predicates:
                self._predicates[cond] = P(cond.holds)
            out.append(
                getattr(AS, f"m{index}")
                << Answer(question=cond.question, value=self._predicates[cond])
            )
        return out


def _claim_salience(kb: KnowledgeBase, claim_id: str) -> int:
    claim = kb.claims[claim_id]
    if kb.source_of(claim_id).kind == "public_health":
        return SALIENCE_SAFETY_NET
    if claim.triage is not None:
        return SALIENCE_TRIAGE
    return SALIENCE_CLAIM


def _claim_conclusions(kb: KnowledgeBase, claim_id: str) -> Callable[[dict], list]:
    claim = kb.claims[claim_id]
    facts: list = []
    if claim.theory is not None:
        facts.append(Evidence(theory=claim.theory, claim=claim.id, stance=claim.stance))
    if claim.advice is not None:
        facts.append(Support(advice=claim.advice, claim=claim.id, stance=claim.stance))
    if claim.triage is not None:
        facts.append(Triage(tier=claim.triage, claim=claim.id))
    facts.extend(Withhold(advice=a, claim=claim.id) for a in claim.withholds)
    return lambda _context: [f.copy() for f in facts]


def compile_engine(kb: KnowledgeBase) -> type[CrampEngine]:
    """Build the engine class for ``kb`` (cached per knowledge base object)."""
    cached = kb._cache.get("engine_class")
    if cached is not None:
        return cached
    cache = _PatternCache()
    namespace: dict[str, Any] = {"knowledge_base": kb}

    def add(rule: Rule, action: Callable) -> None:
        namespace[action.__name__] = rule(action)

    for claim_id in kb.claims:
        patterns = cache.patterns(kb.conditions[claim_id])
        name = f"claim:{claim_id}"
        salience = _claim_salience(kb, claim_id)
        add(
            Rule(*patterns, salience=salience),
            _action(name, salience, claim_id, _claim_conclusions(kb, claim_id)),
        )

    for theory_id, clauses in kb.contradictions.items():
        for index, (conditions, _because) in enumerate(clauses):
            name = f"contradiction:{theory_id}:{index}"
            fact = Contradiction(theory=theory_id, clause=index)
            add(
                Rule(*cache.patterns(conditions), salience=SALIENCE_CLAIM),
                _action(name, SALIENCE_CLAIM, None, lambda _c, fact=fact: [fact.copy()]),
            )

    for advice_id in kb.advice:
        name = f"recommend:{advice_id}"
        fact = Recommendation(advice=advice_id)
        backing = AS.m0 << Support(advice=advice_id, stance=P(lambda s: s != "disputes"))
        add(
            Rule(backing, NOT(Withhold(advice=advice_id)), salience=SALIENCE_RECOMMENDATION),
            _action(name, SALIENCE_RECOMMENDATION, None, lambda _c, fact=fact: [fact.copy()]),
        )

    engine_class = type("CompiledCrampEngine", (CrampEngine,), namespace)
    kb._cache["engine_class"] = engine_class
    return engine_class
