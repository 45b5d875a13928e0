"""Run the mutation suite: does lint, kb test or kb diff catch each author mistake?

Each mutation of :mod:`knowledge.mutations` is applied to a copy of the knowledge base;
then, cheapest first, until one catches it:

1. ``cramp kb lint`` (the format, unfireable claims, policy gaps, unsafe wording, weights);
2. the red-flag table (the invariant ``red-flag-table-holds``);
3. ``cramp kb diff`` against the unmutated base: a safety regression fails it; any
   other changed conclusion shows the mistake to the author;
4. every other invariant of ``cramp kb test``, on a few runners each.

A mutant marked ``safety`` (or one kb diff sees changing a runner's tier or letting
withheld advice through) is caught only by a failing check, never by a diff that merely
shows it. A check that crashes on a mutant is reported as such: a crash is a bug.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge import KnowledgeBase
from knowledge.mutations import Mutation, MutationError, apply_mutation

__all__ = ["MutantResult", "SuiteResult", "run_mutation", "run_suite", "summary_lines"]

#: Kinds of kb diff change that make a mutant a safety one, whatever it was marked.
SAFETY_KINDS = frozenset({"triage-down", "triage-up", "withheld-advice-given"})


@dataclass(frozen=True)
class MutantResult:
    """What happened to one mutant."""

    name: str
    safety: bool
    #: "lint", "kb test", "kb diff" or "" when it survived.
    caught_by: str
    #: Whether a check failed on it (not merely a diff showing it).
    failed: bool
    detail: str
    crashed: str = ""

    @property
    def caught(self) -> bool:
        """Caught by a failing check, or (not for safety mutants) shown by kb diff."""
        return bool(self.caught_by) and (self.failed or not self.safety) and not self.crashed


@dataclass(frozen=True)
class SuiteResult:
    """Every mutant's result, and the scores."""

    results: tuple[MutantResult, ...]

    @property
    def caught(self) -> int:
        """Mutants caught."""
        return sum(r.caught for r in self.results)

    @property
    def safety(self) -> tuple[MutantResult, ...]:
        """The safety mutants."""
        return tuple(r for r in self.results if r.safety)

    @property
    def score(self) -> float:
        """The share of mutants caught."""
        return self.caught / len(self.results) if self.results else 1.0

    @property
    def safety_score(self) -> float:
        """The share of safety mutants caught by a failing check."""
        safety = self.safety
        return sum(r.caught for r in safety) / len(safety) if safety else 1.0

    @property
    def survivors(self) -> tuple[MutantResult, ...]:
        """Mutants no check caught."""
        return tuple(r for r in self.results if not r.caught)

    @property
    def ok(self) -> bool:
        """At least 90 % caught, every safety mutant caught, and no check crashed."""
        return (
            self.score >= 0.9
            and self.safety_score == 1.0
            and not any(r.crashed for r in self.results)
        )


def run_mutation(
    base: KnowledgeBase, mutation: Mutation, *, runners: int = 100, examples: int = 10
) -> MutantResult:
    """Apply one mutation to a copy of ``base`` and run the checks on it."""
    with tempfile.TemporaryDirectory(prefix="cramp-mutant-") as scratch:
        try:
            root = apply_mutation(base.root, mutation, Path(scratch) / "kb")
        except MutationError as exc:
            return MutantResult(mutation.name, mutation.safety, "", False, "", crashed=str(exc))
        safety = mutation.safety
        stage = "lint"
        try:
            found = _lint(root)
            if found:
                return MutantResult(mutation.name, safety, "lint", True, found)
            stage = "kb test"
            found = _invariants(root, ("red-flag-table-holds",), examples)
            if found:
                return MutantResult(mutation.name, safety, "kb test", True, found)
            stage = "kb diff"
            unsafe, shown, kinds = _diff(base, root, Path(scratch), runners)
            safety = safety or bool(kinds & SAFETY_KINDS)
            if unsafe:
                return MutantResult(mutation.name, safety, "kb diff", True, unsafe)
            if shown and not safety:
                return MutantResult(mutation.name, safety, "kb diff", False, shown)
            stage = "kb test"
            found = _invariants(root, (), examples)
            if found:
                return MutantResult(mutation.name, safety, "kb test", True, found)
        except Exception as exc:  # a crash is what this suite exists to find
            return MutantResult(
                mutation.name,
                safety,
                "",
                False,
                "",
                crashed=f"{stage}: {type(exc).__name__}: {exc}",
            )
        detail = f"kb diff shows it ({shown}), but no check fails" if shown else ""
        return MutantResult(mutation.name, safety, "", False, detail)


