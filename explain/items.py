"""What ``cramp explain`` can explain: a cause, a piece of advice, a finding, or the triage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.problems import did_you_mean
from knowledge.vocabulary import TIERS, is_tier

if TYPE_CHECKING:
    from expert.engine import Run
    from knowledge import KnowledgeBase


@dataclass(frozen=True)
class Item:
    """One explainable conclusion: ``kind`` is cause, advice, finding or triage."""

    kind: str
    id: str
    title: str

    @property
    def name(self) -> str:
        """How the item is written on the command line."""
        if self.kind == "triage":
            return f"triage:{self.id}" if self.id else "triage"
        if self.kind == "finding":
            return f"finding:{self.id}"
        return self.id


class UnknownItem(ValueError):
    """ITEM names nothing explainable; the message says what is allowed."""


def resolve_item(kb: KnowledgeBase, text: str) -> Item:
    """Look ITEM up: a theory id, an advice id, ``finding:ID`` (or a finding id that names
    nothing else), ``triage`` or ``triage:TIER``."""
    if text in kb.theories:
        return Item("cause", text, kb.theories[text].title)
    if text in kb.advice:
        return Item("advice", text, kb.advice[text].title)
    finding = text.removeprefix("finding:")
    if finding in kb.findings and (text.startswith("finding:") or finding == text):
        return Item("finding", finding, kb.findings[finding].title)
    if text == "triage":
        return Item("triage", "", "Triage level")
    if text.startswith("triage:") and is_tier(tier := text.removeprefix("triage:")):
        return Item("triage", tier, f"Triage level {kb.manifest.tiers[tier].title}")
    names = [
        *kb.theories,
        *kb.advice,
        *(f"finding:{f}" for f in kb.findings),
        "triage",
        *(f"triage:{t}" for t in TIERS),
    ]
    raise UnknownItem(
        f"unknown item {text!r}{did_you_mean(text, names)}; expected a cause "
        f"({', '.join(kb.theories)}), a piece of advice ({', '.join(kb.advice)}), "
        f"a finding (finding:ID; {', '.join(kb.findings)}), "
        f"triage, or triage:TIER ({', '.join(TIERS)})"
    )


def has_fired(item: Item, run: Run) -> bool:
    """Whether the run reached the item.

    A cause fired when a claim supporting it applies (even if the answers contradict it);
    advice when it is recommended; a finding when it holds; ``triage`` always has a
    level; ``triage:TIER`` when the runner's level is that tier.
    """
    if item.kind == "cause":
        return any(
            f["theory"] == item.id and f["stance"] != "disputes" for f in run.derived("Evidence")
        )
    if item.kind == "advice":
        return any(f["advice"] == item.id for f in run.derived("Recommendation"))
    if item.kind == "finding":
        return item.id in run.findings
    if not item.id:
        return True
    return triage_tier(run) == item.id


def triage_tier(run: Run) -> str:
    """The runner's triage level, as the engine's ``level`` rules decided it."""
    return run.tier
