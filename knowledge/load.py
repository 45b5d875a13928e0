"""Load a knowledge-base directory, validate all of it, and report every problem at once.

A directory holds ``knowledge-base.yaml`` (the manifest), ``questions.yaml``,
``theories.yaml``, ``advice.yaml``, ``findings.yaml`` (what a runner probably has,
derived from answers), ``safety-policy.yaml`` (what each warning-sign finding requires;
both may be empty lists, never missing) and one file per source under ``sources/``.
Loading is all or nothing: a knowledge base with any problem is never returned
partially.
"""

from __future__ import annotations

import hashlib
import re
import stat
import types
import typing
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .conditions import Condition, ConditionError, FindingTest, Test, parse_conditions
from .digest import MANIFEST, SOURCES_DIR, content_hash, default_directory, source_paths
from .model import KnowledgeBase
from .problems import Problem, ProblemsError, did_you_mean, one_of, with_article
from .schema import (
    ADVICE_PHASE_OF_KIND,
    TIERS,
    AdviceFile,
    Checklist,
    FindingsFile,
    Manifest,
    QuestionsFile,
    SafetyPolicyFile,
    Source,
    TheoriesFile,
)
from .yaml_io import MAX_FILE_BYTES, Document, TooManyValues, read_yaml, special_file

FILES: dict[str, type[BaseModel]] = {
    MANIFEST: Manifest,
    "questions.yaml": QuestionsFile,
    "theories.yaml": TheoriesFile,
    "advice.yaml": AdviceFile,
    # Required even when empty: a deleted findings or policy file would otherwise load
    # as a knowledge base with no warning signs.
    "findings.yaml": FindingsFile,
    "safety-policy.yaml": SafetyPolicyFile,
}
#: Files a knowledge base may leave out.
OPTIONAL_FILES: dict[str, type[BaseModel]] = {}
#: Keys a profile reserves for itself; no question may use them as an id.
RESERVED_IDS = frozenset({"name", "notes", "finding"})
#: The most a knowledge base may hold. Memory grows with what it holds (claims above
#: all), and no command may use more than 500 MB; the largest knowledge base within
#: these limits, and the bundled one replicated a hundred times (20.8 MB, 833,444
#: values), are measured by bench/run.py (see docs/performance.md).
MAX_KB_BYTES = 22_000_000
MAX_SOURCE_FILES = 1_000
MAX_CLAIMS = 25_000
MAX_QUESTIONS = 6_000
MAX_CONDITIONS = 40_000
#: Keys, values and list items in all its files: what parsing them costs in memory.
MAX_VALUES = 900_000


def load_knowledge_base(directory: Path | str | None = None) -> KnowledgeBase:
    """Load and validate a knowledge base (the bundled one by default).

    Raises :class:`~knowledge.problems.ProblemsError` listing every problem found.
    """
    root = Path(directory) if directory is not None else default_directory()
    if directory is None:
        damaged = installed_damage(root)
        if damaged:
            raise ProblemsError(damaged)
    if root.exists() and not root.is_dir():
        raise ProblemsError(
            [Problem(str(root), 1, 1, "is a file; a knowledge base is a directory of YAML files")]
        )
    if not root.is_dir():
        raise ProblemsError([Problem(str(root), 1, 1, "knowledge base directory not found")])
    return _Loader(root).load()


