"""Generate ``docs/report-context.md``: the reference for people writing report templates.

A test checks the file in the repository equals :func:`context_markdown`; regenerate with
``python -m explain.context_docs > docs/report-context.md``.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from .context import REPORT_FORMAT, ReportContext

_INTRO = f"""\
# Report context: writing your own templates

Reports are rendered from Jinja2 templates shipped in `explain/templates/`
(`report.md.j2`, `report.html.j2`; partials with a leading underscore hold macros).
Every template receives one variable, `report`, whose structure is documented below.
It is the stable contract (format {REPORT_FORMAT}): fields may be added, but a field
is only removed or changes meaning with a new `report_format`. The JSON report is this
same structure, and `explain/schema/report.schema.json` is its JSON Schema.

Show the triage first, then `report.findings`, `report.triage.unchecked` and
`report.withheld`, before any advice: a withheld item is named by its title with its
reasons and never shown as something to do, and while `report.triage.unchecked` is not
empty the result is not an all-clear (`report.triage.all_clear` is false).

`report.summary` is the short version the bundled templates show first (it fits one
screen and one printed page): the tier and its action, what to do right now (empty at
the urgent and emergency tiers, where nothing is put beside the referral), what is
withheld and why, the three likeliest causes, up to five things to do by phase, and what
was not checked. `report.explanation` is the condensed graph of that summary, in words;
`report.graph` is the full derivation.

Templates are rendered with `StrictUndefined` (a misspelt name is an error, not an
empty string) and, for names ending `.html.j2`, HTML autoescaping. Runner text
(`report.runner.name`, `report.runner.notes`) is untrusted: in Markdown, pass it and
any other text through the `md` filter.

Filters available besides Jinja2's own:

| Filter | Does |
| --- | --- |
| `md` | escapes text for inline Markdown (no links, HTML, table cells or line breaks) |
| `terminal` | strips control characters (for text shown in a terminal) |
| `signed` | a number with its sign and at most two decimals: `+4`, `-0.5` |
| `num` | a number with at most two decimals, no trailing zeros |
| `yesno` | an answer value as the profile writes it |
| `svg(title, element_id=, wrap=)` | a graph (`report.explanation` or `report.graph`) as \
inline SVG markup (laid out in Python, no scripts); `wrap=true` draws every word of each \
label, over several lines |
| `mermaid` | a graph (`report.explanation` or `report.graph`) as a Mermaid flowchart |
| `withholding` | `report.withheld` by reason: each reason once (`.reason`), the items it \
withholds (`.advice`), and `.number` (from 1, for anchors) |
| `withheld_sets` | `report.withheld` grouped by the set of reasons that withhold it: \
`.reasons` (as `withholding` gives them) and `.advice` |

A minimal template, for example `my-report.txt.j2`:

```jinja
{{{{ report.triage.title }}}}: {{{{ report.triage.action }}}}
{{% for cause in report.causes %}}
- {{{{ cause.title }}}} ({{{{ cause.status }}}}, {{{{ cause.standing | signed }}}})
{{% endfor %}}
```

Render it with `explain.render.environment().from_string(text).render(report=context)`,
where `context = explain.report_context(kb, profile)`; for an HTML page use
`environment("html")`, which escapes every value.
"""


def context_markdown() -> str:
    """The reference page, one table per class reachable from ``ReportContext``."""
    sections = [_INTRO]
    for cls in _classes(ReportContext):
        doc = (cls.__doc__ or "").strip()
        lines = [
            f"## `{cls.__name__}`",
            "",
            doc,
            "",
            "| Field | Type | Meaning |",
            "| --- | --- | --- |",
        ]
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            help_text = f.metadata["help"].replace("|", "\\|")
            lines.append(f"| `{f.name}` | {_type_name(hints[f.name])} | {help_text} |")
        sections.append("\n".join(lines) + "\n")
    return "\n".join(sections)


def _classes(root: type) -> list[type]:
    seen: list[type] = []
    todo = [root]
    while todo:
        cls = todo.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            todo.extend(t for t in _mentioned(hints[f.name]) if t not in seen)
    return seen


def _mentioned(tp: Any) -> list[type]:
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return [tp]
    return [t for arg in typing.get_args(tp) for t in _mentioned(arg)]


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple:
        return f"list of {_type_name(args[0])}"
    if args:
        return " or ".join(_type_name(a) for a in args)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return f"[`{tp.__name__}`](#{tp.__name__.lower()})"
    return {str: "text", int: "integer", float: "number", bool: "boolean"}.get(tp, "null")


if __name__ == "__main__":
    print(context_markdown(), end="")
