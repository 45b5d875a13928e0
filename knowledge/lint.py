"""Lint a knowledge base: everything the loader checks, plus what keeps the content honest.

On top of loading (schema, references, conditions), lint reports:

* a claim no runner can ever trigger: no answers satisfy its conditions together with
  the ``ask_if`` preconditions the engine applies (see :mod:`knowledge.satisfy`);
* a question no claim tests, which the consultation could only ask in vain;
* a finding of the safety policy that does not withhold (or caution against) every
  tag the policy says it must, itself or through a finding it implies;
* a checklist question whose "no" raises a warning sign that "don't know" would not
  (an unticked box reads as no, so such a question is asked on its own);
* a claim read less faithfully than it is quoted: no modality; a quote that hedges
  ("may", "can", "could", "I think"...) on a claim not marked hedged, a belief or a
  suggestion, or whose ``says`` drops the hedge; an article's claim with conditions
  but no ``condition_quote`` (the words that set them);
* with a seeds directory: a quote (of a claim, or of a gap's announcement) that is not
  verbatim in its source's seed file. Only whitespace and typographic quotes are
  normalised; anything else, a dropped word or a changed spelling, is a problem.
  Public-health sources have no seed: their claims are summaries of named pages, which
  the loader already requires, and are never checked (or shown) as quotations.

A knowledge base may come from another author, so its ``seed:`` names are confined:
a seed is found inside the seeds directory only (no absolute path, no ``..``, no link
leading out of it), except ``SAFETY-NET.md``, also looked for in its parent; it is read
only if it is a regular file of at most 10 MB, and no message ever shows its text.

Every problem is positioned (``path:line:col``) on the offending item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from .conditions import Condition, Test
from .load import MANIFEST, default_directory, display_path, load_knowledge_base, source_paths
from .model import KnowledgeBase
from .problems import Problem, ProblemsError
from .satisfy import firing_answers
from .yaml_io import MAX_FILE_BYTES, Document, TooLargeError, read_limited, read_yaml, special_file

if TYPE_CHECKING:
    from .schema import Claim, Source

_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class LintResult:
    """The outcome of linting: the knowledge base if it loaded, and every problem found."""

    kb: KnowledgeBase | None
    problems: tuple[Problem, ...]
    quotes_checked: int = 0

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems


def normalise_quote(text: str) -> str:
    """Text as quotes are compared: typographic quotes made plain, whitespace collapsed."""
    return _SPACE.sub(" ", text.translate(_TYPOGRAPHIC)).strip()


#: The one seed also looked for in the parent of the seeds directory (``shared/``).
PARENT_SEED = "SAFETY-NET.md"


class SeedError(ValueError):
    """A seed that must not or cannot be read; the message is one line, without its text."""


def find_seed(name: str, seeds: Path) -> Path | None:
    """The seed file ``name`` inside ``seeds`` (``SAFETY-NET.md`` also in its parent).

    Articles live in ``shared/seeds/``; the safety net's ``SAFETY-NET.md`` sits one level
    up, in ``shared/``. :class:`SeedError` for a name that could reach outside
    (absolute, ``..``), a link leading out of the folder, or a FIFO or device.
    """
    relative = PurePath(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name or "\0" in name:
        raise SeedError(
            f"seed {name!r} must be a file name inside the seeds directory "
            "(no absolute path, no '..')"
        )
    folders = (seeds, seeds.parent) if name == PARENT_SEED else (seeds,)
    for folder in folders:
        candidate = folder / relative
        kind = special_file(candidate)
        if kind is not None:
            raise SeedError(f"seed file {name!r} is {kind}, not a file; it was not read")
        if not candidate.is_file():
            continue
        try:
            inside = candidate.resolve().is_relative_to(folder.resolve())
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            raise SeedError(
                f"seed file {name!r} is a link leading out of {folder}; it was not read"
            )
        return candidate
    return None


def read_seed(path: Path) -> str:
    """A seed file's text: UTF-8, at most 10 MB; :class:`SeedError` (never its content)."""
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except TooLargeError as exc:
        raise SeedError(f"seed file {path.name!r}: {exc.describe('a seed file')}") from None
    except OSError as exc:
        raise SeedError(f"seed file {path.name!r}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedError(
            f"seed file {path.name!r} is not UTF-8 text (byte {exc.start}: "
            f"{raw[exc.start]:#04x}); save it as UTF-8"
        ) from None