def _lint(root: Path) -> str:
    from knowledge.lint import lint_knowledge_base

    result = lint_knowledge_base(root)
    if result.ok:
        return ""
    first = result.problems[0]
    more = len(result.problems) - 1
    return first.message + (f" (and {more} more)" if more else "")


def _invariants(root: Path, only: Sequence[str], examples: int) -> str:
    from hypothesis import settings

    from cramp.authoring.invariant_suite import PROFILES, check_all
    from knowledge import load_knowledge_base

    kb = load_knowledge_base(root)
    using = settings(PROFILES["ci"], max_examples=examples)
    for outcome in check_all(kb, using=using, only=only):
        if not outcome.ok:
            why = outcome.violation.message if outcome.violation else outcome.reason
            return f"{outcome.invariant.name}: {why.splitlines()[0]}"
    return ""


def _diff(
    base: KnowledgeBase, root: Path, scratch: Path, runners: int
) -> tuple[str, str, set[str]]:
    from cramp.authoring.kb_diff import Side, diff_knowledge_bases, load_side

    old = Side("unmutated", base, table=load_side(base.root, "unmutated").table)
    new = load_side(root, "mutant", scratch)
    report = diff_knowledge_bases(old, new, runners=runners, jobs=1, shrink=False)
    kinds = {k.kind.name for k in report.kinds}
    shown = ", ".join(f"{k.kind.name} for {k.runners}" for k in report.kinds)
    unsafe = ""
    if report.unsafe:
        unsafe = "; ".join(
            list(report.policy)
            + [f"{k.kind.name} for {k.runners}" for k in report.safety_regressions]
        )
    return unsafe, shown, kinds


_BASE: dict[str, KnowledgeBase] = {}


def _job(task: tuple[str, Mutation, int, int]) -> MutantResult:
    from knowledge import load_knowledge_base

    root, mutation, runners, examples = task
    if root not in _BASE:
        _BASE[root] = load_knowledge_base(root)
    return run_mutation(_BASE[root], mutation, runners=runners, examples=examples)


def run_suite(
    base: KnowledgeBase,
    mutations: Sequence[Mutation],
    *,
    runners: int = 100,
    examples: int = 10,
    jobs: int = 1,
    progress: Callable[[MutantResult], None] | None = None,
) -> SuiteResult:
    """Run every mutation (over ``jobs`` processes), reporting each result as it comes."""
    results: list[MutantResult] = []
    if jobs <= 1 or len(mutations) <= 1:
        for mutation in mutations:
            results.append(run_mutation(base, mutation, runners=runners, examples=examples))
            if progress is not None:
                progress(results[-1])
        return SuiteResult(tuple(results))
    import multiprocessing

    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else None)
    if fork:
        _BASE[str(base.root)] = base
    tasks: list[Any] = [(str(base.root), m, runners, examples) for m in mutations]
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        for result in pool.map(_job, tasks):
            results.append(result)
            if progress is not None:
                progress(result)
    return SuiteResult(tuple(results))


def result_line(result: MutantResult) -> str:
    """One line per mutant: caught (by what) or survived, and why."""
    if result.crashed:
        return f"CRASHED  {result.name}: {result.crashed}"
    if result.caught:
        how = "fails" if result.failed else "shows it"
        return f"caught   {result.name}: {result.caught_by} {how}: {result.detail}"
    mark = "SURVIVED" + (" (safety)" if result.safety else "")
    return f"{mark} {result.name}" + (f": {result.detail}" if result.detail else "")


def summary_lines(suite: SuiteResult) -> list[str]:
    """The score, the safety score, and every survivor by name."""
    total, safety = len(suite.results), suite.safety
    lines = [
        f"mutation score: {suite.caught}/{total} caught ({suite.score:.0%}); safety mutants: "
        f"{sum(r.caught for r in safety)}/{len(safety)} caught by a failing check "
        f"({suite.safety_score:.0%})"
    ]
    crashed = [r.name for r in suite.results if r.crashed]
    if crashed:
        lines.append(f"crashed: {', '.join(crashed)}")
    if suite.survivors:
        lines.append(f"survivors: {', '.join(r.name for r in suite.survivors)}")
    return lines


__all__ += ["SAFETY_KINDS", "result_line"]