def installed_damage(root: Path, package: Path | None = None) -> list[Problem]:
    """Bundled knowledge files that differ from what was installed (missing or changed).

    A wheel's ``RECORD`` lists every installed file with its SHA-256; checked here so a
    file deleted or cut short after installation is never loaded as if whole. Empty
    for a checkout or an editable install, which have no such record of the data.
    """
    import base64
    import csv

    package = package or Path(__file__).resolve().parent
    records = list(package.parent.glob("cramp_expert-*.dist-info/RECORD"))
    if len(records) != 1:
        return []
    prefix = f"{package.name}/{root.name}/"
    problems = []
    try:
        rows = list(csv.reader(records[0].read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    for row in rows:
        if len(row) < 2 or not row[0].startswith(prefix) or not row[1].startswith("sha256="):
            continue
        path = package.parent / row[0]
        shown = display_path(path)
        kind = special_file(path)
        if kind is not None:
            problems.append(Problem(shown, 1, 1, f"installed file is {kind}, not a file"))
            continue
        try:
            digest = hashlib.sha256(path.read_bytes()).digest()
        except FileNotFoundError:
            problems.append(Problem(shown, 1, 1, "installed file is missing"))
            continue
        except OSError as exc:
            problems.append(Problem(shown, 1, 1, f"cannot read file: {exc.strerror}"))
            continue
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != row[1][len("sha256=") :]:
            problems.append(Problem(shown, 1, 1, "installed file has changed since installation"))
    return problems


def display_path(path: Path) -> str:
    """``path`` as problems show it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _Loader:
    """Collects problems while validating; builds the KnowledgeBase only if there are none."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        # (namespace, id) -> (document, location) of the first definition
        self.where: dict[tuple[str, str], tuple[Document, tuple[Any, ...]]] = {}
        self.values_left = MAX_VALUES

    def _read(self, path: Path, model: type[BaseModel]) -> tuple[Document, Any] | None:
        kind = special_file(path)
        if kind is not None:
            # Never opened: a FIFO would wait for a writer, so every command would hang.
            message = f"is {kind}, not a file; a knowledge base holds only regular files"
            self.problems.append(Problem(display_path(path), 1, 1, message))
            return None
        try:
            doc = read_yaml(path, display_path(path), whole=True, max_values=self.values_left)
        except TooManyValues as exc:
            # Memory grows with what is parsed: stop here, reading no further file.
            where = exc.problems[0]
            message = (
                f"the knowledge base holds more than {MAX_VALUES:,} keys, values and list "
                "items in all (this file goes past it); it is too large to load"
            )
            self.problems.append(replace(where, message=message))
            raise ProblemsError(self.problems) from None
        except ProblemsError as exc:
            self.problems.extend(exc.problems)
            return None
        self.values_left -= doc.values
        if not isinstance(doc.data, dict):
            self.problems.append(doc.problem((), f"expected a mapping of {model.__name__} fields"))
            return None
        try:
            validated = model.model_validate(doc.data)
        except ValidationError as exc:
            self.problems.extend(_explain_validation(doc, model, exc))
            return None
        # The cross-check reads the validated model, and the document only to place
        # problems: its plain data, as large again as the model, is let go now.
        return replace(doc, data=None), validated

    def _check_size(self, paths: list[Path]) -> None:
        """Refuse, unread, a knowledge base too large to load within the memory budget."""
        if len(paths) > MAX_SOURCE_FILES:
            raise ProblemsError(
                [
                    Problem(
                        display_path(self.root / SOURCES_DIR),
                        1,
                        1,
                        f"{len(paths):,} source files; a knowledge base has at most "
                        f"{MAX_SOURCE_FILES:,}",
                    )
                ]
            )
        total = 0
        for path in [*(self.root / name for name in FILES), *paths]:
            try:
                info = path.stat()
            except OSError:
                continue  # reported when it is read
            # A file over its own limit is refused on its own, unread (see read_yaml).
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES:
                total += info.st_size
        if total > MAX_KB_BYTES:
            raise ProblemsError(
                [
                    Problem(
                        display_path(self.root),
                        1,
                        1,
                        f"the knowledge base is too large ({total:,} bytes in all); "
                        f"a knowledge base is at most {MAX_KB_BYTES / 1e6:g} MB",
                    )
                ]
            )

    def _check_counts(self, questions: dict, claims: dict, conditions: int) -> None:
        for what, count, limit in (
            ("questions", len(questions), MAX_QUESTIONS),
            ("claims", len(claims), MAX_CLAIMS),
            ("conditions (when, ask_if and contradicted_when)", conditions, MAX_CONDITIONS),
        ):
            if count > limit:
                self.problems.append(
                    Problem(
                        display_path(self.root),
                        1,
                        1,
                        f"{count:,} {what}; a knowledge base holds at most {limit:,}",
                    )
                )

    def load(self) -> KnowledgeBase:
        self._check_size(source_paths(self.root))
        parsed: dict[str, tuple[Document, Any] | None] = {}
        for name, model in FILES.items():
            path = self.root / name
            if not path.exists():
                self.problems.append(Problem(display_path(path), 1, 1, "missing file"))
                parsed[name] = None
                continue
            parsed[name] = self._read(path, model)
        for name, model in OPTIONAL_FILES.items():
            path = self.root / name
            # Absent is allowed (and left out); present but broken is a problem (recorded
            # by _read).
            if path.is_file():
                parsed[name] = self._read(path, model)
        sources: list[tuple[Document, Source]] = []
        source_dir = self.root / SOURCES_DIR
        paths = source_paths(self.root)
        if not paths:
            self.problems.append(
                Problem(display_path(source_dir), 1, 1, "no source files (sources/*.yaml)")
            )
        for path in paths:
            got = self._read(path, Source)
            if got is not None:
                sources.append(got)
        if any(v is None for v in parsed.values()):
            # Without the vocabulary files nothing can be cross-checked meaningfully.
            raise ProblemsError(self.problems)
        # Sources that failed their own checks are left out of the cross-check, and so
        # are checks that need every source (they would report spurious problems).
        all_sources = len(sources) == len(paths)
        read = {name: got for name, got in parsed.items() if got is not None}
        return self._cross_check(read, sources, all_sources)

    def _define(self, namespace: str, ident: str, doc: Document, loc: tuple[Any, ...]) -> bool:
        key = (namespace, ident)
        if key in self.where:
            first_doc, first_loc = self.where[key]
            line, _ = first_doc.where(first_loc)
            self.problems.append(
                doc.problem(
                    (*loc, "id"),
                    f"duplicate {namespace} id {ident!r} "
                    f"(first defined at {first_doc.path}:{line})",
                )
            )
            return False
        self.where[key] = (doc, loc)
        return True

    def _ref(
        self, doc: Document, loc: tuple[Any, ...], namespace: str, ident: str, known: dict
    ) -> None:
        if ident not in known:
            self.problems.append(
                doc.problem(
                    loc, f"unknown {namespace} {ident!r}{did_you_mean(ident, known)}", value=True
                )
            )

    def _conditions(
        self, doc: Document, loc: tuple[Any, ...], raw: dict, questions: dict, findings=()
    ) -> tuple[Test, ...]:
        conditions, errors = parse_conditions(raw, questions, findings)
        for err in errors:
            self.problems.append(doc.problem((*loc, *err.key), str(err), value=err.at_value))
        return tuple(conditions)

    def _tags(self, doc: Document, loc: tuple[Any, ...], tags: tuple[str, ...], known: dict):
        for j, tag in enumerate(tags):
            if tag not in known:
                hint = did_you_mean(tag, known)
                allowed = "" if hint else f"; the manifest's advice_tags are {one_of(known)}"
                self.problems.append(
                    doc.problem((*loc, j), f"unknown advice tag {tag!r}{hint}{allowed}", value=True)
                )

    def _cross_check(
        self,
        parsed: dict[str, tuple[Document, Any]],
        sources: list[tuple[Document, Source]],
        all_sources: bool,
    ) -> KnowledgeBase:
        mdoc, manifest = parsed[MANIFEST]
        qdoc, qfile = parsed["questions.yaml"]
        tdoc, tfile = parsed["theories.yaml"]
        adoc, afile = parsed["advice.yaml"]

        questions = {}
        for i, q in enumerate(qfile.questions):
            if q.id in RESERVED_IDS:
                self.problems.append(
                    qdoc.problem(("questions", i, "id"), f"{q.id!r} is reserved for profiles")
                )
            if self._define("question", q.id, qdoc, ("questions", i)):
                questions[q.id] = q
        theories = {}
        for i, t in enumerate(tfile.theories):
            if self._define("theory", t.id, tdoc, ("theories", i)):
                theories[t.id] = t
        theory_conflicts = {}
        for i, c in enumerate(tfile.conflicts):
            if self._define("conflict", c.id, tdoc, ("conflicts", i)):
                theory_conflicts[c.id] = c
            for j, ident in enumerate(c.between):
                self._ref(tdoc, ("conflicts", i, "between", j), "theory", ident, theories)
        advice = {}
        for i, a in enumerate(afile.advice):
            if self._define("advice", a.id, adoc, ("advice", i)):
                advice[a.id] = a
        conflicts = {}
        for i, c in enumerate(afile.conflicts):
            if self._define("conflict", c.id, adoc, ("conflicts", i)):
                conflicts[c.id] = c
            for j, ident in enumerate(c.between):
                self._ref(adoc, ("conflicts", i, "between", j), "advice", ident, advice)

        checklists: dict[str, Checklist] = {}
        grouped: dict[str, str] = {}
        for i, group in enumerate(qfile.checklists):
            if self._define("checklist", group.id, qdoc, ("checklists", i)):
                checklists[group.id] = group
            for j, qid in enumerate(group.questions):
                where = ("checklists", i, "questions", j)
                self._ref(qdoc, where, "question", qid, questions)
                if qid in questions and questions[qid].type != "yesno":
                    self.problems.append(
                        qdoc.problem(where, f"{qid}: only yes/no questions go in a checklist")
                    )
                elif qid in grouped:
                    self.problems.append(
                        qdoc.problem(where, f"{qid} is already in checklist {grouped[qid]!r}")
                    )
                grouped.setdefault(qid, group.id)

        preconditions: dict[str, tuple[Condition, ...]] = {}
        for i, q in enumerate(qfile.questions):
            tests = self._conditions(qdoc, ("questions", i, "ask_if"), q.ask_if, questions)
            # No findings are passed, so ask_if holds answer conditions only.
            conds = tuple(c for c in tests if isinstance(c, Condition))
            if any(c.question == q.id for c in conds):
                self.problems.append(
                    qdoc.problem(("questions", i, "ask_if"), f"{q.id}: ask_if refers to itself")
                )
            preconditions[q.id] = conds
        self._check_precondition_cycles(qdoc, qfile, preconditions)

        fdoc, ffile = parsed["findings.yaml"]
        findings = {}
        for i, f in enumerate(ffile.findings if ffile else ()):
            if self._define("finding", f.id, fdoc, ("findings", i)):
                findings[f.id] = f
        finding_clauses = {}
        for i, f in enumerate(ffile.findings if ffile else ()):
            loc = ("findings", i)
            finding_clauses[f.id] = tuple(
                self._conditions(fdoc, (*loc, "when_any", j), clause, questions, findings)
                for j, clause in enumerate(f.when_any)
            )
            for j, clause in enumerate(finding_clauses[f.id]):
                if not clause:
                    self.problems.append(
                        fdoc.problem(
                            (*loc, "when_any", j),
                            f"finding {f.id!r}: an empty clause would hold for every runner",
                        )
                    )
            for k, group in enumerate((*f.withholds, *f.cautions)):
                field = "withholds" if k < len(f.withholds) else "cautions"
                index = k if k < len(f.withholds) else k - len(f.withholds)
                self._tags(fdoc, (*loc, field, index, "tags"), group.tags, manifest.advice_tags)
        self._check_finding_cycles(fdoc, ffile, finding_clauses)

        for i, a in enumerate(afile.advice):
            self._tags(adoc, ("advice", i, "acts_on"), a.acts_on, manifest.advice_tags)

        contradictions = {}
        for i, t in enumerate(tfile.theories):
            contradictions[t.id] = tuple(
                (
                    self._conditions(
                        tdoc,
                        ("theories", i, "contradicted_when", j, "when"),
                        cw.when,
                        questions,
                        findings,
                    ),
                    cw.because,
                )
                for j, cw in enumerate(t.contradicted_when)
            )

        for name, weights in (
            ("evidence", manifest.weights.evidence),
            ("stance", manifest.weights.stance),
            ("kind", manifest.weights.kind),
        ):
            expected = typing.get_args(_field_type(type(manifest.weights), name))[0]
            missing = set(typing.get_args(expected)) - set(weights)
            if missing:
                self.problems.append(
                    mdoc.problem(
                        ("weights", name), f"weights.{name} lacks {', '.join(sorted(missing))}"
                    )
                )

        missing_tiers = set(TIERS) - set(manifest.tiers)
        if missing_tiers:
            self.problems.append(
                mdoc.problem(("tiers",), f"tiers lacks {', '.join(sorted(missing_tiers))}")
            )

        claims, claim_source, conditions = {}, {}, {}
        source_map = {}
        backed: set[str] = set()
        for sdoc, source in sources:
            if self._define("source", source.id, sdoc, ()):
                source_map[source.id] = source
            if source.kind != "public_health" and source.seed is None:
                self.problems.append(
                    sdoc.problem(("id",), "an article source must name its seed file")
                )
            if source.kind == "public_health" and not source.pages:
                self.problems.append(
                    sdoc.problem(("id",), "a public-health source must cite its pages")
                )
            if source.kind == "public_health" and source.seed is not None:
                self.problems.append(
                    sdoc.problem(
                        ("seed",),
                        "a public-health source summarises public pages; it has no seed "
                        "file to quote from",
                    )
                )
            page_ids = {page.id for page in source.pages}
            for i, claim in enumerate(source.claims):
                loc = ("claims", i)
                self._check_citation(sdoc, loc, source, claim, page_ids)
                if self._define("claim", claim.id, sdoc, loc):
                    claims[claim.id] = claim
                    claim_source[claim.id] = source.id
                if claim.theory is not None:
                    self._ref(sdoc, (*loc, "theory"), "theory", claim.theory, theories)
                if claim.advice is not None:
                    self._ref(sdoc, (*loc, "advice"), "advice", claim.advice, advice)
                    expected_phase = ADVICE_PHASE_OF_KIND.get(claim.kind)
                    got = advice.get(claim.advice)
                    if got is not None and expected_phase and got.phase != expected_phase:
                        message = (
                            f"{with_article(claim.kind)} claim must back advice of phase "
                            f"{expected_phase!r}, but {claim.advice!r} has phase {got.phase!r}"
                        )
                        self.problems.append(sdoc.problem((*loc, "advice"), message, value=True))
                    if claim.stance != "disputes":
                        backed.add(claim.advice)
                conditions[claim.id] = self._conditions(
                    sdoc, (*loc, "when"), claim.when, questions, findings
                )

        for i, ident in enumerate(manifest.required_sources):
            if all_sources and ident not in source_map:
                self.problems.append(
                    mdoc.problem(
                        ("required_sources", i),
                        f"required source {ident!r} is missing (no file in {SOURCES_DIR}/ "
                        "defines it); the knowledge base is incomplete",
                        value=True,
                    )
                )

        for i, f in enumerate(ffile.findings if ffile else ()):
            loc = ("findings", i)
            for j, ident in enumerate(f.backed_by):
                self._ref(fdoc, (*loc, "backed_by", j), "claim", ident, claims)
            for k, group in enumerate((*f.withholds, *f.cautions)):
                field = "withholds" if k < len(f.withholds) else "cautions"
                index = k if k < len(f.withholds) else k - len(f.withholds)
                for j, ident in enumerate(group.backed_by):
                    self._ref(fdoc, (*loc, field, index, "backed_by", j), "claim", ident, claims)

        pdoc, pfile = parsed["safety-policy.yaml"]
        policy = tuple(pfile.policy) if pfile else ()
        for i, rule in enumerate(policy):
            self._check_policy_rule(pdoc, ("policy", i), rule, findings, manifest.advice_tags)

        for i, a in enumerate(afile.advice):
            for j, ident in enumerate(a.caveats):
                self._ref(adoc, ("advice", i, "caveats", j), "claim", ident, claims)
            if all_sources and a.id not in backed:
                self.problems.append(
                    adoc.problem(("advice", i, "id"), f"advice {a.id!r} has no claim backing it")
                )

        counted = sum(len(c) for c in conditions.values()) + sum(
            len(c) for c in preconditions.values()
        )
        counted += sum(len(when) for pairs in contradictions.values() for when, _ in pairs)
        self._check_counts(questions, claims, counted)
        if self.problems:
            raise ProblemsError(self.problems)
        return KnowledgeBase(
            root=self.root,
            manifest=manifest,
            questions=questions,
            theories=theories,
            advice=advice,
            conflicts=conflicts,
            sources=source_map,
            claims=claims,
            claim_source=claim_source,
            conditions=conditions,
            preconditions=preconditions,
            contradictions=contradictions,
            content_hash=content_hash(self.root),
            findings=findings,
            finding_clauses=finding_clauses,
            policy=policy,
            theory_conflicts=theory_conflicts,
            checklists=checklists,
        )

    def _check_policy_rule(
        self,
        doc: Document,
        loc: tuple[Any, ...],
        rule: Any,
        findings: dict,
        tags: dict,
    ) -> None:
        """A policy rule names a finding of this knowledge base, with known tags.

        Whether the finding withholds what the policy forbids is checked by ``cramp kb
        lint`` (statically) and ``cramp kb test`` (on runners, naming the smallest one),
        so that a weakened finding is reported with a runner it would harm.
        """
        finding = findings.get(rule.finding)
        if finding is None:
            self.problems.append(
                doc.problem(
                    (*loc, "finding"),
                    f"the safety policy names finding {rule.finding!r}, which the knowledge "
                    f"base does not define{did_you_mean(rule.finding, findings)}",
                    value=True,
                )
            )
            return
        if not finding.warning_sign and rule.min_tier:
            self.problems.append(
                doc.problem(
                    (*loc, "finding"),
                    f"finding {rule.finding!r} has a tier in the safety policy, so it must be "
                    "marked warning_sign: true",
                    value=True,
                )
            )
        self._tags(doc, (*loc, "forbids"), rule.forbids, tags)
        self._tags(doc, (*loc, "cautions"), rule.cautions, tags)

    def _check_finding_cycles(self, doc: Document | None, ffile: Any, clauses: dict) -> None:
        """A finding may not depend on itself, directly or through other findings.

        Walked with an explicit stack, so a long chain cannot exhaust Python's recursion.
        """
        depends = {
            f: {t.finding for clause in cs for t in clause if isinstance(t, FindingTest)}
            for f, cs in clauses.items()
        }
        state: dict[str, int] = {}
        for i, f in enumerate(ffile.findings if ffile else ()):
            if f.id in state or f.id not in depends:
                continue
            stack = [(f.id, iter(sorted(depends[f.id])))]
            state[f.id] = 1
            cyclic = False
            while stack and not cyclic:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(child) == 1:
                    cyclic = True
                elif child not in state and child in depends:
                    state[child] = 1
                    stack.append((child, iter(sorted(depends[child]))))
            for node, _ in stack:
                state[node] = 2
            if cyclic and doc is not None:
                self.problems.append(
                    doc.problem(("findings", i, "when_any"), f"finding {f.id!r} depends on itself")
                )

    def _check_citation(
        self, doc: Document, loc: tuple[Any, ...], source: Source, claim: Any, pages: set[str]
    ) -> None:
        """An article claim quotes its article; a public-health claim summarises a page.

        Public-health guidance reaches this knowledge base through our own summaries of
        named pages, so it is never shown as a quotation; an article's words are.
        """
        if source.kind == "public_health":
            if claim.quote is not None:
                self.problems.append(
                    doc.problem(
                        (*loc, "quote"),
                        f"claim {claim.id!r} of a public-health source cannot quote: give "
                        "a plain-words summary of the page it cites (summary, pages)",
                    )
                )
            if claim.summary is None:
                self.problems.append(
                    doc.problem(loc, f"claim {claim.id!r} needs a summary of the page it cites")
                )
            if not claim.pages:
                self.problems.append(
                    doc.problem(loc, f"claim {claim.id!r} must name the page it summarises (pages)")
                )
            for j, page in enumerate(claim.pages):
                self._ref(doc, (*loc, "pages", j), "page", page, dict.fromkeys(pages))
            return
        if claim.quote is None:
            self.problems.append(
                doc.problem(loc, f"claim {claim.id!r} needs a verbatim quote from its article")
            )
        for name in ("summary", "pages"):
            if getattr(claim, name):
                self.problems.append(
                    doc.problem(
                        (*loc, name),
                        f"claim {claim.id!r} is from an article: it quotes the article "
                        f"verbatim and takes no {name}",
                    )
                )

    def _check_precondition_cycles(self, qdoc: Document, qfile: Any, pre: dict) -> None:
        # Depth-first with an explicit stack: a chain of hundreds of ask_if questions
        # must not exhaust Python's recursion limit.
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for i, q in enumerate(qfile.questions):
            if q.id in state:
                continue
            cyclic = False
            state[q.id] = 1
            stack = [(q.id, iter(pre.get(q.id, ())))]
            while stack:
                qid, below = stack[-1]
                for c in below:
                    seen = state.get(c.question)
                    if seen == 1:
                        cyclic = True
                    elif seen is None:
                        state[c.question] = 1
                        stack.append((c.question, iter(pre.get(c.question, ()))))
                        break
                else:
                    state[qid] = 2
                    stack.pop()
            if cyclic:
                self.problems.append(
                    qdoc.problem(
                        ("questions", i, "ask_if"), f"{q.id}: ask_if conditions form a cycle"
                    )
                )


# --- turning pydantic's errors into positioned, readable problems -----------------------

_QUOTED = re.compile(r"'([^']*)'")


def _explain_validation(
    doc: Document, model: type[BaseModel], exc: ValidationError
) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # Point at the offending value, except for fields that are missing or unknown.
        at_value = err["type"] not in ("missing", "extra_forbidden")
        problems.append(doc.problem(loc, _message(model, loc, err), value=at_value))
    return problems


def _message(model: type[BaseModel], loc: tuple[Any, ...], err: ErrorDetails) -> str:
    kind = err["type"]
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "document")
    value = err.get("input")
    if kind == "missing":
        return f"missing required field {field!r}"
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        allowed = list(parent.model_fields) if parent else []
        return f"unknown field {field!r}{did_you_mean(field, allowed)}" + (
            f"; allowed: {', '.join(allowed)}"
            if allowed and not did_you_mean(field, allowed)
            else ""
        )
    if kind in ("literal_error", "enum"):
        allowed = _QUOTED.findall(err.get("ctx", {}).get("expected", ""))
        return f"{field}: {value!r} is not {one_of(allowed)}{did_you_mean(value, allowed)}"
    if kind == "string_pattern_mismatch" and field == "url":
        return f"{field}: {value!r} is not a web address (http:// or https://, no spaces or quotes)"
    if kind == "string_pattern_mismatch":
        return f"{field}: {value!r} is not a valid id (lowercase letters, digits, '-' and '_')"
    if kind == "string_too_short":
        return f"{field}: must not be empty" if not value else f"{field}: {err['msg'].lower()}"
    if kind == "value_error":
        return f"{err['msg'].removeprefix('Value error, ')}"
    return f"{field}: {err['msg'][:1].lower()}{err['msg'][1:]}"


def _field_type(model: type[BaseModel], name: str) -> Any:
    return model.model_fields[name].annotation


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that the value at ``loc`` is validated against."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, str):
            if not (isinstance(current, type) and issubclass(current, BaseModel)):
                return None
            if part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        else:
            args = typing.get_args(current)
            current = args[0] if args else None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional[...] and Annotated[...] down to the class underneath."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else tp
            if len(rest) != 1:
                return tp
        else:
            return tp


__all__ = ["ConditionError", "default_directory", "load_knowledge_base"]
