"""The trace: one record per rule firing, the single input to every explanation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .facts import FactRecord


@dataclass(frozen=True)
class Firing:
    """One rule firing: which rule, for which claim, the facts it matched and declared."""

    rule: str
    salience: int
    claim: str | None
    matched: tuple[FactRecord, ...]
    declared: tuple[FactRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule": self.rule,
            "salience": self.salience,
            "claim": self.claim,
            "matched": [f.to_dict() for f in self.matched],
            "declared": [f.to_dict() for f in self.declared],
        }

    @property
    def order_key(self) -> tuple[int, str, tuple[str, ...]]:
        """Canonical order: most salient first, then by rule and matched facts.

        experta breaks salience ties by fact recency and internal RETE order; sorting
        by this key makes the trace identical across runs and processes.
        """
        return (-self.salience, self.rule, tuple(m.key for m in self.matched))
