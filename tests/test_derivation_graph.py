"""The derivation graph: a DAG from answers to conclusions, built from the trace alone."""

from __future__ import annotations

import networkx as nx
import pytest
from fixture_data import HOSTILE, NIGHT, fixture_kb, fixture_profile
from hypothesis import HealthCheck, given, settings

from expert.conclusions import diagnose_run
from expert.engine import Reasoner
from explain.dot import to_dot
from explain.graph import PREMISE, conclusions, derivation_graph, relevant
from explain.kb_graph import knowledge_graph
from explain.layout import layered_layout
from explain.mermaid import to_mermaid
from explain.svg import render_svg
from knowledge import load_knowledge_base
from knowledge.runners import profiles

REAL_KB = load_knowledge_base()


def _graph(kb, profile):
    return derivation_graph(kb, Reasoner.for_kb(kb).run(profile))


def check_graph(kb, profile) -> None:
    """Every property a derivation graph must have, for one profile."""
    run = Reasoner.for_kb(kb).run(profile)
    diagnosis = diagnose_run(kb, run)
    graph = derivation_graph(kb, run, diagnosis)
    assert nx.is_directed_acyclic_graph(graph)
    kinds = dict(graph.nodes(data="kind"))
    for node in conclusions(graph):
        ancestors = nx.ancestors(graph, node)
        roots = {a for a in ancestors if kinds[a] in ("answer", "premise")}
        if node == "triage" and graph.nodes[node]["default"]:
            assert not ancestors  # self-care by default rests on no firing at all
        else:
            assert roots, f"{node} reaches no answer and no premise"
    for node, kind in kinds.items():
        if kind != "firing":
            continue
        parents = set(graph.predecessors(node))
        if PREMISE in parents:
            # Only a claim with no conditions rests on no answer, and it says so.
            assert kb.conditions[graph.nodes[node]["claim"]] == ()
            assert parents == {PREMISE}
        else:
            assert parents
        claim = graph.nodes[node].get("claim")
        if claim:
            assert graph.nodes[node]["quote"] == kb.claims[claim].quote
            assert graph.nodes[node]["source"] == kb.claim_source[claim]
    # Every derived fact was declared by a firing in the trace.
    for node, kind in kinds.items():
        if kind == "fact":
            assert any(kinds[p] == "firing" for p in graph.predecessors(node))
    # Each reported conclusion is a node.
    expected = {f"cause:{c.id}" for c in diagnosis.causes} | {
        f"advice:{a.id}" for a in diagnosis.advice
    }
    assert expected <= set(conclusions(graph))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(REAL_KB, names=True))
def test_the_derivation_graph_is_a_dag_rooted_in_answers_for_any_profile(profile):
    check_graph(REAL_KB, profile)


@pytest.mark.parametrize("path", [NIGHT, HOSTILE], ids=["night", "hostile"])
def test_the_fixture_profiles_have_well_formed_graphs(path):
    check_graph(fixture_kb(), fixture_profile(path))


def test_a_claim_without_conditions_hangs_from_the_no_condition_premise():
    graph = _graph(fixture_kb(), fixture_profile(NIGHT))
    assert ("premise:always", "firing:claim:steve-electrolytes-contribute") in graph.edges
    assert graph.nodes["premise:always"]["kind"] == "premise"


def test_a_recommendation_is_derived_from_the_claims_that_back_it():
    graph = _graph(fixture_kb(), fixture_profile(NIGHT))
    ancestors = nx.ancestors(graph, "advice:rest_few_days")
    assert "firing:claim:rodmell-days-off" in ancestors
    assert "answer:cramp_timing" in ancestors
    assert "answer:recovery" not in ancestors


def test_withheld_advice_points_back_to_the_safety_rule_that_withholds_it():
    graph = _graph(fixture_kb(), fixture_profile(HOSTILE))
    node = "withheld:hydrate_before_during"
    assert "withhold:safety-hyponatraemia:hydrate_before_during" in graph.pred[node]
    assert "answer:drank_lots_plain_water" in nx.ancestors(graph, node)
    assert graph.nodes["triage"]["tier"] == "emergency"


def test_the_relevant_part_leaves_out_answers_no_rule_used():
    graph = _graph(fixture_kb(), fixture_profile(NIGHT))
    shown = relevant(graph)
    assert "answer:sleep_quality" in graph and "answer:sleep_quality" not in shown
    assert set(conclusions(shown)) == set(conclusions(graph))


def test_the_layout_puts_every_conclusion_in_the_last_layer_after_its_parents():
    graph = relevant(_graph(fixture_kb(), fixture_profile(HOSTILE)))
    layout = layered_layout(graph)
    assert set(layout.layers[-1]) == set(conclusions(graph))
    where = layout.position()
    assert all(where[a][0] < where[b][0] for a, b in graph.edges)
    assert sorted(n for layer in layout.layers for n in layer) == sorted(graph)


def test_the_same_graph_gives_byte_identical_svg_mermaid_and_dot():
    kb = fixture_kb()
    first = relevant(_graph(kb, fixture_profile(NIGHT)))
    # A second graph built from a second run, with nodes inserted in another order.
    second_raw = relevant(_graph(kb, fixture_profile(NIGHT)))
    second = nx.DiGraph()
    second.add_nodes_from(sorted(second_raw.nodes(data=True), reverse=True))
    second.add_edges_from(sorted(second_raw.edges(data=True), reverse=True))
    assert render_svg(first, title="t") == render_svg(second, title="t")
    assert to_mermaid(first) == to_mermaid(second)
    assert to_dot(first) == to_dot(second)


def test_the_svg_has_no_script_and_escapes_its_labels():
    graph = nx.DiGraph()
    graph.add_node("a", kind="answer", label="<script>alert(1)</script>", detail='"&')
    graph.add_node("b", kind="conclusion", label="ok", href="#x")
    graph.add_edge("a", "b", role="matched")
    svg = render_svg(graph, title="<t>")
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg and "&lt;t&gt;" in svg
    assert '<a href="#x">' in svg


def test_the_knowledge_base_graph_links_sources_to_claims_to_what_they_concern():
    graph = knowledge_graph(REAL_KB)
    assert nx.is_directed_acyclic_graph(graph)
    for claim_id, claim in REAL_KB.claims.items():
        node = f"claim:{claim_id}"
        assert (f"source:{REAL_KB.claim_source[claim_id]}", node) in graph.edges
        if claim.theory:
            assert graph.edges[node, f"theory:{claim.theory}"]["role"] == claim.stance
    kb = fixture_kb()
    fixture = knowledge_graph(kb)
    assert ("advice:ice_sore_areas", "conflict:ice-or-heat") in fixture.edges
    assert fixture.edges["claim:safety-hyponatraemia", "advice:hydrate_before_during"] == {
        "role": "withholds"
    }
