"""``cramp kb diff`` output: plain text, Markdown (for a pull-request comment) and JSON.

All three say the same things in the same order: the two sides and the runners; the
safety regressions, first; every other kind of changed conclusion with its count, what
it changed and the smallest runner that shows it (a profile, with the ``cramp explain``
command that shows why); the claims added, removed or changed and the runners each
reaches; and what changed in the data, by id and field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cramp.authoring.invariants import profile_yaml
from cramp.authoring.kb_diff import DiffReport, Example, KindReport, Side

__all__ = ["render_markdown", "render_text", "report_dict"]

#: Subjects listed per kind before "and N more".
SUBJECTS_SHOWN = 8


def _side(side: Side) -> dict[str, Any]:
    kb = side.kb
    return {
        "label": side.label,
        "version": kb.version,
        "hash": kb.content_hash,
        "claims": len(kb.claims),
        "questions": len(kb.questions),
        "notes": list(side.notes),
    }


def _example_dict(example: Example | None) -> dict[str, Any] | None:
    if example is None:
        return None
    return {
        "label": example.label,
        "shrunk": example.shrunk,
        "profile": example.profile.to_data(),
        "yaml": _runner_yaml(example),
        "changes": list(example.changes),
        "explain": _explain_command(example),
        "dropped": {"old": list(example.dropped_old), "new": list(example.dropped_new)},
    }


def report_dict(report: DiffReport) -> dict[str, Any]:
    """The JSON object ``cramp kb diff --format json`` prints (see docs/authoring.md)."""
    return {
        "old": _side(report.old),
        "new": _side(report.new),
        "runners": dict(report.runners),
        "seed": report.seed,
        "safety_regression": report.unsafe,
        "policy_weakened": list(report.policy),
        "changes": [
            {
                "kind": k.kind.name,
                "title": k.kind.title,
                "safety": k.kind.safety,
                "runners": k.runners,
                "subjects": [{"subject": s, "runners": n} for s, n in k.subjects],
                "smallest_runner": _example_dict(k.example),
            }
            for k in report.kinds
        ],
        "claims_reach": [
            {
                "claim": r.claim,
                "change": r.change,
                "runners": r.runners,
                "differs": r.differs,
                "smallest_runner": _example_dict(r.example),
            }
            for r in report.reach
        ],
        "data": [
            {"category": c.category, "id": c.id, "change": c.change, "fields": list(c.fields)}
            for c in report.data
        ],
        "vocabulary": {
            "questions_only_old": list(report.questions_only_old),
            "questions_only_new": list(report.questions_only_new),
            "runners_with_answers_dropped": dict(report.dropped),
        },
    }


def _runner_yaml(example: Example) -> str:
    """The runner as a profile for the NEW side, with what only OLD could take noted."""
    from knowledge import Profile

    profile = example.profile
    kept = Profile(
        {q: v for q, v in profile.answers.items() if q not in example.dropped_new},
        frozenset(q for q in profile.unknown if q not in example.dropped_new),
    )
    text = profile_yaml(kept)
    gone = [q for q in example.dropped_new]
    if gone:
        data = profile.to_data()
        text += "".join(f"# old side only: {q}: {data.get(q)}\n" for q in gone)
    return text


def _explain_command(example: Example) -> str | None:
    """How to see why, with the runner saved as runner.yaml (for the new side)."""
    if example.explain is None:
        return "cramp diagnose runner.yaml"
    return f"cramp explain runner.yaml {example.explain}"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _subjects(kind: KindReport) -> list[str]:
    shown = [f"{s} ({n})" for s, n in kind.subjects[:SUBJECTS_SHOWN]]
    rest = len(kind.subjects) - SUBJECTS_SHOWN
    if rest > 0:
        shown.append(f"and {rest} more")
    return shown


def _runner_summary(report: DiffReport) -> str:
    runners = report.runners
    parts = []
    for origin, word in (("example", "example"), ("red-flag table", "red-flag table row")):
        if runners.get(origin):
            parts.append(_count(runners[origin], word))
    if runners.get("generated"):
        parts.append(f"{runners['generated']:,} generated (seed {report.seed})")
    return f"{_count(runners.get('total', 0), 'runner')}: {', '.join(parts) or 'none'}"


def _vocabulary_lines(report: DiffReport) -> list[str]:
    lines = []
    if report.questions_only_old:
        lines.append(
            f"Questions only the old side has (answers dropped for the new side): "
            f"{', '.join(report.questions_only_old)}"
        )
    if report.questions_only_new:
        lines.append(
            f"Questions only the new side has (answers dropped for the old side): "
            f"{', '.join(report.questions_only_new)}"
        )
    for which in ("old", "new"):
        count = report.dropped.get(which, 0)
        if count:
            lines.append(
                f"{_count(count, 'runner')} had answers the {which} side cannot take "
                "(unknown questions or values), dropped for it"
            )
    return lines


def _data_lines(changes: Iterable[Any]) -> list[str]:
    return [c.describe() for c in changes]


def render_text(report: DiffReport) -> str:
    """The plain-text report."""
    old, new = report.old, report.new
    lines = [
        f"Comparing {old.label} ({old.kb.version}, {old.kb.short_hash}) with "
        f"{new.label} ({new.kb.version}, {new.kb.short_hash})",
        _runner_summary(report),
    ]
    for side in (old, new):
        lines += [f"Note on {side.label}: {note}" for note in side.notes]
    lines += _vocabulary_lines(report)
    lines.append("")
    safety = report.safety_regressions
    if report.unsafe:
        lines.append("SAFETY REGRESSIONS")
        lines += [f"  {p}" for p in report.policy]
        for kind in safety:
            lines += _text_kind(kind)
        lines.append("")
    others = [k for k in report.kinds if not k.kind.safety]
    if not report.kinds:
        lines.append("No conclusion changes for any runner.")
    elif others:
        lines.append("CHANGED CONCLUSIONS")
        for kind in others:
            lines += _text_kind(kind)
    if report.reach:
        lines += ["", "CLAIMS ADDED, REMOVED OR CHANGED, AND THE RUNNERS THEY REACH"]
        for r in report.reach:
            lines.append(
                f"  {r.claim} ({r.change}): fires for {_count(r.runners, 'runner')}"
                + (f", on one side only for {r.differs}" if r.change == "modified" else "")
            )
            if r.example is not None:
                lines.append("    smallest runner:")
                lines += [f"      {line}" for line in _runner_yaml(r.example).splitlines()]
    lines += ["", "DATA CHANGES"]
    lines += [f"  {line}" for line in _data_lines(report.data)] or ["  none"]
    lines += ["", _verdict(report)]
    return "\n".join(lines) + "\n"


def _text_kind(kind: KindReport) -> list[str]:
    lines = [f"  {kind.kind.title} [{kind.kind.name}]: {_count(kind.runners, 'runner')}"]
    lines.append(f"    on: {', '.join(_subjects(kind))}")
    example = kind.example
    how = "shrunk by Hypothesis" if example.shrunk else example.label
    lines.append(f"    smallest runner ({how}; save it as runner.yaml):")
    lines += [f"      {line}" for line in _runner_yaml(example).splitlines()]
    lines += [f"    for it: {change}" for change in example.changes]
    lines.append(f"    see why: {_explain_command(example)}")
    return lines


def _verdict(report: DiffReport) -> str:
    if report.unsafe:
        return "Safety regression: exit status 1 (unless --allow-safety-change)."
    if report.changed:
        kinds = len(report.kinds)
        return f"No safety regression; {_count(kinds, 'kind')} of changed conclusion."
    return "No safety regression; no conclusion changed."


def render_markdown(report: DiffReport) -> str:
    """The Markdown report, fit for a pull-request comment."""
    old, new = report.old, report.new
    lines = [
        "## Knowledge-base diff",
        "",
        f"**{old.label}** ({old.kb.version}, `{old.kb.short_hash}`) → "
        f"**{new.label}** ({new.kb.version}, `{new.kb.short_hash}`): "
        f"{_runner_summary(report)}.",
        "",
    ]
    notes = [f"- Note on {s.label}: {n}" for s in (old, new) for n in s.notes]
    notes += [f"- {line}" for line in _vocabulary_lines(report)]
    if notes:
        lines += [*notes, ""]
    if report.unsafe:
        lines += ["### :warning: Safety regressions", ""]
        lines += [f"- {p}" for p in report.policy]
        if report.policy:
            lines.append("")
        for kind in report.safety_regressions:
            lines += _markdown_kind(kind)
    others = [k for k in report.kinds if not k.kind.safety]
    if not report.kinds:
        lines += ["No conclusion changes for any runner.", ""]
    elif others:
        lines += ["### Changed conclusions", ""]
        lines += ["| change | runners | on |", "| --- | ---: | --- |"]
        for kind in others:
            lines.append(f"| {kind.kind.title} | {kind.runners:,} | {', '.join(_subjects(kind))} |")
        lines.append("")
        for kind in others:
            lines += _markdown_kind(kind, heading=False)
    if report.reach:
        lines += ["### Claims added, removed or changed", ""]
        lines += ["| claim | change | fires for | one side only |", "| --- | --- | ---: | ---: |"]
        for r in report.reach:
            lines.append(f"| `{r.claim}` | {r.change} | {r.runners:,} | {r.differs:,} |")
        lines.append("")
    lines += ["### Data changes", ""]
    lines += [f"- {line}" for line in _data_lines(report.data)] or ["- none"]
    lines += ["", f"**{_verdict(report)}**", ""]
    return "\n".join(lines)


def _markdown_kind(kind: KindReport, *, heading: bool = True) -> list[str]:
    example = kind.example
    title = f"{kind.kind.title}: {_count(kind.runners, 'runner')}"
    lines = [f"#### {title}" if heading else f"<details><summary>{title}</summary>", ""]
    if heading:
        lines += [f"On: {', '.join(_subjects(kind))}.", ""]
    how = "shrunk by Hypothesis" if example.shrunk else example.label
    lines += [f"Smallest runner ({how}), saved as `runner.yaml`:", "", "```yaml"]
    lines += _runner_yaml(example).splitlines()
    lines += ["```", ""]
    lines += [f"- {change}" for change in example.changes]
    lines += ["", f"See why: `{_explain_command(example)}`", ""]
    if not heading:
        lines += ["</details>", ""]
    return lines
