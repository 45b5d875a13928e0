"""The derivation graph: how one engine run got from the runner's answers to its conclusions.

Built from the run's trace alone (never from experta's logs). Nodes, by ``kind``:

* ``answer``: a known answer the engine reasoned with (``answer:<question>``);
* ``premise``: the single node ``premise:always``, parent of every firing of a claim
  with no conditions, which rests on no answer at all and says so;
* ``firing``: one rule firing (``firing:<rule>``), carrying the claim, its source and
  the verbatim quote for claim rules;
* ``fact``: a derived fact, named by its stable key (``evidence:<claim>``,
  ``support:<claim>``, ``triage:<claim>``, ``withhold:<claim>:<advice>``,
  ``contradiction:<theory>:<n>``, ``recommendation:<advice>``);
* ``conclusion``: what the diagnosis reports: ``cause:<theory>``, ``advice:<advice>``,
  ``withheld:<advice>``, ``against:<advice>`` and ``triage``.

Edges point from what was used to what was derived, so the graph is a DAG and the
*how* of a conclusion is the set of its ancestors.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from expert.conclusions import Diagnosis
    from expert.engine import Run
    from expert.trace import Firing
    from knowledge import KnowledgeBase

PREMISE = "premise:always"
TRIAGE = "triage"
_ADVICE_WORDS = {
    "advice": "advice",
    "against": "advised against",
    "withheld": "withheld for safety",
}


def derivation_graph(kb: KnowledgeBase, run: Run, diagnosis: Diagnosis | None = None) -> nx.DiGraph:
    """The derivation graph of one run (``diagnosis`` is computed when not given)."""
    import networkx as nx

    from expert.conclusions import diagnose_run

    diagnosis = diagnosis or diagnose_run(kb, run)
    graph = nx.DiGraph(knowledge_base=kb.content_hash)
    facts = {f.key: f for f in run.facts}
    for key, fact in facts.items():
        if fact.type == "Answer":
            _add_answer(graph, kb, key, fact["question"], fact["value"])
        else:
            graph.add_node(
                key,
                kind="fact",
                fact_type=fact.type,
                fields=dict(fact.fields),
                label=key,
                sublabel=f"derived fact: {fact.type}",
                detail=_fact_detail(fact),
            )
    repeats = Counter(f.rule for f in run.trace)
    for firing in run.trace:
        node = firing_node_id(firing, repeated=repeats[firing.rule] > 1)
        graph.add_node(node, kind="firing", **_firing_attributes(kb, firing))
        if not firing.matched:
            graph.add_node(
                PREMISE,
                kind="premise",
                label="No condition",
                sublabel="applies to every runner",
                detail="Applies to every runner: the claim has no conditions on any answer.",
            )
            graph.add_edge(PREMISE, node, role="unconditional")
        for matched in firing.matched:
            graph.add_edge(matched.key, node, role="matched")
        for declared in firing.declared:
            graph.add_edge(node, declared.key, role="declared")
    _add_conclusions(graph, run, diagnosis)
    return graph


def firing_node_id(firing: Firing, *, repeated: bool = False) -> str:
    """Node id of a firing; a rule that fired more than once is told apart by what it matched."""
    if not repeated:
        return f"firing:{firing.rule}"
    return f"firing:{firing.rule}@" + "+".join(m.key for m in firing.matched)


def conclusions(graph: nx.DiGraph) -> list[str]:
    """Conclusion nodes in a stable order."""
    return sorted(n for n, k in graph.nodes(data="kind") if k == "conclusion")


def _add_answer(graph: nx.DiGraph, kb: KnowledgeBase, key: str, qid: str, value: Any) -> None:
    from .values import answer_text

    question = kb.questions[qid]
    shown = answer_text(value)
    graph.add_node(
        key,
        kind="answer",
        question=qid,
        value=value,
        shown=shown,
        label=f"{qid} = {shown}",
        sublabel="answer",
        detail=question.prompt,
    )


def _fact_detail(fact: Any) -> str:
    fields = ", ".join(f"{k}={v}" for k, v in fact.fields)
    return f"{fact.type}({fields})"


def _firing_attributes(kb: KnowledgeBase, firing: Firing) -> dict[str, Any]:
    attrs: dict[str, Any] = {"rule": firing.rule, "salience": firing.salience}
    if firing.claim is not None:
        claim = kb.claims[firing.claim]
        source = kb.source_of(firing.claim)
        attrs.update(
            claim=claim.id,
            source=source.id,
            source_title=source.title,
            quote=claim.quote,
            summary=claim.summary,
            says=claim.says,
            claim_kind=claim.kind,
            stance=claim.stance,
            evidence=claim.evidence,
            label=claim.id,
            sublabel=f"{source.id} · {claim.kind}, {claim.stance}",
            detail=f"{source.title}: {kb.words_of(claim.id)}",
        )
    elif firing.rule.startswith("contradiction:"):
        _, theory, index = firing.rule.split(":")
        because = kb.contradictions[theory][int(index)][1]
        attrs.update(
            theory=theory,
            because=because,
            label=firing.rule,
            sublabel="your answers contradict the theory",
            detail=f"{kb.theories[theory].title} does not fit: {because}",
        )
    else:
        attrs.update(label=firing.rule, sublabel="rule", detail=f"rule {firing.rule}")
    return attrs


def _add_conclusions(graph: nx.DiGraph, run: Run, d: Diagnosis) -> None:
    for cause in d.causes:
        node = f"cause:{cause.id}"
        graph.add_node(
            node,
            kind="conclusion",
            conclusion="cause",
            item=cause.id,
            title=cause.title,
            standing=cause.standing,
            status=cause.status,
            label=cause.title,
            sublabel=f"cause · standing {cause.standing:+g}, {cause.status}",
            detail=f"cause, standing {cause.arithmetic}, {cause.status}",
        )
        for ref in (*cause.supporting, *cause.disputing):
            role = {"supports": "for", "hedged": "hedged", "disputes": "against"}[ref.stance]
            graph.add_edge(f"evidence:{ref.id}", node, role=role, weight=ref.weight)
        for fact in run.derived("Contradiction"):
            if fact["theory"] == cause.id:
                graph.add_edge(fact.key, node, role="contradicts")
    for item in d.advice:
        node = f"advice:{item.id}"
        _advice_node(graph, node, "advice", item.id, item.title, item.phase)
        graph.add_edge(f"recommendation:{item.id}", node, role="recommends")
        for ref in item.disputed_by:
            graph.add_edge(f"support:{ref.id}", node, role="against")
    for item in d.advised_against:
        node = f"against:{item.id}"
        _advice_node(graph, node, "against", item.id, item.title, item.phase)
        for ref in item.disputed_by:
            graph.add_edge(f"support:{ref.id}", node, role="against")
    for withheld in d.withheld:
        node = f"withheld:{withheld.id}"
        _advice_node(graph, node, "withheld", withheld.id, withheld.title, withheld.phase)
        for ref in withheld.withheld_by:
            graph.add_edge(f"withhold:{ref.id}:{withheld.id}", node, role="withholds")
        for fact in run.derived("Support"):
            if fact["advice"] == withheld.id and fact["stance"] != "disputes":
                graph.add_edge(fact.key, node, role="backs")
    graph.add_node(
        TRIAGE,
        kind="conclusion",
        conclusion="triage",
        item=TRIAGE,
        tier=d.triage.tier,
        title=d.triage.title,
        default=not d.triage.claims,
        label=f"Triage: {d.triage.title}",
        sublabel="triage level" + (" (no warning sign)" if not d.triage.claims else ""),
        detail=d.triage.action,
    )
    for ref in d.triage.claims:
        graph.add_edge(f"triage:{ref.id}", TRIAGE, role="sets")


def _advice_node(
    graph: nx.DiGraph, node: str, conclusion: str, advice: str, title: str, phase: str
) -> None:
    graph.add_node(
        node,
        kind="conclusion",
        conclusion=conclusion,
        item=advice,
        title=title,
        phase=phase,
        label=title,
        sublabel=f"{_ADVICE_WORDS[conclusion]} · {phase}",
        detail=f"{_ADVICE_WORDS[conclusion]} ({phase}): {title}",
    )


def relevant(graph: nx.DiGraph) -> nx.DiGraph:
    """The part of the graph that leads to a conclusion (answers nothing used are left out)."""
    keep: set[str] = set()
    import networkx as nx

    for node in conclusions(graph):
        keep.add(node)
        keep |= nx.ancestors(graph, node)
    return graph.subgraph(sorted(keep)).copy()
