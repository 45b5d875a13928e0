"""The trace: one record per rule firing, the single input to every explanation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .facts import FactRecord


@dataclass(frozen=True)
class Firing:
    """One rule firing: which rule, for which claim, the facts it matched and declared.

    ``sequence`` is the firing's place in the run (0 first), as experta's agenda really
    ran it; ``absent`` says, in words, what the rule needed not to be there (an answer
    that would rule out an ``unless`` test, a withholding, a more urgent tier).
    """

    rule: str
    salience: int
    claim: str | None
    matched: tuple[FactRecord, ...]
    declared: tuple[FactRecord, ...]
    sequence: int = 0
    absent: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule": self.rule,
            "sequence": self.sequence,
            "salience": self.salience,
            "claim": self.claim,
            "matched": [f.to_dict() for f in self.matched],
            "declared": [f.to_dict() for f in self.declared],
            "absent": list(self.absent),
        }

    @property
    def order_key(self) -> tuple[int, str, tuple[str, ...]]:
        """The canonical order: most salient first, then by rule and matched facts.

        experta breaks salience ties by fact recency and internal RETE order, so the real
        ``sequence`` can differ between equal runs with answers given in another order;
        this key gives a view that does not (see :func:`canonical`).
        """
        return (-self.salience, self.rule, tuple(m.key for m in self.matched))


def canonical(trace: Iterable[Firing]) -> tuple[Firing, ...]:
    """The trace in canonical order, for comparing runs (the real order is ``sequence``)."""
    return tuple(sorted(trace, key=lambda f: f.order_key))