def lint_knowledge_base(
    directory: Path | str | None = None, *, seeds: Path | str | None = None
) -> LintResult:
    """Load and lint a knowledge base (the bundled one by default); never raises on content."""
    root = Path(directory) if directory is not None else default_directory()
    try:
        kb = load_knowledge_base(root)
    except ProblemsError as exc:
        return LintResult(None, exc.problems)
    problems: list[Problem] = []
    checked = 0
    documents = source_documents(kb)
    problems.extend(unfireable_claims(kb, documents))
    problems.extend(unused_questions(kb))
    problems.extend(policy_gaps(kb))
    problems.extend(checklist_hazards(kb))
    problems.extend(unsafe_wording(kb))
    problems.extend(weight_problems(kb))
    problems.extend(reading_problems(kb, documents))
    if seeds is not None:
        found, checked = unverified_quotes(kb, Path(seeds), documents)
        problems.extend(found)
    return LintResult(kb, tuple(sorted(set(problems))), checked)


def source_documents(kb: KnowledgeBase) -> dict[str, Document]:
    """Each source's parsed file, by source id, for positioning problems on its claims."""
    documents = {}
    for path in source_paths(kb.root):
        doc = read_yaml(path, display_path(path))
        if isinstance(doc.data, dict) and doc.data.get("id") in kb.sources:
            documents[doc.data["id"]] = doc
    return documents


def _claims_in_documents(
    kb: KnowledgeBase, documents: dict[str, Document] | None
) -> Iterator[tuple[Source, Document, int, Claim]]:
    """Each claim with its source, the source's document and its index there (to
    position problems)."""
    documents = documents if documents is not None else source_documents(kb)
    for source_id, source in kb.sources.items():
        for index, claim in enumerate(source.claims):
            yield source, documents[source_id], index, claim


def unfireable_claims(
    kb: KnowledgeBase, documents: dict[str, Document] | None = None
) -> list[Problem]:
    """A problem for each claim whose conditions no profile can satisfy."""
    problems = []
    for _, doc, index, claim in _claims_in_documents(kb, documents):
        if firing_answers(kb, claim.id) is None:
            conditions = kb.conditions[claim.id]
            wanted = "; ".join(c.describe() for c in conditions) or "(no conditions)"
            asked = [
                f"{c.question} is asked only if "
                + "; ".join(p.describe() for p in kb.preconditions[c.question])
                for c in conditions
                # A test of a finding has no question, and so no ask_if of its own.
                if isinstance(c, Condition) and kb.preconditions.get(c.question)
            ]
            why = f" (and {', '.join(asked)})" if asked else ""
            problems.append(
                doc.problem(
                    ("claims", index, "when"),
                    f"claim {claim.id!r} can never fire: no answers satisfy {wanted}{why}",
                )
            )
    return problems


def unused_questions(kb: KnowledgeBase) -> list[Problem]:
    """A problem for each question that no claim's conditions test."""
    path = kb.root / "questions.yaml"
    doc = read_yaml(path, display_path(path))
    problems = []
    for index, (qid, used_by) in enumerate(kb.questions_used.items()):
        if not used_by:
            problems.append(
                doc.problem(
                    ("questions", index, "id"),
                    f"question {qid!r} is tested by no claim, so its answer can change nothing",
                )
            )
    return problems


#: Words by which a quote hedges what it says.
HEDGE = re.compile(
    r"\b(may|might|can|could|possibly|perhaps|probably|likely|suggests?)\b", re.IGNORECASE
)
#: Words by which an author says it is their own belief.
BELIEF = re.compile(r"\bI (think|believe)\b|\bin my (opinion|view)\b", re.IGNORECASE)
#: Modalities that keep a quote's hedge; a prevalence figure is weaker still.
HEDGED = frozenset({"hedged", "belief", "suggests", "prevalence"})
#: What ``says`` must contain to keep each modality's hedge.
KEEPS_HEDGE = {
    "hedged": re.compile(
        r"\b(may|might|can|could|possibly|perhaps|probably|likely|suggest\w*|sometimes)\b",
        re.IGNORECASE,
    ),
    "belief": re.compile(
        r"\b(believes?|thinks?|view|opinion|argues?|holds|in (his|her|the author's) experience)\b",
        re.IGNORECASE,
    ),
    "suggests": re.compile(r"\b(consider\w*|suggest\w*|try|may|might|could|can)\b", re.IGNORECASE),
}


