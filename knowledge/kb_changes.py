"""What changed in the data between two knowledge bases, item by item and field by field.

Claims (wherever their source keeps them), findings, advice, conflicts, theories,
questions, sources, safety-policy rules and the manifest are compared by id: each is
added, removed, or modified in named fields. A weakened safety policy (a rule removed, a
least tier lowered, a forbidden or cautioned tag taken away) is listed apart: it is a
safety change even when no runner is told anything different yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import KnowledgeBase
from .vocabulary import TIERS

__all__ = ["CATEGORIES", "ItemChange", "data_changes", "policy_weakening"]

#: The kinds of item compared, in the order reports list them.
CATEGORIES: tuple[str, ...] = (
    "claim",
    "finding",
    "advice",
    "conflict",
    "theory",
    "question",
    "source",
    "policy",
    "manifest",
)


@dataclass(frozen=True)
class ItemChange:
    """One item added, removed or modified (with the fields that differ)."""

    category: str
    id: str
    change: str  # "added", "removed" or "modified"
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        """E.g. ``claim steve-medications modified (says, when)``."""
        shown = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.category} {self.id} {self.change}{shown}"


def _dump(item: Any) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude_none=False)


def _claims(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    out = {}
    for claim_id, claim in kb.claims.items():
        out[claim_id] = {**_dump(claim), "source": kb.claim_source[claim_id]}
    return out


def _items(kb: KnowledgeBase, category: str) -> dict[str, dict[str, Any]]:
    if category == "claim":
        return _claims(kb)
    if category == "finding":
        return {k: _dump(v) for k, v in kb.findings.items()}
    if category == "advice":
        return {k: _dump(v) for k, v in kb.advice.items()}
    if category == "conflict":
        out = {f"advice:{k}": _dump(v) for k, v in kb.conflicts.items()}
        out.update({f"theories:{k}": _dump(v) for k, v in kb.theory_conflicts.items()})
        return out
    if category == "theory":
        return {k: _dump(v) for k, v in kb.theories.items()}
    if category == "question":
        return {k: _dump(v) for k, v in kb.questions.items()}
    if category == "source":
        return {
            k: {f: v for f, v in _dump(s).items() if f != "claims"} for k, s in kb.sources.items()
        }
    if category == "policy":
        return {rule.finding: _dump(rule) for rule in kb.policy}
    if category == "manifest":
        return {"manifest": _flatten(_dump(kb.manifest))}
    raise ValueError(category)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"weights": {"evidence": {"opinion": 1}}}`` as ``{"weights.evidence.opinion": 1}``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and key != "tiers":
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, Mapping):
            out.update({f"{name}.{k}": v for k, v in value.items()})
        else:
            out[name] = value
    return out


def _fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))


def data_changes(old: KnowledgeBase, new: KnowledgeBase) -> tuple[ItemChange, ...]:
    """Every item added, removed or modified from ``old`` to ``new``, by category then id."""
    out: list[ItemChange] = []
    for category in CATEGORIES:
        before, after = _items(old, category), _items(new, category)
        for ident in sorted(set(before) | set(after)):
            if ident not in after:
                out.append(ItemChange(category, ident, "removed"))
            elif ident not in before:
                out.append(ItemChange(category, ident, "added"))
            else:
                fields = _fields(before[ident], after[ident])
                if fields:
                    out.append(ItemChange(category, ident, "modified", fields))
    return tuple(out)


def policy_weakening(old: KnowledgeBase, new: KnowledgeBase) -> tuple[str, ...]:
    """How the safety policy of ``new`` is weaker than ``old``'s, one sentence each."""
    after = {rule.finding: rule for rule in new.policy}
    out = []
    for rule in old.policy:
        now = after.get(rule.finding)
        if now is None:
            out.append(f"the safety policy no longer has a rule for finding {rule.finding!r}")
            continue
        if rule.min_tier is not None and (
            now.min_tier is None or TIERS.index(now.min_tier) > TIERS.index(rule.min_tier)
        ):
            out.append(
                f"the safety policy lowers the least tier for finding {rule.finding!r} from "
                f"{rule.min_tier} to {now.min_tier or 'none'}"
            )
        for field, verb in (("forbids", "forbids"), ("cautions", "cautions against")):
            lost = _missing(getattr(rule, field), getattr(now, field))
            if lost:
                out.append(
                    f"the safety policy no longer {verb} {', '.join(lost)} for finding "
                    f"{rule.finding!r}"
                )
    return tuple(out)


def _missing(before: Iterable[str], after: Iterable[str]) -> list[str]:
    kept = set(after)
    return [t for t in before if t not in kept]
