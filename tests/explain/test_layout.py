"""The layered layout's sweeps, kept incrementally, order every layer as re-indexing would."""

from __future__ import annotations

import math

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from explain.layout import (
    SWEEPS,
    Layout,
    _by_barycentre,
    generations,
    initial_layers,
    layered_layout,
)


def reference_initial_layers(graph: nx.DiGraph, last: frozenset[str]) -> list[list[str]]:
    """The first layers as first written, from networkx's topological generations."""
    generations = [sorted(g) for g in nx.topological_generations(graph)]
    pinned = sorted(n for n in graph if graph.nodes[n].get("kind") in last)
    layers = [[n for n in g if n not in pinned] for g in generations]
    layers = [layer for layer in layers if layer]
    if pinned:
        layers.append(pinned)
    return [
        sorted(layer, key=lambda n: (str(graph.nodes[n].get("kind", "")), n)) for layer in layers
    ]


def reference_layout(graph: nx.DiGraph) -> Layout:
    """The sweeps as first written: each layer re-reads every other layer's order."""
    layers = reference_initial_layers(graph, frozenset({"conclusion"}))

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
            # The exactly rounded sum, as the layout takes it (see the test below).
            centre = math.fsum(spots) / len(spots) if spots else index / size
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
        kind = draw(st.sampled_from(["answer", "claim", "conclusion", None, "no kind"]))
        if kind == "no kind":
            graph.add_node(name)
        else:
            graph.add_node(name, kind=kind)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    if pairs:
        graph.add_edges_from(draw(st.lists(st.sampled_from(pairs), max_size=3 * n)))
    return graph


@given(dags())
def test_the_layout_is_the_reference_layout(graph: nx.DiGraph) -> None:
    assert layered_layout(graph) == reference_layout(graph)


@given(dags(), st.sampled_from([frozenset({"conclusion"}), frozenset(), frozenset({"a", "claim"})]))
def test_the_first_layers_are_the_reference_first_layers(graph: nx.DiGraph, last) -> None:
    assert initial_layers(graph, last) == reference_initial_layers(graph, last)


@given(dags())
def test_generations_are_networkx_s_topological_generations(graph: nx.DiGraph) -> None:
    assert [sorted(g) for g in generations(graph)] == [
        sorted(g) for g in nx.topological_generations(graph)
    ]


def test_a_cycle_is_refused_as_networkx_refuses_it() -> None:
    import pytest

    cycle = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("x", "a")])
    with pytest.raises(nx.NetworkXUnfeasible):
        generations(cycle)
    with pytest.raises(nx.NetworkXUnfeasible):
        layered_layout(cycle)


def test_a_barycentre_does_not_depend_on_the_order_neighbours_are_listed_in() -> None:
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 and 0.3 + 0.2 + 0.1 is 0.6: summed in the
    # order listed, "a" (mean 0.2) would go before or after "b" (at 0.2) by that order.
    place = {"x": 0.1, "y": 0.2, "z": 0.3, "w": 0.2}
    one = _by_barycentre(["a", "b"], place, {"a": ["x", "y", "z"], "b": ["w"]})
    other = _by_barycentre(["a", "b"], place, {"a": ["z", "y", "x"], "b": ["w"]})
    assert one == other
