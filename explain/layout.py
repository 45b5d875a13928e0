"""A layered (Sugiyama-style) layout computed in Python, so drawings need no Graphviz.

Layers come from :func:`networkx.topological_generations`; nodes of the kinds named in
``last`` (conclusions) are pinned to the final layer so every conclusion lines up on the
right. Inside a layer, nodes start in a fixed order (by ``kind`` then id) and a few
barycentre sweeps pull each node towards its neighbours to cut edge crossings. Every
step is a pure function of sorted input, so the same graph always gets the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import fsum
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
    layers = initial_layers(graph, last)
    # Each node's layer and relative place in it, kept up to date as layers are
    # reordered: a sweep then reads its neighbours' places instead of re-indexing
    # every other layer for every layer (quadratic in the number of layers). Which
    # neighbours lie before and after a node never changes, so it is found once.
    layer_of = {n: i for i, layer in enumerate(layers) for n in layer}
    before = {n: [p for p in graph.predecessors(n) if layer_of[p] < layer_of[n]] for n in graph}
    after = {n: [s for s in graph.successors(n) if layer_of[s] > layer_of[n]] for n in graph}
    place: dict[str, float] = {}
    for layer in layers:
        _place(layer, place)
    for _ in range(SWEEPS):
        # A sweep is a function of the order it starts from: once one changes nothing,
        # neither would the rest.
        before_sweep = [list(layer) for layer in layers]
        for i in range(1, len(layers)):
            layers[i] = _by_barycentre(layers[i], place, before)
            _place(layers[i], place)
        for i in range(len(layers) - 2, -1, -1):
            layers[i] = _by_barycentre(layers[i], place, after)
            _place(layers[i], place)
        if layers == before_sweep:
            break
    return Layout(tuple(tuple(layer) for layer in layers))


def initial_layers(graph: nx.DiGraph, last: frozenset[str]) -> list[list[str]]:
    """The layers before any sweep: topological generations, ``last`` kinds pinned to the
    final layer, each layer by kind then id."""
    kinds = {n: str(kind) for n, kind in graph.nodes(data="kind", default="")}
    pinned = {n for n, kind in graph.nodes(data="kind") if kind in last}
    layers = [[n for n in g if n not in pinned] for g in generations(graph)]
    layers = [layer for layer in layers if layer]
    if pinned:
        layers.append(list(pinned))
    return [sorted(layer, key=lambda n: (kinds[n], n)) for layer in layers]


def generations(graph: nx.DiGraph) -> list[list[str]]:
    """``networkx.topological_generations`` (the nodes with no predecessor, then those
    whose predecessors all came before...), without its generality: a report lays out
    two graphs, and this was a sixth of the layout's time. Raises
    ``networkx.NetworkXUnfeasible`` if the graph has a cycle."""
    waiting = dict(graph.in_degree())
    current = [n for n, count in waiting.items() if count == 0]
    found: list[list[str]] = []
    placed = 0
    successors = graph.successors
    while current:
        found.append(current)
        placed += len(current)
        following = []
        for node in current:
            for child in successors(node):
                waiting[child] -= 1
                if waiting[child] == 0:
                    following.append(child)
        current = following
    if placed != len(waiting):
        import networkx as nx

        raise nx.NetworkXUnfeasible("Graph contains a cycle.")
    return found


def _place(layer: list[str], place: dict[str, float]) -> None:
    """Record each node's relative place (0 to 1) in its layer."""
    size = max(len(layer) - 1, 1)
    for index, node in enumerate(layer):
        place[node] = index / size


def _by_barycentre(
    layer: list[str], place: dict[str, float], neighbours: dict[str, list[str]]
) -> list[str]:
    """Reorder one layer by the mean place of each node's ``neighbours`` (on one side)."""
    size = max(len(layer) - 1, 1)
    keyed = []
    at = place.__getitem__
    for index, node in enumerate(layer):
        near = neighbours[node]
        # fsum: the same mean whatever order the graph lists a node's neighbours in (a
        # float sum can differ in its last bit, and that can swap two nodes).
        centre = fsum(map(at, near)) / len(near) if near else index / size
        keyed.append((centre, index, node))
    keyed.sort()
    return [node for _, _, node in keyed]
