"""The derivation graph: a DAG from answers to conclusions, built from the trace alone."""

from __future__ import annotations

import gc
from itertools import pairwise

import networkx as nx
import pytest
from fixture_data import HOSTILE, NIGHT, fixture_kb, fixture_profile
from hypothesis import HealthCheck, given, settings

from cramp.authoring.runners import profiles
from expert.conclusions import diagnose_run
from expert.engine import Reasoner
from explain.build import graph_view
from explain.dot import to_dot
from explain.graph import (
    ABSENT,
    PREMISE,
    conclusions,
    derivation_graph,
    findings,
    keep_relevant,
    release,
)
from explain.kb_graph import GraphTooLarge, knowledge_graph
from explain.layout import layered_layout
from explain.mermaid import to_mermaid
from explain.svg import render_svg
from knowledge import load_knowledge_base

REAL_KB = load_knowledge_base()


def _graph(kb, profile):
    return derivation_graph(kb, Reasoner.for_kb(kb).run(profile))


def _relevant_copy(graph: nx.DiGraph) -> nx.DiGraph:
    """The relevant part as first worked out: every conclusion and finding with their
    ancestors (one search each), copied in the graph's order."""
    keep: set[str] = set()
    for target in (*conclusions(graph), *findings(graph)):
        keep |= {target, *nx.ancestors(graph, target)}
    out = nx.DiGraph()
    out.add_nodes_from((n, dict(data)) for n, data in graph.nodes(data=True) if n in keep)
    out.add_edges_from(
        (u, v, dict(data)) for u, v, data in graph.edges(data=True) if u in keep and v in keep
    )
    return out


def check_graph(kb, profile) -> None:
    """Every property a derivation graph must have, for one profile."""
    run = Reasoner.for_kb(kb).run(profile)
    diagnosis = diagnose_run(kb, run)
    graph = derivation_graph(kb, run, diagnosis)
    assert nx.is_directed_acyclic_graph(graph)
    kinds = dict(graph.nodes(data="kind"))
    for node in (*conclusions(graph), *findings(graph)):
        ancestors = nx.ancestors(graph, node)
        roots = {a for a in ancestors if graph.in_degree(a) == 0}
        assert roots, f"{node} has no ancestors"
        # Every chain starts from an answer the runner gave, or from a premise that says
        # the rule needed nothing (no condition) or only an absence.
        assert {kinds[r] for r in roots} <= {"answer", "premise"}, (node, roots)
        if node == "triage" and graph.nodes[node]["default"]:
            # Self-care by default rests on nothing but the absence of a higher tier.
            assert ancestors == {ABSENT, "firing:level:self_care", "level:self_care"}
        elif node != "triage" or diagnosis.triage.claims:
            assert roots - {ABSENT}, f"{node} rests on nothing"
    for node, kind in kinds.items():
        if kind != "firing":
            continue
        parents = set(graph.predecessors(node))
        firing = graph.nodes[node]
        if PREMISE in parents:
            # Only a claim with no conditions rests on no answer, and it says so.
            assert kb.conditions[firing["claim"]] == ()
            assert parents == {PREMISE}
        elif ABSENT in parents:
            # A rule that matched no fact needed only something absent, and says what.
            assert parents == {ABSENT} and firing["absent"]
        else:
            assert parents
        claim = firing.get("claim")
        if claim:
            assert firing["quote"] == kb.claims[claim].quote
            assert firing["source"] == kb.claim_source[claim]
            # A firing is linked to every answer and finding its claim tests positively.
            for test in kb.conditions[claim]:
                key = getattr(test, "finding", None)
                if key is not None:
                    assert f"finding:{key}" in parents
                elif not test.holds_unanswered:
                    assert f"answer:{test.question}" in parents
    # Every derived fact and finding was declared by a firing in the trace.
    for node, kind in kinds.items():
        if kind in ("fact", "finding"):
            assert any(kinds[p] == "firing" for p in graph.predecessors(node))
    # Each reported conclusion and finding is a node.
    expected = {f"cause:{c.id}" for c in diagnosis.causes} | {
        f"advice:{a.id}" for a in diagnosis.advice
    }
    expected |= {f"withheld:{w.id}" for w in diagnosis.withheld}
    assert expected <= set(conclusions(graph))
    assert {f"finding:{f.id}" for f in diagnosis.findings} == set(findings(graph))
    # The triage rests on the runner's level, as the level rule derived it.
    assert (f"level:{diagnosis.triage.tier}", "triage") in graph.edges


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


