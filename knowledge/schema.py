"""The knowledge-base format, version 1, as pydantic models.

One model per thing an author writes: a source (with its claims), a question, a theory,
a piece of advice, a conflict between two pieces of advice, and the manifest. The
models check shape and local consistency; references between files (a claim naming a
theory, a condition naming a question) are checked by :mod:`knowledge.load`, which
sees the whole knowledge base.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .problems import with_article

FORMAT_VERSION = 1

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", min_length=2, max_length=80),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: A web address: reports link to it, so nothing but http(s) and no characters that
#: could end an HTML attribute or a Markdown autolink.
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s<>\"'`\\]+$")]
#: A weighing factor: bounded, so that no product or sum of them can overflow to infinity
#: (which JSON cannot represent) however many claims a knowledge base holds.
Weight = Annotated[float, Field(ge=-1000, le=1000, allow_inf_nan=False)]
#: A short verbatim quote from a source.
Quote = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=400)]

ClaimKind = Literal[
    "cause", "mechanism", "diagnostic", "relief", "aftercare", "prevention", "referral", "red_flag"
]
Stance = Literal["supports", "disputes", "hedged"]
EvidenceKind = Literal["anecdote", "opinion", "cites_research", "public_health"]
Tier = Literal["emergency", "urgent", "see_doctor", "self_care"]
Phase = Literal["now", "next_days", "prevention", "professional"]
QuestionType = Literal["yesno", "choice", "multi", "number"]
SourceKind = Literal["coach_blog", "running_blog", "product_maker", "public_health"]

#: Claim kinds that speak about a theory (why cramps happen).
THEORY_KINDS: frozenset[str] = frozenset({"cause", "mechanism", "diagnostic"})
#: Claim kinds that speak about a piece of advice, and the phase that advice must have.
ADVICE_PHASE_OF_KIND: dict[str, str] = {
    "relief": "now",
    "aftercare": "next_days",
    "prevention": "prevention",
    "referral": "professional",
}
#: Triage tiers from most to least urgent.
TIERS: tuple[str, ...] = ("emergency", "urgent", "see_doctor", "self_care")
PHASES: tuple[str, ...] = ("now", "next_days", "prevention", "professional")

#: Conditions are written ``question_id: test``; the test's shape is checked against the
#: question's type by the loader (see :mod:`knowledge.conditions`).
Conditions = dict[str, Any]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Model):
    """One allowed answer of a choice or multi-choice question."""

    value: Id
    label: Text


class Question(_Model):
    """A question put to the runner; its answer becomes a fact."""

    id: Id
    section: Text
    prompt: Text
    help: Text
    type: QuestionType
    choices: tuple[Choice, ...] = ()
    unit: Text | None = None
    min: float | None = None
    max: float | None = None
    ask_if: Conditions = Field(default_factory=dict)

    @model_validator(mode="after")
    def _type_fits(self) -> Question:
        if self.type in ("choice", "multi"):
            if len(self.choices) < 2:
                raise ValueError(f"{with_article(self.type)} question needs at least two choices")
            values = [c.value for c in self.choices]
            if len(set(values)) != len(values):
                raise ValueError("choice values must be unique")
        elif self.choices:
            raise ValueError(f"{with_article(self.type)} question takes no choices")
        if self.type == "number":
            if self.unit is None or self.min is None or self.max is None:
                raise ValueError("a number question needs unit, min and max")
            if self.min >= self.max:
                raise ValueError("min must be below max")
        elif self.unit is not None or self.min is not None or self.max is not None:
            raise ValueError("only number questions take unit, min and max")
        return self

    @property
    def values(self) -> tuple[Any, ...]:
        """Allowed answer values (choices, or True/False for yes/no)."""
        if self.type == "yesno":
            return (True, False)
        return tuple(c.value for c in self.choices)


class Claim(_Model):
    """One atom of knowledge: what one source says, when it applies, and a verbatim quote."""

    id: Id
    kind: ClaimKind
    says: Text
    quote: Quote
    evidence: EvidenceKind
    stance: Stance = "supports"
    theory: Id | None = None
    advice: Id | None = None
    triage: Tier | None = None
    reason: Text | None = None
    withholds: tuple[Id, ...] = ()
    when: Conditions = Field(default_factory=dict)

    @model_validator(mode="after")
    def _kind_fits(self) -> Claim:
        a_kind = with_article(self.kind)
        if self.kind in THEORY_KINDS:
            if self.theory is None:
                raise ValueError(f"{a_kind} claim must name the theory it concerns")
            if self.advice is not None:
                raise ValueError(f"{a_kind} claim concerns a theory, not advice")
        elif self.theory is not None:
            raise ValueError(f"{a_kind} claim concerns advice or triage, not a theory")
        if self.kind in ADVICE_PHASE_OF_KIND and self.kind != "referral" and self.advice is None:
            raise ValueError(f"{a_kind} claim must name the advice it concerns")
        if self.kind == "red_flag" and self.triage is None:
            raise ValueError("a red_flag claim must give a triage tier")
        if self.kind == "referral" and self.advice is None and self.triage is None:
            raise ValueError("a referral claim must name advice or a triage tier")
        if self.stance == "disputes" and self.reason is None:
            raise ValueError("a disputing claim must give the source's reason")
        return self


class SafetyPage(_Model):
    """A public page a safety-net source summarises."""

    title: Text
    #: Where the page lives; left out when the guidance names a page but not its address.
    url: Url | None = None


class Gap(_Model):
    """Something a source announces and then does not give.

    Written as plain text, or as ``{quote, missing}`` with the announcement quoted
    verbatim so that ``cramp kb lint --sources`` can check it against the seed.
    """

    quote: Quote | None = None
    missing: Text

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return {"missing": value} if isinstance(value, str) else value

    def __str__(self) -> str:
        return f"“{self.quote}” {self.missing}" if self.quote else self.missing


class Source(_Model):
    """One article (or the safety net) and every claim taken from it."""

    id: Id
    title: Text
    author: Text
    publisher: Text
    kind: SourceKind
    voice: Text
    bias: Text | None = None
    seed: Text | None = None
    pages: tuple[SafetyPage, ...] = ()
    gaps: tuple[Gap, ...] = ()
    claims: tuple[Claim, ...]


class ContradictedWhen(_Model):
    """Answers under which a theory does not fit the runner, and why in plain words."""

    when: Conditions
    because: Text


class Theory(_Model):
    """A causal explanation the sources argue about."""

    id: Id
    title: Text
    summary: Text
    contradicted_when: tuple[ContradictedWhen, ...] = ()


class Advice(_Model):
    """A recommendation shown to the runner, backed by the claims that name it."""

    id: Id
    phase: Phase
    title: Text
    text: Text


class Conflict(_Model):
    """Two pieces of advice that cannot both be followed."""

    id: Id
    between: tuple[Id, Id]
    reason: Text

    @model_validator(mode="after")
    def _two_different(self) -> Conflict:
        if self.between[0] == self.between[1]:
            raise ValueError("a conflict needs two different pieces of advice")
        return self


class Weights(_Model):
    """How a theory's standing is computed: evidence weight × stance factor × kind factor."""

    evidence: dict[EvidenceKind, Weight]
    stance: dict[Stance, Weight]
    kind: dict[Literal["cause", "mechanism", "diagnostic"], Weight]


class TierText(_Model):
    """How a triage tier is named and what it tells the runner to do."""

    title: Text
    action: Text


class Manifest(_Model):
    """``knowledge-base.yaml``: version, weighing policy, triage tiers, required sources."""

    format: Literal[1]
    version: Text
    title: Text
    disclaimer: Text
    weights: Weights
    tiers: dict[Tier, TierText]
    #: Sources this knowledge base cannot do without: if one is missing (a deleted or
    #: unsynced file), loading fails instead of running without it (the safety net).
    required_sources: tuple[Id, ...] = ()


class QuestionsFile(_Model):
    questions: tuple[Question, ...]


class TheoriesFile(_Model):
    theories: tuple[Theory, ...]


class AdviceFile(_Model):
    advice: tuple[Advice, ...]
    conflicts: tuple[Conflict, ...] = ()
