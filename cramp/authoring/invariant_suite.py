"""Run the invariants of :mod:`cramp.authoring.invariants` under Hypothesis and report the outcome.

Shared by ``cramp kb test`` and the pytest suite. Two Hypothesis settings profiles:

* ``ci``: derandomised (the same runners every run), no deadline (an engine run takes
  tens of milliseconds), 100 examples per invariant; the default under pytest;
* ``thorough``: random, 2,000 examples per invariant, for authors before a release
  (``cramp kb test --profile thorough``, ``pytest --hypothesis-profile thorough``).

A failing invariant is shrunk by Hypothesis to a minimal runner, printed in profile
format with the ``cramp explain`` command that shows why.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import HypothesisException

from cramp.authoring.invariants import INVARIANTS, Context, Invariant, Violation
from knowledge import KnowledgeBase

#: Every phase but "explain", which re-runs a failure many times to say which parts of
#: the input vary freely; the minimal runner is what an author needs, and it is quick.
PHASES = tuple(p for p in Phase if p != Phase.explain)
PROFILES: dict[str, settings] = {
    "ci": settings(
        phases=PHASES,
        max_examples=100,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow],
    ),
    "thorough": settings(
        phases=PHASES,
        max_examples=2000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    ),
}
#: Packages an invariant may need, by the name it gives in ``needs``.
_PACKAGES = {"clips": ("clips", "clipspy")}


def register_profiles() -> None:
    """Register the ``ci`` and ``thorough`` Hypothesis profiles (idempotent)."""
    for name, profile in PROFILES.items():
        settings.register_profile(name, profile)


@dataclass(frozen=True)
class Outcome:
    """How one invariant fared: held, broken, skipped (and why), or could not run."""

    invariant: Invariant
    status: str  # "held", "broken", "skipped" or "error"
    examples: int = 0
    searched: int = 0
    seconds: float = 0.0
    violation: Violation | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the invariant held or was skipped for a stated reason."""
        return self.status in ("held", "skipped")


def missing_package(invariant: Invariant) -> str | None:
    """The package an invariant needs and cannot import, or None."""
    if invariant.needs is None:
        return None
    module, package = _PACKAGES[invariant.needs]
    return None if importlib.util.find_spec(module) else package


def check_invariant(
    kb: KnowledgeBase | Context, invariant: Invariant, *, using: settings | None = None
) -> Outcome:
    """Check one invariant; ``using`` defaults to the current Hypothesis profile."""
    ctx = kb if isinstance(kb, Context) else Context(kb)
    started = time.perf_counter()
    package = missing_package(invariant)
    if package is not None:
        reason = f"needs {package}, which is not installed (pip install {package})"
        return Outcome(invariant, "skipped", reason=reason)
    counted = _Counted()

    def outcome(status: str, **details: Any) -> Outcome:
        seconds = time.perf_counter() - started
        return Outcome(invariant, status, seconds=seconds, **details)

    try:
        if invariant.search is not None:
            counted.searched = invariant.search(ctx)
        if invariant.examples is not None and invariant.check is not None:
            _run_property(ctx, invariant, using or settings(), counted)
    except Violation as violation:
        return outcome(
            "broken", examples=counted.examples, searched=counted.searched, violation=violation
        )
    except (HypothesisException, ExceptionGroup) as exc:
        # Flaky (a failure that did not reproduce), an unsatisfiable strategy, a health check.
        return outcome("error", reason=f"{type(exc).__name__}: {exc}")
    return outcome("held", examples=counted.examples, searched=counted.searched)


@dataclass
class _Counted:
    examples: int = 0
    searched: int = 0


def _run_property(ctx: Context, invariant: Invariant, using: settings, counted: _Counted) -> None:
    assert invariant.examples is not None and invariant.check is not None
    check = invariant.check

    def prop(example: Any) -> None:
        counted.examples += 1
        try:
            check(ctx, example)
        except Violation:
            raise
        except Exception as exc:
            # A crash is a failure too: shrink it and show the runner that causes it.
            raise Violation(
                f"checking it raised {type(exc).__name__}: {exc}", _runners_in(example)
            ) from exc

    # Hypothesis derandomises by the test's name: give each invariant its own.
    prop.__name__ = prop.__qualname__ = invariant.name.replace("-", "_")
    quiet = settings(using, verbosity=Verbosity.quiet, report_multiple_bugs=False)
    quiet(given(invariant.examples(ctx))(prop))()


def _runners_in(example: Any) -> list[Any]:
    from cramp.authoring.invariants import Runner
    from knowledge import Profile

    found = [example] if isinstance(example, Profile) else []
    if isinstance(example, tuple):
        found = [e for e in example if isinstance(e, Profile)]
    return [Runner("Minimal runner", p) for p in found]


def check_all(
    kb: KnowledgeBase,
    *,
    using: settings | None = None,
    only: Sequence[str] = (),
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Check every invariant (or the ``only`` ones), reporting each outcome as it comes."""
    ctx = Context(kb)
    outcomes = []
    for invariant in INVARIANTS:
        if only and invariant.name not in only:
            continue
        outcome = check_invariant(ctx, invariant, using=using)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def outcome_line(outcome: Outcome) -> str:
    """One line per invariant: status, name, and what was checked."""
    counted = []
    if outcome.searched:
        counted.append(f"{outcome.searched} searched")
    if outcome.examples:
        counted.append(f"{outcome.examples} runners")
    counted.append(f"{outcome.seconds:.1f} s")
    detail = {"skipped": outcome.reason, "error": "could not run"}.get(
        outcome.status, ", ".join(counted)
    )
    return f"{outcome.status:7} {outcome.invariant.name:28} {detail}"


def format_failure(outcome: Outcome, *, explain: str = "cramp explain") -> str:
    """The report of a broken invariant: what is wrong, and the minimal runner(s) as YAML.

    ``explain`` is the command that explains a conclusion for a profile file (with
    ``--kb DIR`` when the knowledge base is not the bundled one).
    """
    inv = outcome.invariant
    lines = [f"{inv.name} is broken: {inv.title}."]
    if outcome.status == "error":
        lines.append(f"  It could not be checked: {outcome.reason}")
        return "\n".join(lines) + "\n"
    violation = outcome.violation
    assert violation is not None
    lines += [f"  {line}" for line in violation.message.splitlines()]
    for index, runner in enumerate(violation.runners):
        lines.append("")
        if index == 0:
            hint = f"save it as runner.yaml, then run: {explain} runner.yaml"
            hint += f" {violation.item}" if violation.item else " triage"
            lines.append(f"  {runner.label} ({hint}):")
        else:
            lines.append(f"  {runner.label}:")
        lines.append("")
        lines += [f"    {line}" for line in runner.to_yaml().splitlines()]
    return "\n".join(lines) + "\n"


def summary_line(outcomes: Sequence[Outcome], seconds: float) -> str:
    """The closing line: how many invariants held, broke or were skipped."""
    count = {s: sum(1 for o in outcomes if o.status == s) for s in ("held", "skipped")}
    broken = sum(1 for o in outcomes if not o.ok)
    return (
        f"invariants: {count['held']} held, {broken} broken, {count['skipped']} skipped "
        f"({seconds:.1f} s)"
    )


__all__ = [
    "PROFILES",
    "Outcome",
    "check_all",
    "check_invariant",
    "format_failure",
    "missing_package",
    "outcome_line",
    "register_profiles",
    "summary_line",
]
