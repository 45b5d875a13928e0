"""What the knowledge base covers, per source, and where its sources disagree.

Disagreement is read off the data, at two levels:

* theories: a theory that one source's claims support (or support with a hedge) and
  another source's claims dispute, each disputing claim with the reason its source gives;
* advice: pairs of advice listed under ``conflicts`` (they cannot both be followed), and
  advice that one source recommends while another disputes it.
"""

from __future__ import annotations

import typing
from dataclasses import asdict, dataclass
from typing import Any

from .model import KnowledgeBase
from .vocabulary import ClaimKind

#: Claim kinds in the order reports list them.
KINDS: tuple[str, ...] = typing.get_args(ClaimKind)
STANCES: tuple[str, ...] = ("supports", "hedged", "disputes")


@dataclass(frozen=True)
class SourceCoverage:
    """How many claims of each kind one source contributes, and the gaps it leaves."""

    id: str
    title: str
    kind: str
    bias: str | None
    by_kind: dict[str, int]
    total: int
    gaps: int


@dataclass(frozen=True)
class Position:
    """Where one source stands on a theory or a piece of advice, with its claims."""

    source: str
    stance: str
    claims: tuple[str, ...]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class TheoryDisagreement:
    """A theory some sources support and others dispute."""

    theory: str
    title: str
    positions: tuple[Position, ...]


@dataclass(frozen=True)
class AdviceConflict:
    """Two pieces of advice that cannot both be followed, and who backs each."""

    id: str
    between: tuple[str, str]
    titles: tuple[str, str]
    sources: tuple[tuple[str, ...], tuple[str, ...]]
    reason: str


@dataclass(frozen=True)
class AdviceDispute:
    """Advice one source recommends and another disputes."""

    advice: str
    title: str
    positions: tuple[Position, ...]


@dataclass(frozen=True)
class Coverage:
    """Counts per source and kind, and every disagreement between sources."""

    sources: tuple[SourceCoverage, ...]
    totals: dict[str, int]
    theory_disagreements: tuple[TheoryDisagreement, ...]
    advice_conflicts: tuple[AdviceConflict, ...]
    advice_disputes: tuple[AdviceDispute, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def positions(kb: KnowledgeBase, claim_ids: typing.Iterable[str]) -> tuple[Position, ...]:
    """Group claims by (source, stance), in stance order then source order."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for cid in claim_ids:
        claim = kb.claims[cid]
        grouped.setdefault((kb.claim_source[cid], claim.stance), []).append(cid)
    order = list(kb.sources)
    out = []
    for (source, stance), cids in sorted(
        grouped.items(), key=lambda kv: (STANCES.index(kv[0][1]), order.index(kv[0][0]))
    ):
        reasons = tuple(dict.fromkeys(r for c in cids if (r := kb.claims[c].reason) is not None))
        out.append(Position(source, stance, tuple(cids), reasons))
    return tuple(out)


def theory_positions(kb: KnowledgeBase, theory_id: str) -> tuple[Position, ...]:
    """Where each source stands on one theory."""
    return positions(kb, (c.id for c in kb.claims_by_theory[theory_id]))


def advice_sources(kb: KnowledgeBase, advice_id: str) -> tuple[str, ...]:
    """Sources with a claim backing (not disputing) the advice, in source order."""
    backing = {
        kb.claim_source[c.id] for c in kb.claims_by_advice[advice_id] if c.stance != "disputes"
    }
    return tuple(s for s in kb.sources if s in backing)


def coverage(kb: KnowledgeBase) -> Coverage:
    """Count claims per source and kind, and list every disagreement between sources."""
    sources = []
    totals = dict.fromkeys(KINDS, 0)
    for source in kb.sources.values():
        by_kind = dict.fromkeys(KINDS, 0)
        for claim in source.claims:
            by_kind[claim.kind] += 1
            totals[claim.kind] += 1
        sources.append(
            SourceCoverage(
                source.id,
                source.title,
                source.kind,
                source.bias,
                by_kind,
                len(source.claims),
                len(source.gaps),
            )
        )
    totals["total"] = sum(totals.values())

    disagreements = []
    for theory in kb.theories.values():
        found = theory_positions(kb, theory.id)
        stances = {p.stance for p in found}
        if "disputes" in stances and stances & {"supports", "hedged"}:
            disagreements.append(TheoryDisagreement(theory.id, theory.title, found))

    conflicts = tuple(
        AdviceConflict(
            c.id,
            c.between,
            (kb.advice[c.between[0]].title, kb.advice[c.between[1]].title),
            (advice_sources(kb, c.between[0]), advice_sources(kb, c.between[1])),
            c.reason,
        )
        for c in kb.conflicts.values()
    )

    disputes = []
    for advice in kb.advice.values():
        claims = kb.claims_by_advice[advice.id]
        if any(c.stance == "disputes" for c in claims):
            disputes.append(
                AdviceDispute(advice.id, advice.title, positions(kb, (c.id for c in claims)))
            )
    return Coverage(tuple(sources), totals, tuple(disagreements), conflicts, tuple(disputes))


def render_coverage(cov: Coverage) -> str:
    """Plain-text report: a table of claims per source and kind, then the conflicts."""
    short = {
        "cause": "cause",
        "mechanism": "mech",
        "diagnostic": "diag",
        "relief": "relief",
        "aftercare": "after",
        "prevention": "prev",
        "referral": "refer",
        "red_flag": "red",
        "caution": "caut",
        "note": "note",
    }
    width = max(len(s.id) for s in cov.sources) + 2
    head = "source".ljust(width) + "".join(f"{short[k]:>7}" for k in KINDS) + "  total  gaps"
    lines = ["Claims per source and kind", head]
    for s in cov.sources:
        cells = "".join(f"{s.by_kind[k]:>7}" for k in KINDS)
        lines.append(f"{s.id.ljust(width)}{cells}{s.total:>7}{s.gaps:>6}")
    cells = "".join(f"{cov.totals[k]:>7}" for k in KINDS)
    gaps = sum(s.gaps for s in cov.sources)
    lines.append(f"{'all'.ljust(width)}{cells}{cov.totals['total']:>7}{gaps:>6}")

    lines += ["", f"Theories the sources disagree about ({len(cov.theory_disagreements)})"]
    for d in cov.theory_disagreements:
        lines.append(f"  {d.theory}: {d.title}")
        for p in d.positions:
            lines.append(f"    {p.stance:<9} {p.source} ({', '.join(p.claims)})")
            lines.extend(f"              reason: {r}" for r in p.reasons)

    lines += ["", f"Advice that cannot both be followed ({len(cov.advice_conflicts)})"]
    for c in cov.advice_conflicts:
        (a, b), (sa, sb) = c.between, c.sources
        lines.append(f"  {c.id}: {a} [{', '.join(sa)}] vs {b} [{', '.join(sb)}]")
        lines.append(f"    {c.reason}")

    lines += ["", f"Advice a source disputes ({len(cov.advice_disputes)})"]
    for ad in cov.advice_disputes:
        lines.append(f"  {ad.advice}: {ad.title}")
        for p in ad.positions:
            lines.append(f"    {p.stance:<9} {p.source} ({', '.join(p.claims)})")
            lines.extend(f"              reason: {r}" for r in p.reasons)
    return "\n".join(lines) + "\n"


__all__ = [
    "KINDS",
    "AdviceConflict",
    "AdviceDispute",
    "Coverage",
    "Position",
    "SourceCoverage",
    "TheoryDisagreement",
    "advice_sources",
    "coverage",
    "positions",
    "render_coverage",
    "theory_positions",
]
