"""The headline of a result: what a runner reads first, and what the consultation settles.

A runner acts on three things: how urgent it is (the triage tier), what most probably
causes the cramps (the first three likely causes, in order), and what to do about a
cramp now (the recommended advice of phase ``now``). That is the *headline*. The
consultation asks until no answer still to come can change it, then shows the result;
the rest of the report (a sixth tip, the order of the fifth cause) can be refined on
request. This module is the one definition of it, used by the consultation, the
benchmark and the tests.

Two ways to the same value:

* :func:`headline` reads it off a :class:`~expert.conclusions.Diagnosis` (an engine run);
* :class:`HeadlineModel` works it out from which rules hold (the consultation's
  three-valued analysis, no engine run), so a question's effect on the headline can be
  tried for every answer in a fraction of a millisecond. A property test checks the two
  agree.

>>> from knowledge import load_knowledge_base, parse_profile
>>> from expert import diagnose
>>> kb = load_knowledge_base()
>>> headline(diagnose(kb, parse_profile({"cramp_timing": ["night"]}, kb))).tier
'self_care'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge import KnowledgeBase
from knowledge.schema import TIERS

if TYPE_CHECKING:
    from .conclusions import Diagnosis
    from .relevance import Rulebook

#: How many likely causes the headline names.
TOP_CAUSES = 3
#: The advice phase the headline names: what to do during a cramp.
NOW = "now"


@dataclass(frozen=True)
class Headline:
    """Triage tier, the first three likely causes in order, and the advice for now."""

    tier: str
    #: Ids of up to three likely causes, strongest first (as the report ranks them).
    causes: tuple[str, ...]
    #: Ids of the recommended advice of phase ``now``, sorted (a set: the report orders it).
    now: tuple[str, ...]

    def differences(self, other: Headline) -> tuple[str, ...]:
        """Which parts differ from ``other``: ``tier``, ``causes``, ``now`` (in that order)."""
        return tuple(
            part
            for part in ("tier", "causes", "now")
            if getattr(self, part) != getattr(other, part)
        )


def headline(diagnosis: Diagnosis) -> Headline:
    """The headline of a diagnosis (what ``cramp diagnose`` prints, read off its parts)."""
    return Headline(
        tier=diagnosis.triage.tier,
        causes=tuple(c.id for c in diagnosis.causes if c.likely)[:TOP_CAUSES],
        now=tuple(sorted(a.id for a in diagnosis.advice_in(NOW))),
    )


class HeadlineModel:
    """The headline worked out from the set of rules that hold, without the engine.

    It repeats, for the three parts of the headline only, what
    :mod:`expert.conclusions` reads off a run: a claim's weight towards its theory
    (background claims weigh nothing), a theory is likely when a claim about this runner
    supports it, its standing is above zero and no ``contradicted_when`` clause holds;
    advice is recommended when a claim that holds backs it and no finding that holds
    withholds it by one of its ``acts_on`` tags; the tier is the most urgent one a claim
    that holds sets.
    """

    def __init__(self, book: Rulebook) -> None:
        from .conclusions import claim_weight, is_background

        kb: KnowledgeBase = book.kb
        self.book = book
        #: rule index -> (theory, weight, supports) for claims that count for a theory.
        self.evidence: dict[int, tuple[str, float, bool]] = {}
        #: rule index -> advice id of phase now it backs.
        self.backs: dict[int, str] = {}
        #: rule index -> tier it sets.
        self.tiers: dict[int, str] = {}
        #: rule index -> theory a contradiction clause rules out.
        self.contradicts: dict[int, str] = {}
        #: finding id -> advice ids of phase now it withholds.
        self.withholds: dict[str, frozenset[str]] = {}
        for index, rule in enumerate(book.rules):
            if rule.kind == "contradiction" and rule.theory is not None:
                self.contradicts[index] = rule.theory
            if rule.claim is None:
                continue
            claim = kb.claims[rule.claim]
            if claim.theory is not None and not is_background(kb, claim.id):
                self.evidence[index] = (
                    claim.theory,
                    claim_weight(kb, claim.id),
                    claim.stance != "disputes",
                )
            if (
                claim.advice is not None
                and claim.stance != "disputes"
                and kb.advice[claim.advice].phase == NOW
            ):
                self.backs[index] = claim.advice
            if claim.triage is not None:
                self.tiers[index] = claim.triage
        for fid, finding in kb.findings.items():
            tags = {t for group in finding.withholds for t in group.tags}
            held = frozenset(
                a.id for a in kb.advice.values() if a.phase == NOW and tags & set(a.acts_on)
            )
            if held:
                self.withholds[fid] = held
        #: Rules whose holding can move the causes.
        self.cause_rules: frozenset[int] = frozenset({*self.evidence, *self.contradicts})
        #: Rules whose holding can move the headline (the others never can).
        self.relevant: frozenset[int] = frozenset(
            {*self.evidence, *self.backs, *self.tiers, *self.contradicts}
            | {i for f in self.withholds for i in book.clauses.get(f, ())}
        )

    @classmethod
    def for_book(cls, book: Rulebook) -> HeadlineModel:
        """The model shared by every consultation of ``book``'s knowledge base."""
        cache = book.kb._cache
        model = cache.get("headline_model")
        if model is None or model.book is not book:
            model = cache["headline_model"] = cls(book)
        return model

    # --- theories as plain arithmetic, for screening many answers at once --------------

    def theory_state(self, fired: Iterable[int]) -> dict[str, tuple[float, int, int]]:
        """For each theory a rule that holds speaks to: standing, supporting claims, and
        contradiction clauses that hold."""
        state: dict[str, tuple[float, int, int]] = {}
        for i in fired:
            got = self.evidence.get(i)
            if got is not None:
                theory, weight, supports = got
                s, n, c = state.get(theory, (0.0, 0, 0))
                state[theory] = (s + weight, n + supports, c)
            elif i in self.contradicts:
                theory = self.contradicts[i]
                s, n, c = state.get(theory, (0.0, 0, 0))
                state[theory] = (s, n, c + 1)
        return state

    def shift(
        self, lost: Iterable[int], gained: Iterable[int]
    ) -> dict[str, tuple[float, int, int]]:
        """How theories move when the rules ``lost`` stop holding and ``gained`` start."""
        out: dict[str, tuple[float, int, int]] = {}
        for rules, sign in ((lost, -1), (gained, 1)):
            for i in rules:
                got = self.evidence.get(i)
                if got is not None:
                    theory, weight, supports = got
                    s, n, c = out.get(theory, (0.0, 0, 0))
                    out[theory] = (s + sign * weight, n + sign * supports, c)
                elif i in self.contradicts:
                    theory = self.contradicts[i]
                    s, n, c = out.get(theory, (0.0, 0, 0))
                    out[theory] = (s, n, c + sign)
        return out

    @staticmethod
    def rank(state: dict[str, tuple[float, int, int]]) -> tuple[str, ...]:
        """Likely theories of a :meth:`theory_state`, strongest first (ties by id)."""
        likely = [
            (-round(s, 4), t)
            for t, (s, n, c) in state.items()
            if n > 0 and c == 0 and round(s, 4) > 0
        ]
        return tuple(t for _, t in sorted(likely))

    def rank_shifted(
        self,
        state: dict[str, tuple[float, int, int]],
        ranked: tuple[str, ...],
        *shifts: dict[str, tuple[float, int, int]],
    ) -> tuple[str, ...]:
        """The first three likely causes after adding ``shifts`` to ``state`` (ranked)."""
        touched: dict[str, tuple[float, int, int]] = {}
        for shift in shifts:
            for theory, (ds, dn, dc) in shift.items():
                s, n, c = touched.get(theory) or state.get(theory, (0.0, 0, 0))
                touched[theory] = (s + ds, n + dn, c + dc)
        keep = [t for t in ranked if t not in touched][:TOP_CAUSES]
        scored = [(-round(state[t][0], 4), t) for t in keep]
        scored += [
            (-round(s, 4), t)
            for t, (s, n, c) in touched.items()
            if n > 0 and c == 0 and round(s, 4) > 0
        ]
        return tuple(t for _, t in sorted(scored)[:TOP_CAUSES])

    def causes_of(self, fired: Iterable[int]) -> tuple[str, ...]:
        """The first three likely causes when exactly the rules ``fired`` hold."""
        held = fired if isinstance(fired, set | frozenset) else set(fired)
        standing: dict[str, float] = {}
        supported: set[str] = set()
        ruled_out: set[str] = set()
        for i in held:
            got = self.evidence.get(i)
            if got is not None:
                theory, weight, supports = got
                standing[theory] = standing.get(theory, 0.0) + weight
                if supports:
                    supported.add(theory)
            elif i in self.contradicts:
                ruled_out.add(self.contradicts[i])
        likely = [t for t in supported if round(standing[t], 4) > 0 and t not in ruled_out]
        likely.sort(key=lambda t: (-round(standing[t], 4), t))
        return tuple(likely[:TOP_CAUSES])

    def of(self, fired: Iterable[int]) -> Headline:
        """The headline when exactly the rules ``fired`` hold."""
        held = set(fired)
        tiers = [self.tiers[i] for i in held if i in self.tiers]
        tier = min(tiers, key=TIERS.index) if tiers else "self_care"
        backed = {self.backs[i] for i in held if i in self.backs}
        if backed:
            for fid, advice in self.withholds.items():
                if backed & advice and any(c in held for c in self.book.clauses.get(fid, ())):
                    backed -= advice
        return Headline(
            tier=tier,
            causes=self.causes_of(held),
            now=tuple(sorted(backed)),
        )


__all__ = ["NOW", "TOP_CAUSES", "Headline", "HeadlineModel", "headline"]
