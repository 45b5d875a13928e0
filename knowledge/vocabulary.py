"""The knowledge base's fixed vocabulary: kinds, stances, tiers and phases.

Kept apart from :mod:`knowledge.schema` so the engine and the explanations can name
them without importing pydantic, which a knowledge base loaded from its compiled image
never needs.
"""

from __future__ import annotations

from typing import Literal, TypeGuard

FORMAT_VERSION = 1

ClaimKind = Literal[
    "cause",
    "mechanism",
    "diagnostic",
    "relief",
    "aftercare",
    "prevention",
    "referral",
    "red_flag",
    "caution",
    "note",
]
Stance = Literal["supports", "disputes", "hedged"]
#: How firmly the source says it: as fact, hedged ("may", "can"), as the author's
#: belief ("I think"), as the author's own experience, as a figure of how common
#: something is (never evidence for a cause), or as a soft suggestion ("consider").
Modality = Literal["asserts", "hedged", "belief", "anecdote", "prevalence", "suggests"]
MODALITIES: tuple[Modality, ...] = (
    "asserts",
    "hedged",
    "belief",
    "anecdote",
    "prevalence",
    "suggests",
)
#: ``claims_research``: the source says research shows it, but the research is not on
#: the page (references cited and missing): a claim of research, not research.
EvidenceKind = Literal["anecdote", "opinion", "claims_research", "cites_research", "public_health"]
Tier = Literal["emergency", "urgent", "see_doctor", "self_care"]
Phase = Literal["now", "next_days", "prevention", "professional"]
QuestionType = Literal["yesno", "choice", "multi", "number"]
SourceKind = Literal["coach_blog", "running_blog", "product_maker", "public_health"]
TheoryKind = Literal["cause", "mechanism", "diagnostic"]

#: Claim kinds that speak about a theory (why cramps happen).
THEORY_KINDS: frozenset[str] = frozenset({"cause", "mechanism", "diagnostic"})


def is_theory_kind(kind: str) -> TypeGuard[TheoryKind]:
    """Whether a claim kind speaks about a theory (narrows it for type checkers)."""
    return kind in THEORY_KINDS


#: Claim kinds that speak about a piece of advice, and the phase that advice must have.
ADVICE_PHASE_OF_KIND: dict[str, str] = {
    "relief": "now",
    "aftercare": "next_days",
    "prevention": "prevention",
    "referral": "professional",
}
#: Triage tiers from most to least urgent.
TIERS: tuple[Tier, ...] = ("emergency", "urgent", "see_doctor", "self_care")
PHASES: tuple[str, ...] = ("now", "next_days", "prevention", "professional")


def is_tier(name: str) -> TypeGuard[Tier]:
    """Whether ``name`` is a triage tier (narrows it for type checkers)."""
    return name in TIERS
