"""Run the compiled engine on a profile and collect what it derived, with its trace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import attrgetter
from typing import Any

from knowledge import KnowledgeBase, Profile
from knowledge.vocabulary import Tier

from ._experta import InitialFact
from .collector import keeping_runs, paused
from .compile import CrampEngine, compile_engine
from .facts import FactRecord, Given
from .trace import Firing


@dataclass(frozen=True)
class Run:
    """What one engine run produced: the answers it used, every firing, every fact.

    ``trace`` is in the order the rules really fired (each firing's ``sequence``).
    """

    profile: Profile
    answers: Mapping[str, Any]
    set_aside: tuple[str, ...]
    trace: tuple[Firing, ...]
    facts: tuple[FactRecord, ...]

    def derived(self, fact_type: str) -> list[FactRecord]:
        """Facts of one type (e.g. ``"Evidence"``) in a stable order."""
        return list(self._by_type.get(fact_type, ()))

    # The facts are sorted, and every conclusion reads them by type: grouped once, not
    # filtered again for each question (cached on the frozen instance, computed on use).
    @cached_property
    def _by_type(self) -> dict[str, tuple[FactRecord, ...]]:
        return by_type(self.facts)

    @cached_property
    def fired_claims(self) -> frozenset[str]:
        """Ids of every claim whose rule fired."""
        return frozenset(f.claim for f in self.trace if f.claim is not None)

    @cached_property
    def findings(self) -> frozenset[str]:
        """Ids of the findings that hold for this runner."""
        return frozenset(f["id"] for f in self.derived("Finding"))

    @property
    def tier(self) -> Tier:
        """The runner's triage level, as the ``level`` rules decided it."""
        levels = [f["tier"] for f in self.facts if f.type == "Level"]
        # Exactly one level rule can fire: each excludes every more urgent tier.
        assert len(levels) == 1, levels
        return levels[0]


def by_type(records: Iterable[FactRecord]) -> dict[str, tuple[FactRecord, ...]]:
    """Records grouped by type, the types in order and each group in the records' order
    (by fields): one pass to group, then sorts that compare fields alone."""
    groups: dict[str, list[FactRecord]] = {}
    for record in records:
        group = groups.get(record.type)
        if group is None:
            group = groups[record.type] = []
        group.append(record)
    return {kind: tuple(sorted(groups[kind], key=_fields)) for kind in sorted(groups)}


_fields = attrgetter("fields")


class Reasoner:
    """An engine built once for a knowledge base and reused for many profiles."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._engine: CrampEngine = compile_engine(kb)()
        self._gated = frozenset(q for q, pre in kb.preconditions.items() if pre)
        #: Whether it has not run yet (its network's memories are as built).
        self.fresh = True

    @classmethod
    def for_kb(cls, kb: KnowledgeBase) -> Reasoner:
        """The reasoner shared by every caller in this process for ``kb``.

        Building the RETE network is the expensive part; a process builds it once, or
        reads it from the knowledge base's image.
        """
        reasoner = kb._cache.get("reasoner")
        if reasoner is None:
            reasoner = cls._kept(kb) or cls(kb)
            kb._cache["reasoner"] = reasoner
        return reasoner

    @staticmethod
    def _kept(kb: KnowledgeBase) -> Reasoner | None:
        """The reasoner an image kept for ``kb`` (see :mod:`expert.persist`), if any."""
        from .persist import KEY, load_reasoner

        data = kb._cache.get(KEY)
        if data is None:
            return None
        reasoner = load_reasoner(kb, data)
        if reasoner is not None:
            kb._cache.setdefault("engine_class", type(reasoner._engine))
        return reasoner

    @staticmethod
    def declaration_order(answers: Mapping[str, Any]) -> list[str]:
        """Question ids in the order their answers are declared: by id.

        experta breaks ties between equally salient activations by fact recency, so a
        fixed order makes the agenda, and so the trace in firing order, the same
        whatever order the runner gave the answers in.
        """
        return sorted(answers)

    def run(self, profile: Profile) -> Run:
        """Reason about one profile; the result does not depend on answer order.

        An answer to a gated question enters as ``Given``; its gate rule admits it as an
        ``Answer`` once its ``ask_if`` holds. What is never admitted is set aside.
        """
        engine = self._engine
        self.fresh = False
        given = {q: v for q, v in profile.answers.items() if q in self.kb.questions}
        # What a run makes lives until the next reset (see expert.collector).
        with paused(keep=keeping_runs()):
            engine.reset()
            engine.declare(
                *(
                    Given(question=q, value=given[q])
                    if q in self._gated
                    else engine.answer(q, given[q])
                    for q in self.declaration_order(given)
                )
            )
            engine.run()
        # In the records' order (by type, then fields), grouped as the conclusions read
        # them: the run keeps the groups rather than grouping its sorted facts again.
        groups = by_type(
            engine.record(f) for f in engine.facts.values() if type(f) is not InitialFact
        )
        facts = tuple(chain.from_iterable(groups.values()))
        answers = {f["question"]: f["value"] for f in groups.get("Answer", ())}
        set_aside = tuple(sorted(set(given) - set(answers)))
        run = Run(profile, answers, set_aside, tuple(engine.trace), facts)
        run.__dict__["_by_type"] = groups  # what the cached property would work out
        return run
