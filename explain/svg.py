"""Draw a layered graph as standalone SVG markup: no scripts, no fonts or images to fetch.

Each node is a box with a one-line label and a smaller second line; its full text is in
an SVG ``<title>`` (shown as a tooltip). A node with an ``href`` attribute is wrapped in
a link, so a report can jump from the drawing to the claim or conclusion it names.
Output is a pure function of the graph: same graph, byte-identical SVG.
"""

from __future__ import annotations

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
.edge.hedged,.edge.absent,.edge.also{stroke-dasharray:2 2}
.edge.cautions{stroke:#a16207;stroke-dasharray:4 3}
""".strip()


def render_svg(
    graph: nx.DiGraph, *, title: str, element_id: str = "graph", layout: Layout | None = None
) -> str:
    """SVG markup for a DAG whose nodes carry ``label`` and optionally ``sublabel``, ``href``."""
    layout = layout or layered_layout(graph)
    tallest = max((len(layer) for layer in layout.layers), default=0)
    height = 2 * MARGIN + max(tallest * (NODE_H + ROW_GAP) - ROW_GAP, NODE_H)
    width = 2 * MARGIN + max(len(layout.layers) * (NODE_W + COL_GAP) - COL_GAP, NODE_W)
    boxes: dict[str, tuple[int, int]] = {}
    for i, layer in enumerate(layout.layers):
        column_h = len(layer) * (NODE_H + ROW_GAP) - ROW_GAP
        top = MARGIN + (height - 2 * MARGIN - column_h) // 2
        for j, node in enumerate(layer):
            boxes[node] = (MARGIN + i * (NODE_W + COL_GAP), top + j * (NODE_H + ROW_GAP))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(element_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{escape(element_id)}-title">',
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>',
        f"<style>{_STYLE}</style>",
        '<g class="edges">',
    ]
    for source, target in sorted(graph.edges):
        (x1, y1), (x2, y2) = boxes[source], boxes[target]
        x1, y1, x2, y2 = x1 + NODE_W, y1 + NODE_H // 2, x2, y2 + NODE_H // 2
        bend = (x2 - x1) // 2
        role = escape(str(graph.edges[source, target].get("role", "")))
        out.append(
            f'<path class="edge {role}" d="M{x1},{y1} C{x1 + bend},{y1} '
            f'{x2 - bend},{y2} {x2},{y2}"/>'
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for layer in layout.layers:
        for node in layer:
            out.append(_node(graph, node, *boxes[node]))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _node(graph: nx.DiGraph, node: str, x: int, y: int) -> str:
    data = graph.nodes[node]
    label = str(data.get("label", node))
    sublabel = str(data.get("sublabel", data.get("kind", "")))
    detail = str(data.get("detail", ""))
    tooltip = f"{label}\n{detail}" if detail else label
    kind = escape(str(data.get("kind", "")))
    body = (
        f'<g class="node {kind}"><title>{escape(tooltip)}</title>'
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}"/>'
        f'<text class="l1" x="{x + 7}" y="{y + 15}">{escape(_fit(label))}</text>'
        f'<text class="l2" x="{x + 7}" y="{y + 30}">{escape(_fit(sublabel, LINE_CHARS + 8))}</text>'
        "</g>"
    )
    href = data.get("href")
    return f'<a href="{escape(str(href))}">{body}</a>' if href else body


def _fit(text: str, limit: int = LINE_CHARS) -> str:
    """Shorten text to one box line, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
