"""The layered layout's sweeps, kept incrementally, order every layer as re-indexing would."""

from __future__ import annotations

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from explain.layout import SWEEPS, Layout, initial_layers, layered_layout


def reference_layout(graph: nx.DiGraph) -> Layout:
    """The sweeps as first written: each layer re-reads every other layer's order."""
    layers = initial_layers(graph, frozenset({"conclusion"}))

    def by_barycentre(layer, others, neighbours):
        where = {}
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

    for _ in range(SWEEPS):
        for i in range(1, len(layers)):
            layers[i] = by_barycentre(layers[i], layers[:i], graph.predecessors)
        for i in range(len(layers) - 2, -1, -1):
            layers[i] = by_barycentre(layers[i], layers[i + 1 :], graph.successors)
    return Layout(tuple(tuple(layer) for layer in layers))


@st.composite
def dags(draw: st.DrawFn) -> nx.DiGraph:
    """A DAG over n nodes (edges only from lower to higher numbers), some of them conclusions."""
    n = draw(st.integers(1, 30))
    names = [f"n{i:02d}" for i in range(n)]
    graph = nx.DiGraph()
    for name in names:
        graph.add_node(name, kind=draw(st.sampled_from(["answer", "claim", "conclusion"])))
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    if pairs:
        graph.add_edges_from(draw(st.lists(st.sampled_from(pairs), max_size=3 * n)))
    return graph


@given(dags())
def test_the_layout_is_the_reference_layout(graph: nx.DiGraph) -> None:
    assert layered_layout(graph) == reference_layout(graph)