def test_withheld_advice_points_back_to_the_finding_that_withholds_it():
    graph = _graph(fixture_kb(), fixture_profile(HOSTILE))
    node = "withheld:hydrate_before_during"
    # The finding withholds what acts on drinking, which this advice does.
    assert graph.edges["withhold:possible_hyponatraemia:0:drinking", node] == {"role": "withholds"}
    ancestors = nx.ancestors(graph, node)
    assert {
        "firing:withhold:possible_hyponatraemia:0",
        "finding:possible_hyponatraemia",
        "firing:finding:possible_hyponatraemia:0",
        "answer:drank_lots_plain_water",
    } <= ancestors
    assert graph.nodes["triage"]["tier"] == "emergency"


def test_a_referral_from_a_finding_is_derived_in_several_hops():
    kb = fixture_kb()
    graph = _graph(kb, fixture_profile(HOSTILE))
    chain = [
        "answer:drank_lots_plain_water",
        "firing:finding:possible_hyponatraemia:0",
        "finding:possible_hyponatraemia",
        "firing:claim:safety-hyponatraemia",
        "triage:safety-hyponatraemia",
        "firing:level:emergency",
        "level:emergency",
        "triage",
    ]
    missing = [edge for edge in pairwise(chain) if edge not in graph.edges]
    assert missing == []
    # Shortest route from an answer to the emergency: at least two hops of reasoning.
    assert nx.shortest_path_length(graph, "answer:drank_lots_plain_water", "triage") >= 4
    finding = graph.nodes["finding:possible_hyponatraemia"]
    assert finding["kind"] == "finding" and finding["label"] == "Possible low blood sodium"


def test_the_real_red_flag_tear_goes_answer_finding_claim_triage_level():
    from knowledge import load_profile_text
    from knowledge.bundled import example_path

    path = example_path("red-flag-calf-tear")
    run = Reasoner.for_kb(REAL_KB).run(load_profile_text(path.read_bytes(), REAL_KB, path.name))
    graph = keep_relevant(derivation_graph(REAL_KB, run))
    for route in nx.all_simple_paths(graph, "answer:calf_can_contract", "triage"):
        kinds = [graph.nodes[n]["kind"] for n in route]
        assert "finding" in kinds  # every route from the answer goes through a finding
    shortest = nx.shortest_path(graph, "answer:calf_can_contract", "triage")
    assert [graph.nodes[n]["kind"] for n in shortest] == [
        "answer",
        "firing",  # finding:tear_grade_3:0
        "finding",  # Possibly a severe (grade III) calf tear
        "firing",  # a red-flag claim about the finding
        "fact",  # triage:<claim>
        "firing",  # level:urgent
        "fact",  # level:urgent
        "conclusion",
    ]
    assert shortest[2] == "finding:tear_grade_3" and shortest[-2] == "level:urgent"


def test_a_gated_answer_enters_through_its_gate_rule():
    from knowledge import load_profile_text
    from knowledge.bundled import example_path

    path = example_path("red-flag-calf-tear")
    run = Reasoner.for_kb(REAL_KB).run(load_profile_text(path.read_bytes(), REAL_KB, path.name))
    graph = derivation_graph(REAL_KB, run)
    assert ("given:could_continue", "firing:gate:could_continue") in graph.edges
    assert ("answer:sudden_sharp_pain", "firing:gate:could_continue") in graph.edges
    assert ("firing:gate:could_continue", "answer:could_continue") in graph.edges
    assert graph.nodes["given:could_continue"]["kind"] == "answer"
    assert graph.in_degree("given:could_continue") == 0


def test_a_rule_that_needed_something_absent_says_what():
    from knowledge import load_profile_text
    from knowledge.bundled import example_path

    path = example_path("red-flag-calf-tear")
    run = Reasoner.for_kb(REAL_KB).run(load_profile_text(path.read_bytes(), REAL_KB, path.name))
    graph = derivation_graph(REAL_KB, run)
    clause = graph.nodes["firing:finding:tear_grade_3:1"]
    assert clause["absent"] == ("calf_can_contract is not yes (or is not known)",)
    assert "calf_can_contract is not yes" in clause["sublabel"]
    assert "needed absent" in clause["detail"]
    level = next(n for n in graph if n.startswith("firing:level:urgent"))
    assert graph.nodes[level]["sublabel"] == "no claim sets a higher tier"


def test_self_care_by_default_rests_only_on_the_absence_of_a_higher_tier():
    kb = fixture_kb()
    graph = derivation_graph(kb, Reasoner.for_kb(kb).run(fixture_profile(NIGHT)))
    assert set(graph.predecessors("firing:level:self_care")) == {ABSENT}
    assert graph.nodes[ABSENT]["kind"] == "premise"


