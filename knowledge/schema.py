"""The knowledge-base format, version 1, as pydantic models.

One model per thing an author writes: a source (with its claims), a question, a theory,
a piece of advice, a conflict between two pieces of advice, a finding (what the runner
probably has, derived from answers and other findings), the safety policy, and the
manifest. The models check shape and local consistency; references between files (a
claim naming a theory, a condition naming a question or a finding) are checked by
:mod:`knowledge.load`, which sees the whole knowledge base.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .problems import with_article
from .records import GapText, QuestionValues
from .vocabulary import (
    ADVICE_PHASE_OF_KIND,
    MODALITIES,
    THEORY_KINDS,
    ClaimKind,
    EvidenceKind,
    Modality,
    Phase,
    QuestionType,
    SourceKind,
    Stance,
    TheoryKind,
    Tier,
)
from .vocabulary import FORMAT_VERSION as FORMAT_VERSION  # the vocabulary is re-exported
from .vocabulary import PHASES as PHASES
from .vocabulary import TIERS as TIERS

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

#: Conditions are written ``question_id: test``; the test's shape is checked against the
#: question's type by the loader (see :mod:`knowledge.conditions`).
Conditions = dict[str, Any]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Model):
    """One allowed answer of a choice or multi-choice question."""

    value: Id
    label: Text


class Question(QuestionValues, _Model):
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


class Claim(_Model):
    """One atom of knowledge: what one source says, when it applies, and a verbatim quote."""

    id: Id
    kind: ClaimKind
    says: Text
    #: How firmly the source says it (see :data:`Modality`); ``says`` keeps its hedge.
    #: ``cramp kb lint`` requires it on every claim.
    modality: Modality | None = None
    #: Verbatim words of an article (checked by ``cramp kb lint --sources``).
    quote: Quote | None = None
    #: The article's words that set the claim's condition (``when``), verbatim, so a
    #: reviewer can check the condition is no broader than the article.
    condition_quote: Quote | None = None
    #: What the claim is about, in the article's own limits (e.g. "night cramps"): a
    #: dispute of a theory is shown to every runner the theory is offered to, labelled
    #: with its scope, and counted only within it.
    scope: Text | None = None
    #: For a public-health source: what the cited page says, in our own plain words.
    #: Shown as a summary of that page, never inside quote marks.
    summary: Text | None = None
    #: Ids of the source's ``pages`` that the summary summarises.
    pages: tuple[Id, ...] = ()
    evidence: EvidenceKind
    stance: Stance = "supports"
    theory: Id | None = None
    advice: Id | None = None
    triage: Tier | None = None
    reason: Text | None = None
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
        if self.kind == "caution" and (self.advice is not None or self.triage is not None):
            raise ValueError(
                "a caution claim says what not to do; findings cite it when they withhold "
                "advice, so it names no advice and no triage tier"
            )
        if self.kind == "note" and (self.advice is not None or self.triage is not None):
            raise ValueError(
                "a note says what a source observes (which muscles, how long, when), shown "
                "as such; it names no advice and no triage tier"
            )
        if self.stance == "disputes" and self.reason is None:
            raise ValueError("a disputing claim must give the source's reason")
        return self


class SafetyPage(_Model):
    """A public page a safety-net source summarises."""

    id: Id
    title: Text
    #: Where the page lives; left out when the guidance names a page but not its address.
    url: Url | None = None


class Gap(GapText, _Model):
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
    """A recommendation shown to the runner, backed by the claims that name it.

    ``acts_on`` says what following it does to the runner's body or day (heat, massage,
    running, drinking...): a warning-sign finding withholds advice by these tags.
    """

    id: Id
    phase: Phase
    title: Text
    text: Text
    acts_on: tuple[Id, ...] = Field(min_length=1)
    #: Claims whose words qualify this advice wherever it is shown (e.g. "fluid needs
    #: vary" beside a quantity of fluid).
    caveats: tuple[Id, ...] = ()


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


class TheoryConflict(_Model):
    """Two theories the sources offer as rival explanations of the same cramps."""

    id: Id
    between: tuple[Id, Id]
    reason: Text

    @model_validator(mode="after")
    def _two_different(self) -> TheoryConflict:
        if self.between[0] == self.between[1]:
            raise ValueError("a conflict needs two different theories")
        return self


class Withholding(_Model):
    """Advice a finding forbids, by what it acts on, with the reason shown to the runner."""

    tags: tuple[Id, ...] = Field(min_length=1)
    because: Text
    #: Claims that say why (shown as the reason's sources).
    backed_by: tuple[Id, ...] = Field(min_length=1)


class Caution(_Model):
    """Advice a finding lets stand only with a caution, e.g. "check with your doctor first"."""

    tags: tuple[Id, ...] = Field(min_length=1)
    says: Text
    backed_by: tuple[Id, ...] = Field(min_length=1)


class Finding(_Model):
    """What the runner probably has, derived from answers and other findings.

    A finding holds when any one of its ``when_any`` clauses holds (each a ``when``
    mapping, all of whose tests hold). Claims, withholding and cautions test findings,
    so the engine chains: answers → findings → claims and triage → advice.
    """

    id: Id
    title: Text
    says: Text
    #: A warning sign: something that may not be a cramp (a tear, a clot...).
    warning_sign: bool = False
    when_any: tuple[Conditions, ...] = Field(min_length=1)
    #: Claims whose sources describe this finding (its provenance).
    backed_by: tuple[Id, ...] = Field(min_length=1)
    withholds: tuple[Withholding, ...] = ()
    cautions: tuple[Caution, ...] = ()


class PolicyRule(_Model):
    """What the safety policy requires for one warning-sign finding."""

    finding: Id
    #: The least triage tier a runner with this finding may be given.
    min_tier: Tier | None = None
    #: Advice tags that must never be active while the finding holds.
    forbids: tuple[Id, ...] = ()
    #: Advice tags that may stand only with a caution while the finding holds.
    cautions: tuple[Id, ...] = ()
    why: Text


class Weights(_Model):
    """How a theory's standing is computed.

    evidence weight × stance factor × modality factor × kind factor, for each claim that
    applies to this runner because of their answers (claims that apply to everyone are
    background: shown, never counted).
    """

    evidence: dict[EvidenceKind, Weight]
    stance: dict[Stance, Weight]
    kind: dict[TheoryKind, Weight]
    modality: dict[Modality, Weight] = Field(default_factory=lambda: dict.fromkeys(MODALITIES, 1.0))


class TierText(_Model):
    """How a triage tier is named and what it tells the runner to do.

    ``action_unchecked`` replaces ``action`` while some warning signs were not checked
    (unanswered, or "don't know"): self-care is then never worded as an all-clear.
    """

    title: Text
    action: Text
    action_unchecked: Text | None = None


class Manifest(_Model):
    """``knowledge-base.yaml``: version, weighing policy, triage tiers, required sources."""

    format: Literal[1]
    version: Text
    title: Text
    disclaimer: Text
    weights: Weights
    tiers: dict[Tier, TierText]
    #: What each ``acts_on`` tag of a piece of advice means.
    advice_tags: dict[Id, Text] = Field(default_factory=dict)
    #: Sources this knowledge base cannot do without: if one is missing (a deleted or
    #: unsynced file), loading fails instead of running without it (the safety net).
    required_sources: tuple[Id, ...] = ()


class QuestionsFile(_Model):
    questions: tuple[Question, ...]


class TheoriesFile(_Model):
    theories: tuple[Theory, ...]
    conflicts: tuple[TheoryConflict, ...] = ()


class AdviceFile(_Model):
    advice: tuple[Advice, ...]
    conflicts: tuple[Conflict, ...] = ()


class FindingsFile(_Model):
    findings: tuple[Finding, ...]


class SafetyPolicyFile(_Model):
    policy: tuple[PolicyRule, ...]
