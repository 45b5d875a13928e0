"""The report context: the documented data every report template receives.

A template gets one variable, ``report``, a :class:`ReportContext`. Every field below
carries a ``help`` text (``dataclasses.fields(X)[i].metadata["help"]``); a test checks
none is missing, ``docs/report-context.md`` lists them all, and the JSON report is this
structure as JSON (its JSON Schema is generated from these classes). Write your own
template against these names; they are the stable contract, not the engine's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The engine's own summary and question references are part of the documented context:
# a report shows them as they are, not copied into look-alike classes.
from expert.question_ref import QuestionRef
from expert.question_ref import help_text as _help
from expert.summary import (
    Summary,
)

#: Bumped when a field is removed or changes meaning (adding a field does not bump it).
REPORT_FORMAT = 1


@dataclass(frozen=True)
class PageView:
    """A public page a safety-net source summarises."""

    title: str = field(metadata=_help("Page title."))
    url: str | None = field(
        metadata=_help("Page address (shown as text; nothing is fetched), or null if not given.")
    )


@dataclass(frozen=True)
class ClaimView:
    """One claim as cited in a report: what it says, its source, and its words.

    An article's claim has a verbatim ``quote``. A public-health claim has none: it has
    a ``summary`` of the public ``pages`` it cites, to be shown as a summary, never in
    quote marks.
    """

    id: str = field(metadata=_help("Claim id in the knowledge base, e.g. `rodmell-days-off`."))
    source: str = field(metadata=_help("Id of the source the claim is taken from."))
    source_title: str = field(metadata=_help("Title of that source."))
    source_bias: str | None = field(
        metadata=_help("The source's declared bias, or null if none is declared.")
    )
    kind: str = field(
        metadata=_help(
            "Claim kind: cause, mechanism, diagnostic, relief, aftercare, prevention, "
            "referral, red_flag or caution (a reason to hold advice back)."
        )
    )
    stance: str = field(
        metadata=_help("supports, hedged (supports with a reservation) or disputes.")
    )
    evidence: str = field(
        metadata=_help(
            "Kind of evidence the source offers: anecdote, opinion, cites_research, public_health."
        )
    )
    says: str = field(metadata=_help("What the claim says, in the knowledge base's words."))
    quote: str | None = field(
        metadata=_help(
            "A verbatim quote from the article that carries the claim; null for a "
            "public-health claim, which has a summary instead."
        )
    )
    reason: str | None = field(
        metadata=_help("For a disputing claim, the reason the source gives; else null.")
    )
    weight: float | None = field(
        metadata=_help("For a claim about a theory, its contribution to the standing; else null.")
    )
    conditions: tuple[str, ...] = field(
        metadata=_help(
            "The answers (and findings, by title) under which the claim applies, in words; "
            "empty if it applies to everyone."
        )
    )
    summary: str | None = field(
        default=None,
        metadata=_help(
            "For a public-health claim: a plain-words summary of the pages it cites (never "
            "a quotation); null for an article's claim."
        ),
    )
    pages: tuple[PageView, ...] = field(
        default=(),
        metadata=_help("For a public-health claim: the public pages its summary summarises."),
    )
    modality: str = field(
        default="asserts",
        metadata=_help(
            "How firmly the source says it: asserts, hedged, belief, anecdote, prevalence or "
            "suggests. Show the hedge with the claim (see `hedge`)."
        ),
    )
    hedge: str = field(
        default="",
        metadata=_help(
            'The hedge in a word or three: "may" (hedged), "the author thinks" (belief), '
            '"suggests", "the author\'s own experience", "how common it is, not a cause" '
            "(prevalence); empty when the source asserts it."
        ),
    )
    scope: str | None = field(
        default=None,
        metadata=_help('The article\'s own limits for the claim (e.g. "night cramps"), or null.'),
    )
    background: bool = field(
        default=False,
        metadata=_help(
            "True when it applies to every runner: what the articles say in general, never "
            "counted as evidence about this runner."
        ),
    )


@dataclass(frozen=True)
class TriageView:
    """The triage level: always the first thing a report shows."""

    tier: str = field(metadata=_help("emergency, urgent, see_doctor or self_care."))
    title: str = field(metadata=_help("The tier's name for people, e.g. `Urgent`."))
    action: str = field(
        metadata=_help(
            "What the runner should do at this tier. For self-care while warning signs are "
            "unchecked, it says this is not an all-clear."
        )
    )
    is_referral: bool = field(metadata=_help("True when the runner should contact a professional."))
    claims: tuple[ClaimView, ...] = field(
        metadata=_help(
            "Every warning-sign or referral claim that set a tier, most urgent first; empty "
            "when no warning sign applied (self-care by default)."
        )
    )
    all_clear: bool = field(
        metadata=_help(
            "True only for self-care with every warning-sign question answered and none "
            "found; never while `unchecked` is not empty."
        ),
    )
    findings: tuple[str, ...] = field(
        metadata=_help("Ids of the warning-sign findings that hold (see `findings`)."),
    )
    unchecked: tuple[QuestionRef, ...] = field(
        metadata=_help(
            'Warning-sign questions not answered yet (or answered "don\'t know"): not ruled '
            "out, so the result is not an all-clear. Empty at the emergency tier."
        ),
    )
    chain: str = field(
        default="",
        metadata=_help(
            "How the tier was reached, in one sentence: the answers, then the findings, "
            "then the tier."
        ),
    )


@dataclass(frozen=True)
class FindingView:
    """A finding that holds for the runner: what their answers point to."""

    id: str = field(metadata=_help("Finding id in the knowledge base, e.g. `possible_clot`."))
    title: str = field(metadata=_help("The finding's title, e.g. `A possible clot in a leg vein`."))
    says: str = field(metadata=_help("What it may mean, in plain words."))
    warning_sign: bool = field(
        metadata=_help("True for a warning sign: something that may not be a cramp at all.")
    )
    claims: tuple[ClaimView, ...] = field(
        metadata=_help("The claims whose sources describe the finding (its provenance).")
    )


@dataclass(frozen=True)
class WithholdReasonView:
    """Why a finding withholds a piece of advice: what the advice acts on, and the reason."""

    finding: str = field(metadata=_help("Id of the finding that withholds the advice."))
    finding_title: str = field(metadata=_help("Title of that finding."))
    tags: tuple[str, ...] = field(
        metadata=_help("What the advice acts on (its `acts_on` tags) that the finding forbids.")
    )
    because: str = field(metadata=_help("The reason, in plain words."))
    claims: tuple[ClaimView, ...] = field(metadata=_help("The claims that say why."))


@dataclass(frozen=True)
class CautionView:
    """A caution a finding puts beside a piece of advice (e.g. check with a doctor first)."""

    finding: str = field(metadata=_help("Id of the finding that puts the caution."))
    finding_title: str = field(metadata=_help("Title of that finding."))
    says: str = field(metadata=_help("The caution, in plain words."))
    claims: tuple[ClaimView, ...] = field(metadata=_help("The claims behind the caution."))


@dataclass(frozen=True)
class TermView:
    """One term of a theory's standing: evidence weight × stance factor × kind factor."""

    claim: str = field(metadata=_help("Id of the claim the term comes from."))
    source: str = field(metadata=_help("Id of the claim's source."))
    evidence: str = field(metadata=_help("The claim's kind of evidence."))
    evidence_weight: float = field(
        metadata=_help("Weight of that kind of evidence (from the manifest).")
    )
    stance: str = field(metadata=_help("The claim's stance."))
    stance_factor: float = field(metadata=_help("Factor for that stance: negative for disputes."))
    kind: str = field(metadata=_help("The claim's kind (cause, mechanism or diagnostic)."))
    kind_factor: float = field(metadata=_help("Factor for that kind."))
    weight: float = field(metadata=_help("The product: what the claim adds to the standing."))


