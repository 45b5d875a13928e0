"""Write a graph in Graphviz DOT, for anyone who wants to draw it with Graphviz themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .layout import layered_layout

if TYPE_CHECKING:
    import networkx as nx

_STYLE = {
    "answer": 'shape=box, style="rounded,filled", fillcolor="#e8f1fb"',
    "source": 'shape=box, style="rounded,filled", fillcolor="#e8f1fb"',
    "premise": 'shape=box, style="dashed"',
    "firing": 'shape=box, style=filled, fillcolor="#fff8e1"',
    "claim": 'shape=box, style=filled, fillcolor="#fff8e1"',
    "fact": 'shape=ellipse, style=filled, fillcolor="#f3eefa"',
    "finding": 'shape=box, style="filled,bold", color="#b3261e", fillcolor="#fdecea"',
    "conclusion": 'shape=hexagon, style=filled, fillcolor="#e7f5ea"',
    "target": 'shape=hexagon, style=filled, fillcolor="#e7f5ea"',
}
_DASHED = frozenset(
    {"against", "withholds", "disputes", "contradicts", "hedged", "absent", "also", "cautions"}
)


def to_dot(graph: nx.DiGraph, *, name: str = "cramp") -> str:
    """DOT source with one statement per node and edge, in layout order."""
    layout = layered_layout(graph)
    lines = [f"digraph {quote(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for layer in layout.layers:
        for node in layer:
            data = graph.nodes[node]
            label = str(data.get("label", node))
            if data.get("sublabel"):
                label += "\n" + str(data["sublabel"])
            style = _STYLE.get(str(data.get("kind", "")), "shape=box")
            tooltip = str(data.get("detail", ""))
            lines.append(
                f"  {quote(node)} [label={quote(label)}, tooltip={quote(tooltip)}, {style}];"
            )
    for source, target in sorted(graph.edges):
        role = str(graph.edges[source, target].get("role", ""))
        style = ", style=dashed" if role in _DASHED else ""
        lines.append(f"  {quote(source)} -> {quote(target)} [label={quote(role)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def quote(text: str) -> str:
    """A DOT double-quoted string (backslashes and quotes escaped, newlines as \\n)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