def reading_problems(
    kb: KnowledgeBase, documents: dict[str, Document] | None = None
) -> list[Problem]:
    """Problems with how faithfully each claim reads its article (see the module doc)."""
    problems = []
    for source, doc, index, claim in _claims_in_documents(kb, documents):
        loc = ("claims", index)
        if claim.modality is None:
            problems.append(
                doc.problem(
                    loc,
                    f"claim {claim.id!r} has no modality: say how firmly the source says "
                    "it (asserts, hedged, belief, anecdote, prevalence or suggests)",
                )
            )
            continue
        quote = claim.quote or ""
        if (belief := BELIEF.search(quote)) and claim.modality not in ("belief", "prevalence"):
            problems.append(
                doc.problem(
                    (*loc, "modality"),
                    f"claim {claim.id!r} quotes the author's belief "
                    f"(“{belief.group(0)}”), so its modality must be belief",
                    value=True,
                )
            )
        elif (hedge := HEDGE.search(quote)) and claim.modality not in HEDGED:
            problems.append(
                doc.problem(
                    (*loc, "modality"),
                    f"claim {claim.id!r}'s quote hedges (“{hedge.group(0)}”), "
                    "so its modality must be hedged, belief or suggests",
                    value=True,
                )
            )
        keeps = KEEPS_HEDGE.get(claim.modality)
        if keeps is not None and not keeps.search(claim.says):
            problems.append(
                doc.problem(
                    (*loc, "says"),
                    f"claim {claim.id!r} is {claim.modality}, but its says drops the "
                    "hedge: keep the source's own “may”, “can”, “I think”...",
                )
            )
        if source.kind != "public_health" and claim.when and claim.condition_quote is None:
            problems.append(
                doc.problem(
                    (*loc, "when"),
                    f"claim {claim.id!r} has conditions but no condition_quote: give the "
                    "article's words that set them, so a reviewer can check them",
                )
            )
    return problems


def warning_on_no(kb: KnowledgeBase) -> dict[str, str]:
    """Yes/no questions whose "no" can raise a warning sign that "don't know" would not,
    each with the title of the first warning sign (finding, or red-flag claim) it raises.

    Read through the findings a warning sign builds on; an ``unless: yes`` test holds on
    "don't know" as well as on "no", so it does not count.
    """
    signs: list[tuple[str, tuple[Test, ...]]] = [
        (finding.title, clause)
        for fid, finding in kb.findings.items()
        if finding.warning_sign
        for clause in kb.finding_clauses[fid]
    ]
    signs += [(cid, kb.conditions[cid]) for cid, c in kb.claims.items() if c.kind == "red_flag"]
    found: dict[str, str] = {}
    for title, tests in signs:
        for test in kb.answer_tests_under(tests):
            if test.qtype == "yesno" and test.holds(False) and not test.holds_unanswered:
                found.setdefault(test.question, title)
    return found


def checklist_hazards(kb: KnowledgeBase) -> list[Problem]:
    """A problem for each checklist question whose "no" raises a warning sign that "don't
    know" would not: an unticked box reads as no, so it must be asked on its own."""
    if not kb.checklists:
        return []
    path = kb.root / "questions.yaml"
    doc = read_yaml(path, display_path(path))
    hazards = warning_on_no(kb)
    problems = []
    for i, group in enumerate(kb.checklists.values()):
        for j, qid in enumerate(group.questions):
            if qid in hazards:
                problems.append(
                    doc.problem(
                        ("checklists", i, "questions", j),
                        f"{qid}: its no is a warning sign ({hazards[qid]}), and an unticked "
                        "box reads as no: ask it on its own, where don't know can be told "
                        "from no",
                    )
                )
    return problems


def policy_gaps(kb: KnowledgeBase) -> list[Problem]:
    """A problem for each tag the safety policy requires a finding to withhold or caution
    against that neither the finding nor a finding it implies does."""
    path = kb.root / "safety-policy.yaml"
    if not kb.policy or not path.is_file():
        return []
    doc = read_yaml(path, display_path(path))
    problems = []
    for index, rule in enumerate(kb.policy):
        sources = (rule.finding, *kb.implied_findings(rule.finding))
        for field, attr, verb in (
            ("forbids", "withholds", "withhold"),
            ("cautions", "cautions", "caution against"),
        ):
            covered = {t for f in sources for g in getattr(kb.findings[f], attr) for t in g.tags}
            missing = [t for t in getattr(rule, field) if t not in covered]
            if missing:
                problems.append(
                    doc.problem(
                        ("policy", index, field),
                        f"the safety policy requires finding {rule.finding!r} to {verb} "
                        f"advice tagged {', '.join(missing)}, but it does not",
                    )
                )
    return problems


def unsafe_wording(kb: KnowledgeBase) -> list[Problem]:
    """A problem for advice that tells the runner to drink without the ``drinking`` tag
    (signs of low blood sodium could not withhold it), or to stop a medicine."""
    from .safety_words import says_to_drink, stops_a_medicine

    path = kb.root / "advice.yaml"
    doc = read_yaml(path, display_path(path)) if path.is_file() else None
    problems = []
    for index, advice in enumerate(kb.advice.values()):
        said = f"{advice.title}. {advice.text}"
        found = []
        if says_to_drink(said) and "drinking" not in advice.acts_on:
            found.append(
                f"advice {advice.id!r} talks about drinking but is not tagged drinking: a "
                "runner with signs of low blood sodium would be told it"
            )
        stop = stops_a_medicine(said)
        if stop:
            found.append(
                f"advice {advice.id!r} tells the runner to stop a medicine (“{stop}”); only "
                "their doctor can say that"
            )
        for message in found:
            if doc is not None:
                problems.append(doc.problem(("advice", index, "text"), message))
            else:
                problems.append(Problem(str(path), 1, 1, message))
    return problems