@dataclass(frozen=True)
class ContradictionView:
    """Answers under which a theory plainly does not fit the runner."""

    because: str = field(metadata=_help("The plain-words reason."))
    answers: tuple[str, ...] = field(
        metadata=_help("Ids of the questions whose answers contradict the theory.")
    )


@dataclass(frozen=True)
class CauseView:
    """A theory as it stands for this runner, with the sources for and against side by side."""

    id: str = field(metadata=_help("Theory id."))
    title: str = field(metadata=_help("Theory title."))
    summary: str = field(metadata=_help("One-paragraph summary of the theory."))
    standing: float = field(
        metadata=_help("Sum of the terms: how strongly the applicable claims back it.")
    )
    status: str = field(
        metadata=_help(
            "supported, contested (sources for and against), disputed (only against) or "
            "contradicted (the runner's answers rule it out)."
        )
    )
    supporting: tuple[ClaimView, ...] = field(
        metadata=_help("Claims for the theory that apply to the runner.")
    )
    disputing: tuple[ClaimView, ...] = field(
        metadata=_help("Claims against it that apply to the runner.")
    )
    contradicted_by: tuple[ContradictionView, ...] = field(
        metadata=_help("Answers that contradict it; a contradicted theory is shown, not dropped.")
    )
    terms: tuple[TermView, ...] = field(
        metadata=_help("The arithmetic behind the standing, one term per claim.")
    )
    arithmetic: str = field(
        metadata=_help("The same arithmetic on one line, e.g. `+1 (a) -1 (b) = +0`.")
    )
    likely: bool = field(
        default=False,
        metadata=_help(
            "Likely for this runner: supported by their own answers, standing above zero, "
            "not contradicted."
        ),
    )
    background: tuple[ClaimView, ...] = field(
        default=(),
        metadata=_help(
            "What the articles say about it in general (claims that apply to every "
            "runner): shown, never counted."
        ),
    )
    beyond_scope: tuple[ClaimView, ...] = field(
        default=(),
        metadata=_help(
            'Disputes made for other runners (their `scope`, e.g. "night cramps"): shown '
            "beside the cause, not counted."
        ),
    )
    chain: str = field(
        default="",
        metadata=_help(
            "How the cause was reached, in one sentence: the answers behind the claims for "
            "it, the findings they pass through, then the cause."
        ),
    )


