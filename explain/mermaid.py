"""Write a graph as a Mermaid flowchart (Markdown reports carry it in a ``mermaid`` block)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .layout import Layout, layered_layout

if TYPE_CHECKING:
    import networkx as nx

# Node shapes by kind: stadium for answers and sources, boxes for rules and claims,
# rounded for facts, double-edged boxes for findings, hexagons for conclusions.
_SHAPES = {
    "answer": ('(["', '"])'),
    "source": ('(["', '"])'),
    "premise": ('[/"', '"/]'),
    "firing": ('["', '"]'),
    "claim": ('["', '"]'),
    "fact": ('("', '")'),
    "finding": ('[["', '"]]'),
    "conclusion": ('{{"', '"}}'),
    "target": ('{{"', '"}}'),
}
_DASHED = frozenset(
    {
        "against",
        "withholds",
        "disputes",
        "contradicts",
        "hedged",
        "absent",
        "also",
        "cautions",
        "unconditional",
    }
)
_CLASSES = {
    "answer": "fill:#e8f1fb,stroke:#555",
    "source": "fill:#e8f1fb,stroke:#555",
    "premise": "fill:#f4f4f4,stroke:#555,stroke-dasharray:3 2",
    "firing": "fill:#fff8e1,stroke:#555",
    "claim": "fill:#fff8e1,stroke:#555",
    "fact": "fill:#f3eefa,stroke:#555",
    "finding": "fill:#fdecea,stroke:#b3261e",
    "conclusion": "fill:#e7f5ea,stroke:#333",
    "target": "fill:#e7f5ea,stroke:#333",
}


def to_mermaid(graph: nx.DiGraph, *, layout: Layout | None = None) -> str:
    """Mermaid ``flowchart LR`` source; node ids are ``n0, n1, ...`` in layout order."""
    layout = layout or layered_layout(graph)
    ids = {node: f"n{i}" for i, node in enumerate(n for layer in layout.layers for n in layer)}
    lines = ["flowchart LR"]
    for node, short in ids.items():
        data = graph.nodes[node]
        kind = str(data.get("kind", ""))
        left, right = _SHAPES.get(kind, ('["', '"]'))
        text = label_text(str(data.get("label", node)))
        sub = data.get("sublabel")
        if sub:
            text += "<br/><small>" + label_text(str(sub)) + "</small>"
        lines.append(f"  {short}{left}{text}{right}")
    for source, target in sorted(graph.edges, key=lambda e: (ids[e[0]], ids[e[1]])):
        role = graph.edges[source, target].get("role", "")
        arrow = "-.->" if role in _DASHED else "-->"
        lines.append(f"  {ids[source]} {arrow} {ids[target]}")
    used = sorted({str(graph.nodes[n].get("kind", "")) for n in graph} & set(_CLASSES))
    for kind in used:
        lines.append(f"  classDef {kind} {_CLASSES[kind]}")
        members = ",".join(ids[n] for n in ids if graph.nodes[n].get("kind") == kind)
        lines.append(f"  class {members} {kind}")
    return "\n".join(lines) + "\n"


def label_text(text: str) -> str:
    """Make text safe inside a quoted Mermaid label (entity codes for quotes and markup)."""
    text = " ".join(text.split())
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text.replace("`", "#96;")
