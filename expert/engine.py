"""Run the compiled engine on a profile and collect what it derived, with its trace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from knowledge import KnowledgeBase, Profile

from .compile import CrampEngine, compile_engine
from .facts import FactRecord
from .trace import Firing


@dataclass(frozen=True)
class Run:
    """What one engine run produced: the answers it used, every firing, every fact."""

    profile: Profile
    answers: Mapping[str, Any]
    set_aside: tuple[str, ...]
    trace: tuple[Firing, ...]
    facts: tuple[FactRecord, ...]

    def derived(self, fact_type: str) -> list[FactRecord]:
        """Facts of one type (e.g. ``"Evidence"``) in a stable order."""
        return sorted(f for f in self.facts if f.type == fact_type)

    @property
    def fired_claims(self) -> frozenset[str]:
        """Ids of every claim whose rule fired."""
        return frozenset(f.claim for f in self.trace if f.claim is not None)


class Reasoner:
    """An engine built once for a knowledge base and reused for many profiles."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._engine: CrampEngine = compile_engine(kb)()

    @classmethod
    def for_kb(cls, kb: KnowledgeBase) -> Reasoner:
        """The reasoner shared by every caller in this process for ``kb``.

        Building the RETE network is the expensive part; a process builds it once.
        """
        reasoner = kb._cache.get("reasoner")
        if reasoner is None:
            reasoner = kb._cache["reasoner"] = cls(kb)
        return reasoner

    def run(self, profile: Profile) -> Run:
        """Reason about one profile; the result does not depend on answer order."""
        answers = self.kb.applicable(profile.answers)
        set_aside = tuple(sorted(set(profile.answers) - set(answers)))
        engine = self._engine
        engine.reset()
        # Declared in question-id order so the agenda, and so the trace, are the same
        # whatever order the runner gave the answers in.
        engine.declare(*(engine.answer(q, answers[q]) for q in sorted(answers)))
        engine.run()
        facts = tuple(
            sorted(
                FactRecord.of(f) for f in engine.facts.values() if type(f).__name__ != "InitialFact"
            )
        )
        trace = tuple(sorted(engine.trace, key=Firing.order_key.fget))
        return Run(profile, answers, set_aside, trace, facts)


def run(kb: KnowledgeBase, profile: Profile) -> Run:
    """One-shot convenience: build (or reuse the cached) engine class and run it."""
    return Reasoner.for_kb(kb).run(profile)