@dataclass(frozen=True)
class AdviceView:
    """A recommendation, with every claim backing it and any claim disputing it."""

    id: str = field(metadata=_help("Advice id."))
    phase: str = field(metadata=_help("now, next_days, prevention or professional."))
    title: str = field(metadata=_help("Short title."))
    text: str = field(metadata=_help("What to do, in full."))
    claims: tuple[ClaimView, ...] = field(
        metadata=_help("Claims backing it (at least one, each with a quote).")
    )
    disputed_by: tuple[ClaimView, ...] = field(
        metadata=_help("Claims that argue against it, if any.")
    )
    conflicts: tuple[str, ...] = field(
        metadata=_help("Ids of conflicts (see `conflicts`) it is part of.")
    )
    acts_on: tuple[str, ...] = field(
        metadata=_help(
            "What following it acts on (`acts_on` tags: heat, massage, running, drinking...)."
        ),
    )
    cautions: tuple[CautionView, ...] = field(
        metadata=_help("Cautions shown beside it because of a finding; empty if none."),
    )
    caveats: tuple[ClaimView, ...] = field(
        default=(),
        metadata=_help(
            'Claims that qualify it wherever it is shown (e.g. "fluid needs vary"); empty if none.'
        ),
    )
    chain: str = field(
        default="",
        metadata=_help("How it was reached, in one sentence: the answers, findings, advice."),
    )


@dataclass(frozen=True)
class PhaseView:
    """One section of what to do: now, in the next days, to prevent, when to see a professional."""

    id: str = field(metadata=_help("now, next_days, prevention or professional."))
    title: str = field(metadata=_help("Heading for the section."))
    advice: tuple[AdviceView, ...] = field(
        metadata=_help("Recommended advice of this phase; may be empty.")
    )


@dataclass(frozen=True)
class WithheldView:
    """Advice a source would back for this runner, but that a finding withholds."""

    id: str = field(metadata=_help("Advice id."))
    phase: str = field(metadata=_help("The advice's phase."))
    title: str = field(metadata=_help("The advice's title (its text is never shown)."))
    claims: tuple[ClaimView, ...] = field(metadata=_help("Claims that would back the advice."))
    withheld_by: tuple[ClaimView, ...] = field(
        metadata=_help("Every claim behind the reasons it is withheld.")
    )
    acts_on: tuple[str, ...] = field(
        metadata=_help("What the advice acts on (its `acts_on` tags).")
    )
    reasons: tuple[WithholdReasonView, ...] = field(
        metadata=_help("Each finding that withholds it, with the reason and its claims."),
    )
    chain: str = field(
        default="",
        metadata=_help(
            "Why it is withheld, in one sentence: the answers, the findings, the advice."
        ),
    )


@dataclass(frozen=True)
class SideView:
    """One side of a disagreement."""

    label: str = field(metadata=_help("`supports`, `disputes`, or the title of a piece of advice."))
    item: str = field(metadata=_help("Theory or advice id this side is about."))
    claims: tuple[ClaimView, ...] = field(
        metadata=_help("The claims on this side, each with source and quote.")
    )


