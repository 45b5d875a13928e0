"""The knowledge base's own graph: which source makes which claim about which theory or advice.

Nodes, by ``kind``: ``source`` (``source:<id>``), ``claim`` (``claim:<id>``),
``finding`` (``finding:<id>``) and ``target``: a theory (``theory:<id>``), a piece of
advice (``advice:<id>``), a triage tier (``tier:<tier>``) or a conflict between two
pieces of advice (``conflict:<id>``). Edges carry the claim's stance (``supports``,
``hedged``, ``disputes``), ``sets`` for triage, ``describes`` from a claim to the
finding it backs, ``leads_to`` from a finding to a finding one of whose clauses tests
it, ``withholds`` and ``cautions`` from a finding to the advice its tags reach, and
``conflicts`` from advice to the conflict it is part of.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

    from knowledge import KnowledgeBase

#: The most links a knowledge-base graph is drawn with. Links grow faster than the
#: knowledge base (every finding's tags reach every piece of advice they name): the
#: bundled one replicated a hundred times has 894,300, which took 1.2 GB to lay out,
#: past the 500 MB any command may use; one at the loader's limits has about 50,000,
#: and 100,000 were laid out in 357 MB.
MAX_LINKS = 100_000


class GraphTooLarge(ValueError):
    """A knowledge base whose graph has more links than :data:`MAX_LINKS`."""

    def __init__(self, links: int) -> None:
        super().__init__(links)
        self.links = links

    def __str__(self) -> str:
        return (
            f"the knowledge base's graph has more than {MAX_LINKS:,} links (sources to "
            f"claims, claims and findings to what they bear on); it is too large to draw"
        )


class _Counted:
    """Adds edges to a graph, refusing to go past :data:`MAX_LINKS` of them (a link
    added again, say a finding's clauses testing the same finding, counts once)."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self.links = 0

    def add_edge(self, source: str, target: str, **attributes: str) -> None:
        if not self.graph.has_edge(source, target):
            self.links += 1
            if self.links > MAX_LINKS:
                raise GraphTooLarge(self.links)
        self.graph.add_edge(source, target, **attributes)


def knowledge_graph(kb: KnowledgeBase) -> nx.DiGraph:
    """Sources → claims → findings, theories, advice and triage tiers (→ conflicts), a DAG.

    Raises :class:`GraphTooLarge` rather than build one of more than :data:`MAX_LINKS`.
    """
    import networkx as nx

    from knowledge.conditions import FindingTest

    graph = nx.DiGraph(knowledge_base=kb.content_hash)
    edges = _Counted(graph)
    for source in kb.sources.values():
        graph.add_node(
            f"source:{source.id}",
            kind="source",
            label=source.title,
            sublabel=f"{source.id} · {source.kind}" + (" · declared bias" if source.bias else ""),
            detail=f"{source.author}, {source.publisher}"
            + (f". Bias: {source.bias}" if source.bias else ""),
        )
    for claim_id, claim in kb.claims.items():
        source_id = kb.claim_source[claim_id]
        node = f"claim:{claim_id}"
        graph.add_node(
            node,
            kind="claim",
            label=claim_id,
            sublabel=f"{claim.kind}, {claim.stance}, {claim.evidence}",
            detail=f"{claim.says} {kb.words_of(claim_id)}",
        )
        edges.add_edge(f"source:{source_id}", node, role="claims")
        if claim.theory:
            _target(graph, f"theory:{claim.theory}", kb.theories[claim.theory].title, "theory")
            edges.add_edge(node, f"theory:{claim.theory}", role=claim.stance)
        if claim.advice:
            advice = kb.advice[claim.advice]
            _target(graph, f"advice:{advice.id}", advice.title, f"advice · {advice.phase}")
            edges.add_edge(node, f"advice:{advice.id}", role=claim.stance)
        if claim.triage:
            tier = kb.manifest.tiers[claim.triage]
            _target(graph, f"tier:{claim.triage}", tier.title, "triage tier")
            edges.add_edge(node, f"tier:{claim.triage}", role="sets")
    for finding_id, finding in kb.findings.items():
        node = f"finding:{finding_id}"
        graph.add_node(
            node,
            kind="finding",
            label=finding.title,
            sublabel="finding" + (" · warning sign" if finding.warning_sign else ""),
            detail=finding.says,
        )
        for claim_id in finding.backed_by:
            edges.add_edge(f"claim:{claim_id}", node, role="describes")
        for clause in kb.finding_clauses[finding_id]:
            for test in clause:
                if isinstance(test, FindingTest):
                    edges.add_edge(f"finding:{test.finding}", node, role="leads_to")
        for role, groups in (("withholds", finding.withholds), ("cautions", finding.cautions)):
            for group in groups:
                for advice_id in sorted(
                    {a for t in group.tags for a in kb.advice_by_tag.get(t, ())}
                ):
                    advice = kb.advice[advice_id]
                    _target(graph, f"advice:{advice_id}", advice.title, f"advice · {advice.phase}")
                    edges.add_edge(node, f"advice:{advice_id}", role=role)
    for conflict in kb.conflicts.values():
        node = f"conflict:{conflict.id}"
        _target(graph, node, conflict.id, "conflict", detail=conflict.reason)
        for advice_id in conflict.between:
            advice = kb.advice[advice_id]
            _target(graph, f"advice:{advice_id}", advice.title, f"advice · {advice.phase}")
            edges.add_edge(f"advice:{advice_id}", node, role="conflicts")
    return graph


def _target(graph: nx.DiGraph, node: str, label: str, sublabel: str, *, detail: str = "") -> None:
    if node not in graph:
        graph.add_node(node, kind="target", label=label, sublabel=sublabel, detail=detail or label)
