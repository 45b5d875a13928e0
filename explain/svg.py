"""Draw a layered graph as standalone SVG markup: no scripts, no fonts or images to fetch.

Each node is a box with its label and a smaller second line; its full text is in an SVG
``<title>`` (shown as a tooltip). With ``wrap=True`` every word of both is drawn, over
as many lines as it takes (boxes grow to fit, nothing is cut short); otherwise each is
cut to one line with an ellipsis. A node with an ``href`` attribute is wrapped in a
link, so a report can jump from the drawing to what it names; a drawing with links is a
``group`` (its links are reachable), one without is an ``img``. Output is a pure
function of the graph: same graph, byte-identical SVG.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

from .layout import Layout, layered_layout

if TYPE_CHECKING:
    import networkx as nx

NODE_W = 220
NODE_H = 38
COL_GAP = 70
ROW_GAP = 10
MARGIN = 12
#: Characters that fit on a line of a box at the font size used below.
LINE_CHARS = 31
#: Characters per line when labels are wrapped (kept well inside the box: no glyph of a
#: wide font runs past its edge).
WRAP_CHARS = 30

_STYLE = """
.node rect{stroke:#555;stroke-width:1;rx:5;ry:5}
.node text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;fill:#111}
.node .l1{font-size:11px;font-weight:600}.node .l2{font-size:9.5px;fill:#444}
.answer rect{fill:#e8f1fb}.premise rect{fill:#f4f4f4;stroke-dasharray:3 2}
.firing rect{fill:#fff8e1}.fact rect{fill:#f3eefa}.conclusion rect{fill:#e7f5ea;stroke-width:1.6}
.finding rect{fill:#fdecea;stroke:#b3261e}
.source rect{fill:#e8f1fb}.claim rect{fill:#fff8e1}.target rect{fill:#e7f5ea}
.edge{fill:none;stroke:#8a8a8a;stroke-width:1}
.edge.against,.edge.withholds,.edge.disputes,.edge.contradicts{stroke:#b3261e;stroke-dasharray:4 3}
.edge.hedged,.edge.absent,.edge.also,.edge.unconditional{stroke-dasharray:2 2}
.edge.cautions{stroke:#a16207;stroke-dasharray:4 3}
""".strip()


#: A box's lines: its label's, then its second line's.
Lines = tuple[tuple[str, ...], tuple[str, ...]]

#: Line heights of the label and the second line, and the padding inside a box.
L1_H = 14
L2_H = 12
PAD = 6


def render_svg(
    graph: nx.DiGraph,
    *,
    title: str,
    element_id: str = "graph",
    layout: Layout | None = None,
    wrap: bool = False,
) -> str:
    """SVG markup for a DAG whose nodes carry ``label`` and optionally ``sublabel``, ``href``."""
    layout = layout or layered_layout(graph)
    lines = {node: _lines(graph, node, wrap) for layer in layout.layers for node in layer}
    sizes = {n: _box_height(*ls) for n, ls in lines.items()}
    columns = [sum(sizes[n] for n in layer) + ROW_GAP * (len(layer) - 1) for layer in layout.layers]
    height = 2 * MARGIN + max(max(columns, default=0), NODE_H)
    width = 2 * MARGIN + max(len(layout.layers) * (NODE_W + COL_GAP) - COL_GAP, NODE_W)
    boxes: dict[str, tuple[int, int]] = {}
    for i, layer in enumerate(layout.layers):
        y = MARGIN + (height - 2 * MARGIN - columns[i]) // 2
        for node in layer:
            boxes[node] = (MARGIN + i * (NODE_W + COL_GAP), y)
            y += sizes[node] + ROW_GAP
    linked = any(graph.nodes[n].get("href") for n in graph)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(element_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="{"group" if linked else "img"}" aria-labelledby="{escape(element_id)}-title">',
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>',
        f"<style>{_STYLE}</style>",
        '<g class="edges">',
    ]
    for source, target in sorted(graph.edges):
        (x1, y1), (x2, y2) = boxes[source], boxes[target]
        y1 += sizes[source] // 2
        y2 += sizes[target] // 2
        x1 += NODE_W
        bend = (x2 - x1) // 2
        role = _escaped(str(graph.edges[source, target].get("role", "")))
        out.append(
            f'<path class="edge {role.replace(" ", "-")}" d="M{x1},{y1} C{x1 + bend},{y1} '
            f'{x2 - bend},{y2} {x2},{y2}"/>'
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for layer in layout.layers:
        for node in layer:
            out.append(_node(graph, node, *boxes[node], sizes[node], lines[node]))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _lines(graph: nx.DiGraph, node: str, wrap: bool) -> Lines:
    """The label's lines and the second line's lines of one node's box."""
    data = graph.nodes[node]
    return _wrapped(
        str(data.get("label", node)), str(data.get("sublabel", data.get("kind", ""))), wrap
    )


@lru_cache(maxsize=8192)
def _wrapped(label: str, sublabel: str, wrap: bool) -> Lines:
    """The lines of a box's label and second line (the same words recur in every report
    of a batch: answers, claims and conclusions are drawn again and again)."""
    label = " ".join(label.split())
    sublabel = " ".join(sublabel.split())
    if not wrap:
        return (_fit(label),), (_fit(sublabel, LINE_CHARS + 8),)
    return (
        tuple(textwrap.wrap(label, WRAP_CHARS, break_on_hyphens=False) or [""]),
        tuple(textwrap.wrap(sublabel, WRAP_CHARS + 6, break_on_hyphens=False)),
    )


@lru_cache(maxsize=8192)
def _escaped(text: str) -> str:
    """``html.escape`` of a text that recurs from report to report (labels, tooltips)."""
    return escape(text)


def _box_height(l1: tuple[str, ...], l2: tuple[str, ...]) -> int:
    if len(l1) == 1 and len(l2) <= 1:
        return NODE_H
    return 2 * PAD + L1_H * len(l1) + L2_H * len(l2) + 2


def _node(
    graph: nx.DiGraph,
    node: str,
    x: int,
    y: int,
    h: int,
    lines: Lines,
) -> str:
    data = graph.nodes[node]
    label = " ".join(str(data.get("label", node)).split())
    detail = str(data.get("detail", ""))
    tooltip = f"{label}\n{detail}" if detail else label
    kind = _escaped(str(data.get("kind", "")))
    l1, l2 = lines
    if len(l1) == 1 and len(l2) <= 1:
        texts = [f'<text class="l1" x="{x + 7}" y="{y + 15}">{_escaped(l1[0])}</text>']
        if l2:
            texts.append(f'<text class="l2" x="{x + 7}" y="{y + 30}">{_escaped(l2[0])}</text>')
    else:
        texts = []
        base = y + PAD + 11
        for i, line in enumerate(l1):
            texts.append(
                f'<text class="l1" x="{x + 7}" y="{base + i * L1_H}">{_escaped(line)}</text>'
            )
        base += L1_H * len(l1) + 1
        for i, line in enumerate(l2):
            texts.append(
                f'<text class="l2" x="{x + 7}" y="{base + i * L2_H}">{_escaped(line)}</text>'
            )
    body = (
        f'<g class="node {kind}"><title>{_escaped(tooltip)}</title>'
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{h}"/>' + "".join(texts) + "</g>"
    )
    href = data.get("href")
    return f'<a href="{_escaped(str(href))}">{body}</a>' if href else body


def _fit(text: str, limit: int = LINE_CHARS) -> str:
    """Shorten text to one box line, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