def test_the_relevant_part_leaves_out_answers_no_rule_used():
    graph = _graph(fixture_kb(), fixture_profile(NIGHT))
    shown = keep_relevant(graph.copy())
    assert "answer:sleep_quality" in graph and "answer:sleep_quality" not in shown
    assert set(conclusions(shown)) == set(conclusions(graph))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(REAL_KB, names=True))
def test_pruning_in_place_keeps_what_the_copy_keeps_and_draws_the_same(profile):
    run = Reasoner.for_kb(REAL_KB).run(profile)
    diagnosis = diagnose_run(REAL_KB, run)
    copied = _relevant_copy(derivation_graph(REAL_KB, run, diagnosis))
    pruned = keep_relevant(derivation_graph(REAL_KB, run, diagnosis))
    assert list(pruned.nodes(data=True)) == list(copied.nodes(data=True))
    assert list(pruned.edges(data=True)) == list(copied.edges(data=True))
    assert all(set(pruned.pred[n]) == set(copied.pred[n]) for n in copied)
    assert graph_view(pruned) == graph_view(copied)


def test_a_released_graph_is_freed_without_the_collector():
    graph = _graph(fixture_kb(), fixture_profile(HOSTILE))
    # Every view a report's code reads, each kept on the graph by networkx.
    _ = (graph.nodes, graph.edges, graph.in_degree, graph.pred, graph.succ, graph.adj)
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        release(graph)
        del graph, _
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()


def test_a_graph_not_released_is_a_cycle():
    # The reason release exists: if networkx stops caching its views on the graph, this
    # fails and release can go.
    graph = _graph(fixture_kb(), fixture_profile(HOSTILE))
    _ = graph.edges  # the view refers back to the graph that keeps it
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        del graph, _
        assert gc.collect() > 0
    finally:
        if collecting:
            gc.enable()


def test_the_layout_does_not_depend_on_the_order_of_predecessors():
    graph = keep_relevant(_graph(fixture_kb(), fixture_profile(HOSTILE)))
    reordered = nx.DiGraph()
    reordered.add_nodes_from(graph.nodes(data=True))
    # The same edges, each node's predecessors now listed in reverse.
    reordered.add_edges_from(sorted(graph.edges(data=True), key=lambda e: e[0], reverse=True))
    assert any(list(graph.pred[n]) != list(reordered.pred[n]) for n in graph)
    assert layered_layout(reordered) == layered_layout(graph)


def test_the_layout_puts_every_conclusion_in_the_last_layer_after_its_parents():
    graph = keep_relevant(_graph(fixture_kb(), fixture_profile(HOSTILE)))
    layout = layered_layout(graph)
    assert set(layout.layers[-1]) == set(conclusions(graph))
    where = layout.position()
    assert all(where[a][0] < where[b][0] for a, b in graph.edges)
    assert sorted(n for layer in layout.layers for n in layer) == sorted(graph)


@pytest.mark.parametrize("path", [NIGHT, HOSTILE], ids=["night", "hostile"])
def test_the_same_graph_gives_byte_identical_svg_mermaid_and_dot(path):
    kb = fixture_kb()
    first = keep_relevant(_graph(kb, fixture_profile(path)))
    # A second graph built from a second run, with nodes inserted in another order.
    second_raw = keep_relevant(_graph(kb, fixture_profile(path)))
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


def test_the_knowledge_base_graph_is_refused_past_its_links_not_past_edges_added_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A link added again (a finding's clauses testing one finding, a tag reaching the
    # same advice) is still one link: the limit is on what would be drawn.
    links = knowledge_graph(REAL_KB).number_of_edges()
    monkeypatch.setattr("explain.kb_graph.MAX_LINKS", links)
    assert knowledge_graph(REAL_KB).number_of_edges() == links
    monkeypatch.setattr("explain.kb_graph.MAX_LINKS", links - 1)
    with pytest.raises(GraphTooLarge):
        knowledge_graph(REAL_KB)


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
    assert fixture.edges["finding:possible_hyponatraemia", "advice:hydrate_before_during"] == {
        "role": "withholds"
    }
    assert fixture.edges["claim:safety-hyponatraemia", "finding:possible_hyponatraemia"] == {
        "role": "describes"
    }
    real = graph
    assert ("finding:possible_strain_or_tear", "finding:tear_grade_2") in real.edges
    assert real.nodes["finding:possible_clot"]["label"] == "A possible clot in a leg vein (DVT)"