def weight_problems(kb: KnowledgeBase) -> list[Problem]:
    """A problem for each weight that would turn evidence around or erase it: evidence and
    kind weights must be positive, ``supports`` positive and ``disputes`` negative."""
    path = kb.root / MANIFEST
    doc = read_yaml(path, display_path(path))
    weights = kb.manifest.weights
    problems = []
    checks: list[tuple[str, str, float, str]] = []
    checks += [("evidence", k, v, "positive") for k, v in weights.evidence.items()]
    checks += [("kind", k, v, "positive") for k, v in weights.kind.items()]
    checks += [("modality", k, v, "zero or more") for k, v in weights.modality.items()]
    for stance, value in weights.stance.items():
        checks.append(("stance", stance, value, "negative" if stance == "disputes" else "positive"))
    for group, name, value, wanted in checks:
        ok = {
            "positive": value > 0,
            "negative": value < 0,
            "zero or more": value >= 0,
        }[wanted]
        if not ok:
            problems.append(
                doc.problem(
                    ("weights", group, name),
                    f"weights.{group}.{name} is {value:g}; it must be {wanted}, or the "
                    "evidence it weighs is turned around or erased",
                )
            )
    return problems


def unverified_quotes(
    kb: KnowledgeBase, seeds: Path, documents: dict[str, Document] | None = None
) -> tuple[list[Problem], int]:
    """Problems for quotes not verbatim in their seed file, and how many quotes were checked."""
    documents = documents if documents is not None else source_documents(kb)
    problems: list[Problem] = []
    checked = 0
    for source_id, source in kb.sources.items():
        doc = documents[source_id]
        if source.kind == "public_health":
            # Summaries of public pages, never quotes: the loader has checked that each
            # names its page, and there is no text here to check them against.
            continue
        if source.seed is None:
            problems.append(doc.problem(("id",), "no seed file to check its quotes against"))
            continue
        try:
            seed = find_seed(source.seed, seeds)
            if seed is None:
                where = " nor in its parent" if source.seed == PARENT_SEED else ""
                problems.append(
                    doc.problem(("seed",), f"seed file {source.seed!r} not found in {seeds}{where}")
                )
                continue
            text = normalise_quote(read_seed(seed))
        except SeedError as exc:
            problems.append(doc.problem(("seed",), str(exc)))
            continue
        quotes = [
            (("claims", i, "quote"), f"claim {c.id!r}", c.quote)
            for i, c in enumerate(source.claims)
            if c.quote is not None
        ]
        quotes += [
            (
                ("claims", i, "condition_quote"),
                f"the condition of claim {c.id!r}",
                c.condition_quote,
            )
            for i, c in enumerate(source.claims)
            if c.condition_quote is not None
        ]
        quotes += [
            (("gaps", i, "quote"), f"gap {i + 1}", g.quote)
            for i, g in enumerate(source.gaps)
            if g.quote is not None
        ]
        for loc, what, quote in quotes:
            checked += 1
            message = _quote_problem(quote, text, seed.name)
            if message:
                problems.append(doc.problem(loc, f"quote of {what} {message}"))
    return problems, checked


def _quote_problem(quote: str, text: str, seed_name: str) -> str | None:
    wanted = normalise_quote(quote)
    if wanted in text:
        return None
    matched = _longest_prefix_in(wanted, text)
    if matched == 0:
        return f"is not verbatim in {seed_name} (not even its start is found)"
    # What follows is the quote's own text where it departs from the seed: a message
    # never shows the seed's text, which may not be the author's to show.
    return (
        f"is not verbatim in {seed_name}: the first {matched} of {len(wanted)} characters "
        f"match; it departs at {wanted[matched : matched + 30]!r}"
    )


def _longest_prefix_in(wanted: str, text: str) -> int:
    """Length of the longest prefix of ``wanted`` found in ``text`` (prefixes nest)."""
    low, high = 0, len(wanted)
    while low < high:
        mid = (low + high + 1) // 2
        if wanted[:mid] in text:
            low = mid
        else:
            high = mid - 1
    return low


__all__ = [
    "PARENT_SEED",
    "LintResult",
    "SeedError",
    "find_seed",
    "lint_knowledge_base",
    "normalise_quote",
    "policy_gaps",
    "read_seed",
    "reading_problems",
    "unfireable_claims",
    "unused_questions",
    "unverified_quotes",
]