@dataclass(frozen=True)
class ConflictView:
    """Sources that disagree about something that applies to this runner, both sides shown."""

    id: str = field(metadata=_help("`theory:<id>` or `advice:<conflict id>`."))
    type: str = field(
        metadata=_help(
            "theory (for and against a cause) or advice (two pieces that exclude each other)."
        )
    )
    title: str = field(metadata=_help("What the disagreement is about."))
    reason: str = field(
        metadata=_help("Why they disagree, in the sources' or the knowledge base's words.")
    )
    sides: tuple[SideView, ...] = field(metadata=_help("The sides, each with its claims."))


@dataclass(frozen=True)
class NodeView:
    """One node of the derivation graph."""

    id: str = field(
        metadata=_help(
            "Stable node id: `answer:<question>`, `given:<question>` (the raw answer to a "
            "question asked only under a condition), `premise:always`, `premise:absent`, "
            "`firing:<rule>` (rules are `gate:`, `finding:`, `claim:`, `contradiction:`, "
            "`withhold:`, `caution:`, `level:` and `recommend:`), `finding:<finding>`, a fact "
            "key such as `evidence:<claim>` or `level:<tier>`, or a conclusion: "
            "`cause:<theory>`, `advice:<advice>`, `withheld:<advice>`, `against:<advice>`, "
            "`triage`."
        )
    )
    kind: str = field(metadata=_help("answer, premise, firing, finding, fact or conclusion."))
    label: str = field(metadata=_help("Short label (a finding's title for a finding)."))
    sublabel: str = field(
        metadata=_help(
            "Second line: what sort of node it is; for a rule that needed something absent "
            "(no more urgent tier, no withholding, an `unless` test), what."
        )
    )
    detail: str = field(
        metadata=_help(
            "Longer description (for a claim's firing: the source title and its words; for "
            "any firing, what it needed to be absent)."
        )
    )
    layer: int = field(metadata=_help("Column of the layered drawing, 0 = answers."))
    row: int = field(metadata=_help("Position within its column in the drawing."))
    href: str | None = field(
        metadata=_help("Anchor in the HTML report this node links to, or null.")
    )


@dataclass(frozen=True)
class EdgeView:
    """One edge of the derivation graph: from what was used to what was derived."""

    source: str = field(metadata=_help("Node id the edge starts from."))
    target: str = field(metadata=_help("Node id it points to."))
    role: str = field(
        metadata=_help(
            "matched, unconditional, absent, declared, for, hedged, against, contradicts, "
            "recommends, backs, withholds, cautions, sets (the level sets the triage) or also "
            "(a claim that set a lower tier than the level)."
        )
    )


@dataclass(frozen=True)
class GraphView:
    """The derivation graph, limited to what leads to a conclusion or a finding."""

    nodes: tuple[NodeView, ...] = field(metadata=_help("Nodes, by layer then row."))
    edges: tuple[EdgeView, ...] = field(metadata=_help("Edges, sorted by source then target."))


@dataclass(frozen=True)
class QuoteView:
    """A quote (or, for a public-health claim, a page summary) used in this report."""

    claim: str = field(metadata=_help("Id of the claim the quote carries."))
    says: str = field(metadata=_help("What the claim says."))
    quote: str | None = field(
        metadata=_help("The verbatim quote; null for a public-health claim's summary.")
    )
    summary: str | None = field(
        default=None,
        metadata=_help("For a public-health claim: the summary of the pages it cites."),
    )
    pages: tuple[PageView, ...] = field(
        default=(), metadata=_help("For a public-health claim: the pages it summarises.")
    )


@dataclass(frozen=True)
class SourceView:
    """A source cited in the report, with its declared bias and the quotes used."""

    id: str = field(metadata=_help("Source id."))
    title: str = field(metadata=_help("Title of the article or page."))
    author: str = field(metadata=_help("Author."))
    publisher: str = field(metadata=_help("Publisher."))
    kind: str = field(metadata=_help("coach_blog, running_blog, product_maker or public_health."))
    voice: str = field(
        metadata=_help("How the source argues (tentative, confident, cites research...).")
    )
    bias: str | None = field(
        metadata=_help("Declared bias (for example, sells coaching), or null.")
    )
    pages: tuple[PageView, ...] = field(
        metadata=_help("Public pages summarised (safety net only).")
    )
    quotes: tuple[QuoteView, ...] = field(
        metadata=_help("Every quote of this source the report relies on.")
    )


