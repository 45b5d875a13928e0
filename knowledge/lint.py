"""Lint a knowledge base: everything the loader checks, plus what keeps the content honest.

On top of loading (schema, references, conditions), lint reports:

* a claim no runner can ever trigger: no answers satisfy its conditions together with
  the ``ask_if`` preconditions the engine applies (see :mod:`knowledge.satisfy`);
* a question no claim tests, which the consultation could only ask in vain;
* with a seeds directory: a quote (of a claim, or of a gap's announcement) that is not
  verbatim in its source's seed file. Only whitespace and typographic quotes are
  normalised; anything else, a dropped word or a changed spelling, is a problem.

A knowledge base may come from another author, so its ``seed:`` names are confined:
a seed is found inside the seeds directory only (no absolute path, no ``..``, no link
leading out of it), except ``SAFETY-NET.md``, also looked for in its parent; it is read
only if it is a regular file of at most 10 MB, and no message ever shows its text.

Every problem is positioned (``path:line:col``) on the offending item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from ._yaml import MAX_FILE_BYTES, Document, TooLargeError, read_limited, read_yaml, special_file
from .load import default_directory, display_path, load_knowledge_base, source_paths
from .model import KnowledgeBase
from .problems import Problem, ProblemsError
from .satisfy import firing_answers

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


def unfireable_claims(
    kb: KnowledgeBase, documents: dict[str, Document] | None = None
) -> list[Problem]:
    """A problem for each claim whose conditions no profile can satisfy."""
    documents = documents if documents is not None else source_documents(kb)
    problems = []
    for source_id, source in kb.sources.items():
        doc = documents[source_id]
        for index, claim in enumerate(source.claims):
            if firing_answers(kb, claim.id) is None:
                conditions = kb.conditions[claim.id]
                wanted = "; ".join(c.describe() for c in conditions) or "(no conditions)"
                asked = [
                    f"{c.question} is asked only if "
                    + "; ".join(p.describe() for p in kb.preconditions[c.question])
                    for c in conditions
                    if kb.preconditions.get(c.question)
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


def unverified_quotes(
    kb: KnowledgeBase, seeds: Path, documents: dict[str, Document] | None = None
) -> tuple[list[Problem], int]:
    """Problems for quotes not verbatim in their seed file, and how many quotes were checked."""
    documents = documents if documents is not None else source_documents(kb)
    problems: list[Problem] = []
    checked = 0
    for source_id, source in kb.sources.items():
        doc = documents[source_id]
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
    "read_seed",
    "unfireable_claims",
    "unused_questions",
    "unverified_quotes",
]
