"""Render a diagnosis with the Jinja2 templates shipped in ``explain/templates``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.values import number, signed

if TYPE_CHECKING:
    import jinja2

    from expert.conclusions import Diagnosis

    from .context import GraphView

PHASE_TITLES = {
    "now": "Now, during a cramp",
    "next_days": "In the next days",
    "prevention": "To prevent the next one",
    "professional": "When to see a professional",
}


#: Output formats whose templates are autoescaped, every one of them, whatever its name.
MARKUP_FORMATS = frozenset({"html"})


#: Where compiled templates are kept between commands; see :func:`cache_templates_in`.
_TEMPLATE_CACHE: list[Path] = []


def cache_templates_in(directory: Path) -> None:
    """Keep compiled templates in ``directory`` (one its owner alone can write).

    Compiling the templates costs more than a diagnosis; like the knowledge-base image,
    the compiled code is kept and used again while the templates are unchanged. Call
    before the first :func:`environment`.
    """
    _TEMPLATE_CACHE[:] = [directory]


@cache
def environment(output: str = "text", template_dir: str | None = None) -> jinja2.Environment:
    """The template environment for one output format: strict, and escaping for HTML.

    With ``template_dir``, templates there come first: one named like a shipped template
    (``report.html.j2``) replaces it, and can extend the shipped one as
    ``default:report.html.j2`` (as datasette lets its users do).

    Autoescaping follows the format being produced, never a template's file name: in the
    HTML environment every template, macro file and string template is escaped (a
    macro file such as ``_html.j2`` has no ``.html`` in its name). Text and Markdown
    have their own escaping (the ``terminal``, ``terminal_line`` and ``md`` filters and
    ``finalize``), where HTML entities would be wrong.
    """
    import jinja2

    from knowledge.values import answer_text

    from .remembered import remembered
    from .safe_text import finalize, for_markdown, for_terminal, for_terminal_line

    shipped = jinja2.PackageLoader("explain", "templates")
    loader: jinja2.BaseLoader = shipped
    if template_dir is not None:
        loader = jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(template_dir),
                shipped,
                jinja2.PrefixLoader({"default": shipped}, delimiter=":"),
            ]
        )
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=output in MARKUP_FORMATS,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Whatever a template prints, nothing in it can drive a terminal that shows it.
        finalize=finalize,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["terminal"] = for_terminal
    env.filters["terminal_line"] = for_terminal_line
    env.filters["md"] = for_markdown
    env.filters["signed"] = signed
    env.filters["num"] = number
    env.filters["yesno"] = answer_text
    env.filters["svg"] = graph_svg
    env.filters["mermaid"] = graph_mermaid
    env.filters["withholding"] = withholding
    env.filters["withheld_sets"] = withheld_sets
    env.filters["hedge"] = hedge
    env.globals["remembered"] = remembered
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    import jinja2

    if not _TEMPLATE_CACHE:
        return None
    directory = _TEMPLATE_CACHE[0]
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        from knowledge.trust import check_directory

        check_directory(directory)
    except Exception:  # any doubt about the directory: compile afresh
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


@dataclass(frozen=True)
class ReasonGroup:
    """One reason advice is withheld, once, with every piece of advice it withholds.

    ``reason`` is a :class:`~explain.context.WithholdReasonView` (or the diagnosis's
    ``WithholdReason``); ``advice`` the withheld items it applies to, in report order;
    ``number`` counts from 1 in order of first use, for anchors (``#reason-<number>``).
    """

    number: int
    reason: Any
    advice: tuple[Any, ...]


def withholding(withheld: Any) -> list[ReasonGroup]:
    """Group withheld advice by reason (finding and its words), each reason once.

    A runner with a possible tear and a possible clot may have ten pieces of advice
    withheld for the same two reasons: the reasons are shown once, each item names them.
    """
    order: list[tuple[str, str]] = []
    reasons: dict[tuple[str, str], Any] = {}
    items: dict[tuple[str, str], list[Any]] = {}
    for item in withheld:
        for reason in item.reasons:
            key = (reason.finding, reason.because)
            if key not in reasons:
                order.append(key)
                reasons[key] = reason
                items[key] = []
            items[key].append(item)
    return [
        ReasonGroup(number, reasons[key], tuple(items[key]))
        for number, key in enumerate(order, start=1)
    ]


@dataclass(frozen=True)
class WithheldSet:
    """Withheld advice that the same reasons withhold: ``reasons`` (the
    :class:`ReasonGroup` of each, in number order) and the ``advice``, in report order."""

    reasons: tuple[ReasonGroup, ...]
    advice: tuple[Any, ...]


def withheld_sets(withheld: Any) -> list[WithheldSet]:
    """Withheld advice grouped by the set of reasons that withhold it, so a long list reads
    as a few lines: "not advised because of a possible clot and a possible tear: …"."""
    groups = withholding(withheld)
    number = {(g.reason.finding, g.reason.because): g for g in groups}
    order: list[tuple[int, ...]] = []
    items: dict[tuple[int, ...], list[Any]] = {}
    for item in withheld:
        key = tuple(sorted({number[(r.finding, r.because)].number for r in item.reasons}))
        if key not in items:
            order.append(key)
            items[key] = []
        items[key].append(item)
    by_number = {g.number: g for g in groups}
    return [
        WithheldSet(tuple(by_number[n] for n in key), tuple(items[key]))
        for key in sorted(order, key=lambda k: (-len(k), k))
    ]


def graph_svg(
    view: GraphView,
    title: str = "Derivation graph",
    *,
    element_id: str = "derivation-graph",
    wrap: bool = False,
) -> Any:
    """Inline SVG markup of a report's graph (marked safe: it escapes itself).

    ``wrap`` draws every word of each label over as many lines as it takes; otherwise
    labels are cut to one line.
    """
    from markupsafe import Markup

    from .svg import render_svg

    graph, layout = view_graph(view)
    return Markup(render_svg(graph, title=title, layout=layout, element_id=element_id, wrap=wrap))


def graph_mermaid(view: GraphView) -> str:
    """Mermaid flowchart source of a report's derivation graph."""
    from .mermaid import to_mermaid

    graph, layout = view_graph(view)
    return to_mermaid(graph, layout=layout)


def view_graph(view: GraphView) -> tuple[Any, Any]:
    """A graph to draw and its layout, rebuilt from the plain data in a report context."""
    from dataclasses import fields
    from operator import attrgetter

    from .context import NodeView
    from .layout import Layout

    names = [f.name for f in fields(NodeView)]
    nodes: dict[str, dict[str, Any]] = {}
    layers: dict[int, list[tuple[int, str]]] = {}
    for node in view.nodes:
        # Every field is a plain value: no need for asdict's deep copy.
        nodes[node.id] = dict(zip(names, attrgetter(*names)(node), strict=True))
        layers.setdefault(node.layer, []).append((node.row, node.id))
    edges = {(edge.source, edge.target): {"role": edge.role} for edge in view.edges}
    layout = Layout(tuple(tuple(n for _, n in sorted(layers[i])) for i in sorted(layers)))
    return DrawnGraph(nodes, edges), layout


class DrawnGraph:
    """What the drawings read of a networkx graph (``nodes[n]``, ``edges[s, t]``, iterating
    its nodes), over plain dicts: a report draws its graph from data, and building a
    networkx graph only to read it back cost as much as drawing it."""

    def __init__(self, nodes: dict[str, dict[str, Any]], edges: dict[tuple[str, str], Any]):
        self.nodes = nodes
        self.edges = edges

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)


def render_text(diagnosis: Diagnosis, *, title: str = "Leg cramps in runners") -> str:
    """Plain-text diagnosis for a terminal: triage first, then causes and advice."""
    template = environment().get_template("diagnosis.txt.j2")
    return template.render(d=diagnosis, phases=PHASE_TITLES, title=title)


def render_how(how: Any, *, command: str) -> str:
    """Plain-text *how* explanation (``command`` is how to re-run ``cramp explain PROFILE``)."""
    return environment().get_template("explain_how.txt.j2").render(how=how, command=command)


def render_why_not(why: Any, *, command: str) -> str:
    """Plain-text *why not* explanation."""
    return environment().get_template("explain_why_not.txt.j2").render(why=why, command=command)


def hedge(claim: Any) -> str:
    """How firmly a claim's source says it, as words to put after it: " (the author's
    belief)", " (the source hedges: it may be so)"; nothing for a plain statement."""
    from expert.conclusions import MODALITY_WORDS

    words = MODALITY_WORDS.get(getattr(claim, "modality", "asserts"), "")
    return f" ({words})" if words else ""