@dataclass(frozen=True)
class AnswerView:
    """One question the runner answered, said they did not know, or whose answer was set aside."""

    question: str = field(metadata=_help("Question id."))
    section: str = field(metadata=_help("Section of the questionnaire."))
    prompt: str = field(metadata=_help("The question as put to the runner."))
    status: str = field(
        metadata=_help(
            "given, unknown (the runner did not know) or set_aside (the question does not "
            "apply given the other answers, so the engine ignored it)."
        )
    )
    answer: str = field(metadata=_help("The answer in words; `don't know` when unknown."))
    value: str | float | bool | tuple[str, ...] | None = field(
        metadata=_help(
            "The answer as data (yes/no a boolean, a list for several choices); null if unknown."
        )
    )
    used_by: tuple[str, ...] = field(
        metadata=_help(
            "Rules whose firing used this answer: claim ids, or rule names such as "
            "`finding:<finding>:<n>`, `gate:<question>` or `contradiction:<theory>:<n>`."
        )
    )


@dataclass(frozen=True)
class RunnerView:
    """Free text the runner gave. Untrusted: templates must escape it for their medium."""

    name: str | None = field(metadata=_help("Name or label of the runner, or null."))
    notes: str | None = field(metadata=_help("Notes, or null."))


@dataclass(frozen=True)
class KnowledgeBaseView:
    """Which knowledge base produced the report."""

    title: str = field(metadata=_help("Title of the knowledge base."))
    version: str = field(metadata=_help("Content version from the manifest."))
    hash: str = field(
        metadata=_help("SHA-256 of every knowledge file: identifies the exact content.")
    )
    short_hash: str = field(metadata=_help("First 12 hex digits of the hash."))


@dataclass(frozen=True)
class ReportContext:
    """Everything a report shows, in the order reports show it (triage first)."""

    report_format: int = field(metadata=_help("Version of this structure; see REPORT_FORMAT."))
    title: str = field(metadata=_help("Report title."))
    runner: RunnerView = field(metadata=_help("The runner's free text (untrusted)."))
    triage: TriageView = field(
        metadata=_help("Triage level, the claims that set it, and what is unchecked.")
    )
    summary: Summary = field(
        metadata=_help(
            "The short version shown first: tier and action, what is withheld, the top "
            "three causes, up to five things to do, what was not checked."
        )
    )
    findings: tuple[FindingView, ...] = field(
        metadata=_help("What the answers point to: findings that hold, warning signs first.")
    )
    disclaimer: str = field(
        metadata=_help("Information, not a diagnosis: shown next to the triage.")
    )
    withheld: tuple[WithheldView, ...] = field(
        metadata=_help(
            "Advice not advised for the runner now: a finding withholds it, with the reason. "
            "Shown before any advice."
        )
    )
    causes: tuple[CauseView, ...] = field(
        metadata=_help("Likely causes, strongest first; contradicted ones last.")
    )
    conflicts: tuple[ConflictView, ...] = field(
        metadata=_help("Where the sources disagree, both sides shown.")
    )
    phases: tuple[PhaseView, ...] = field(
        metadata=_help("What to do: now, in the next days, to prevent, when to see a professional.")
    )
    advised_against: tuple[AdviceView, ...] = field(
        metadata=_help("Advice that applying claims argue against and none backs.")
    )
    explanation: GraphView = field(
        metadata=_help(
            "The condensed explanation graph of the summary: answers → findings → triage, "
            "causes and advice, every node in words (ids and derived facts left to `graph`)."
        )
    )
    graph: GraphView = field(
        metadata=_help("The derivation graph: answers → rule firings → facts → conclusions.")
    )
    observations: tuple[ClaimView, ...] = field(
        metadata=_help(
            "What the sources observe for this runner that is neither a cause nor advice "
            "(which muscles cramp, how long a torn calf takes): `note` claims."
        )
    )
    suggested: tuple[QuestionRef, ...] = field(
        metadata=_help("Up to three unanswered questions that would change the result most.")
    )
    sources: tuple[SourceView, ...] = field(
        metadata=_help("Every source cited, with the quotes used.")
    )
    answers: tuple[AnswerView, ...] = field(
        metadata=_help("Every answer, in questionnaire order: given, unknown, set aside.")
    )
    knowledge_base: KnowledgeBaseView = field(
        metadata=_help("Version and hash of the knowledge base.")
    )
