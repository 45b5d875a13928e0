"""A layered (Sugiyama-style) layout computed in Python, so drawings need no Graphviz.

Layers come from :func:`networkx.topological_generations`; nodes of the kinds named in
``last`` (conclusions) are pinned to the final layer so every conclusion lines up on the
right. Inside a layer, nodes start in a fixed order (by ``kind`` then id) and a few
barycentre sweeps pull each node towards its neighbours to cut edge crossings. Every
step is a pure function of sorted input, so the same graph always gets the same layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

SWEEPS = 4


@dataclass(frozen=True)
class Layout:
    """Where each node goes: its layer (column) and its index within that layer (row)."""

    layers: tuple[tuple[str, ...], ...]

    def position(self) -> dict[str, tuple[int, int]]:
        """Map each node to ``(layer, index)``."""
        return {n: (i, j) for i, layer in enumerate(self.layers) for j, n in enumerate(layer)}


def layered_layout(
    graph: nx.DiGraph, *, last: frozenset[str] = frozenset({"conclusion"})
) -> Layout:
    """Lay out a DAG in layers; raises ``networkx.NetworkXUnfeasible`` if it has a cycle."""
    import networkx as nx

    generations = [sorted(g) for g in nx.topological_generations(graph)]
    pinned = sorted(n for n in graph if graph.nodes[n].get("kind") in last)
    layers = [[n for n in g if n not in pinned] for g in generations]
    layers = [layer for layer in layers if layer]
    if pinned:
        layers.append(pinned)
    layers = [
        sorted(layer, key=lambda n: (str(graph.nodes[n].get("kind", "")), n)) for layer in layers
    ]
    for _ in range(SWEEPS):
        for i in range(1, len(layers)):
            layers[i] = _by_barycentre(layers[i], layers[:i], graph.predecessors)
        for i in range(len(layers) - 2, -1, -1):
            layers[i] = _by_barycentre(layers[i], layers[i + 1 :], graph.successors)
    return Layout(tuple(tuple(layer) for layer in layers))


def _by_barycentre(
    layer: list[str], others: list[list[str]], neighbours: Callable[[str], Iterable[str]]
) -> list[str]:
    """Reorder one layer by the mean relative position of each node's neighbours."""
    where: dict[str, float] = {}
    for other in others:
        size = max(len(other) - 1, 1)
        for index, node in enumerate(other):
            where[node] = index / size
    size = max(len(layer) - 1, 1)
    keyed = []
    for index, node in enumerate(layer):
        spots = [where[n] for n in neighbours(node) if n in where]
        centre = sum(spots) / len(spots) if spots else index / size
        keyed.append((centre, index, node))
    return [node for _, _, node in sorted(keyed)]
