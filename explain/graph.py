"""The derivation graph: how one engine run got from the runner's answers to its conclusions.

Built from the run's trace alone (never from experta's logs). Nodes, by ``kind``:

* ``answer``: an answer the runner gave: ``answer:<question>``, or for a question asked
  only under a condition (``ask_if``) first ``given:<question>``, the raw answer, which a
  ``gate`` firing admits as ``answer:<question>`` once the condition holds;
* ``premise``: ``premise:always``, parent of every firing of a claim with no conditions
  (it rests on no answer at all and says so), and ``premise:absent``, parent of a firing
  that matched no fact because all it needed was that something was *not* there (no
  more urgent tier, no answer ruling out an ``unless`` test);
* ``firing``: one rule firing (``firing:<rule>``, e.g. ``firing:claim:<claim>``,
  ``firing:finding:<finding>:<n>``, ``firing:withhold:<finding>:<n>``,
  ``firing:level:<tier>``), carrying the claim, its source and its words for claim
  rules, and in ``absent`` what the rule needed not to be there;
* ``finding``: a finding that holds (``finding:<id>``), labelled with its title;
* ``fact``: another derived fact, named by its stable key (``evidence:<claim>``,
  ``support:<claim>``, ``triage:<claim>``, ``withhold:<finding>:<n>:<tag>`` and
  ``caution:<finding>:<n>:<tag>`` (a finding holds back the advice acting on a tag),
  ``contradiction:<theory>:<n>``, ``level:<tier>``, ``recommendation:<advice>``);
* ``conclusion``: what the diagnosis reports: ``cause:<theory>``, ``advice:<advice>``,
  ``withheld:<advice>``, ``against:<advice>`` and ``triage``.

Edges point from what was used to what was derived, so the graph is a DAG and the
*how* of a conclusion is the set of its ancestors. A referral that comes from a finding
therefore reads answer → finding rule → finding → claim → triage fact → level rule →
level → triage.
"""

from __future__ import annotations

from collections import Counter
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from expert.conclusions import Diagnosis
    from expert.engine import Run
    from expert.trace import Firing
    from knowledge import KnowledgeBase

PREMISE = "premise:always"
ABSENT = "premise:absent"
TRIAGE = "triage"
_ADVICE_WORDS = {
    "advice": "advice",
    "against": "advised against",
    "withheld": "not advised for you now",
}


def derivation_graph(kb: KnowledgeBase, run: Run, diagnosis: Diagnosis | None = None) -> nx.DiGraph:
    """The derivation graph of one run (``diagnosis`` is computed when not given)."""
    import networkx as nx

    from expert.conclusions import diagnose_run

    diagnosis = diagnosis or diagnose_run(kb, run)
    graph = nx.DiGraph(knowledge_base=kb.content_hash)
    facts = {f.key: f for f in run.facts}
    gated = {d.key for firing in run.trace for d in firing.declared if d.type == "Answer"}
    for key, fact in facts.items():
        if fact.type in ("Answer", "Given"):
            _add_answer(graph, kb, key, fact, admitted=key in gated)
        elif fact.type == "Finding":
            _add_finding(graph, kb, key, fact["id"])
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
            if firing.claim is not None and not kb.conditions[firing.claim]:
                _add_premise(graph, PREMISE)
                graph.add_edge(PREMISE, node, role="unconditional")
            else:
                _add_premise(graph, ABSENT)
                graph.add_edge(ABSENT, node, role="absent")
        for matched in firing.matched:
            graph.add_edge(matched.key, node, role="matched")
        for declared in firing.declared:
            graph.add_edge(node, declared.key, role="declared")
    _add_conclusions(kb, graph, run, diagnosis)
    return graph


def firing_node_id(firing: Firing, *, repeated: bool = False) -> str:
    """Node id of a firing; a rule that fired more than once is told apart by what it matched."""
    if not repeated:
        return f"firing:{firing.rule}"
    return f"firing:{firing.rule}@" + "+".join(m.key for m in firing.matched)


def conclusions(graph: nx.DiGraph) -> list[str]:
    """Conclusion nodes in a stable order."""
    return sorted(n for n, k in graph.nodes(data="kind") if k == "conclusion")


def findings(graph: nx.DiGraph) -> list[str]:
    """Finding nodes (``finding:<id>``) in a stable order."""
    return sorted(n for n, k in graph.nodes(data="kind") if k == "finding")


def _add_premise(graph: nx.DiGraph, node: str) -> None:
    if node in graph:
        return
    if node == PREMISE:
        graph.add_node(
            PREMISE,
            kind="premise",
            label="No condition",
            sublabel="applies to every runner",
            detail="Applies to every runner: the claim has no conditions on any answer.",
        )
    else:
        graph.add_node(
            ABSENT,
            kind="premise",
            label="Nothing against it",
            sublabel="rests on what is absent",
            detail=(
                "The rule needed only that something was not there: no more urgent tier, "
                "no withholding, or no answer ruling it out. Each rule says what."
            ),
        )


def _add_answer(
    graph: nx.DiGraph, kb: KnowledgeBase, key: str, fact: Any, *, admitted: bool
) -> None:
    from knowledge.values import answer_text

    qid = fact["question"]
    value = fact["value"]
    question = kb.questions[qid]
    shown = answer_text(value)
    if fact.type == "Given":
        sublabel = "your answer, asked only if…"
        ask_if = " and ".join(c.describe() for c in kb.preconditions.get(qid, ()))
        detail = f"{question.prompt} (asked only if {ask_if})" if ask_if else question.prompt
    elif admitted:
        sublabel = "answer, its question applies"
        detail = question.prompt
    else:
        sublabel = "answer"
        detail = question.prompt
    graph.add_node(
        key,
        kind="answer",
        question=qid,
        value=value,
        shown=shown,
        label=f"{qid} = {shown}",
        sublabel=sublabel,
        detail=detail,
    )


def _add_finding(graph: nx.DiGraph, kb: KnowledgeBase, key: str, finding_id: str) -> None:
    finding = kb.findings[finding_id]
    graph.add_node(
        key,
        kind="finding",
        finding=finding_id,
        warning_sign=finding.warning_sign,
        label=finding.title,
        sublabel="finding" + (" · warning sign" if finding.warning_sign else ""),
        detail=f"{finding.title}: {finding.says}",
    )


def _fact_detail(fact: Any) -> str:
    fields = ", ".join(f"{k}={v}" for k, v in fact.fields)
    return f"{fact.type}({fields})"


def describe_tests(kb: KnowledgeBase, tests: Any) -> str:
    """A rule's tests in words: answer conditions and the findings it needs, by title."""
    from knowledge.conditions import FindingTest

    parts = []
    for test in tests:
        if isinstance(test, FindingTest):
            finding = kb.findings.get(test.finding)
            parts.append(test.describe(finding.title if finding else None))
        else:
            parts.append(test.describe())
    return " and ".join(parts)


def _firing_attributes(kb: KnowledgeBase, firing: Firing) -> dict[str, Any]:
    # What a firing says of its rule and claim is the same in every run; only its place
    # in the run differs. Worked out once per knowledge base (a report has some sixty
    # firings, most of them the same from runner to runner).
    kept = kb._cache.setdefault("firing_attributes", {})
    key = (firing.rule, firing.claim, tuple(firing.absent))
    described = kept.get(key)
    if described is None:
        described = kept[key] = _described_firing(kb, firing)
    return {
        "rule": firing.rule,
        "salience": firing.salience,
        "sequence": firing.sequence,
        **described,
    }


def _described_firing(kb: KnowledgeBase, firing: Firing) -> dict[str, Any]:
    """A firing's attributes that follow from its rule, claim and what it needed absent."""
    attrs: dict[str, Any] = {"absent": tuple(firing.absent)}
    absent = "; ".join(firing.absent)
    needs_absent = f" (needed absent: {absent})" if absent else ""
    kind, _, rest = firing.rule.partition(":")
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
            detail=f"{source.title}: {kb.words_of(claim.id)}{needs_absent}",
        )
    elif kind == "contradiction":
        theory, _, index = rest.rpartition(":")
        because = kb.contradictions[theory][int(index)][1]
        attrs.update(
            theory=theory,
            because=because,
            label=firing.rule,
            sublabel="your answers contradict the theory",
            detail=f"{kb.theories[theory].title} does not fit: {because}",
        )
    elif kind == "gate":
        ask_if = " and ".join(c.describe() for c in kb.preconditions.get(rest, ()))
        attrs.update(
            question=rest,
            label=firing.rule,
            sublabel="the question applies",
            detail=f"{rest} is asked only if {ask_if}: the answer is used",
        )
    elif kind == "finding":
        finding_id, _, index = rest.rpartition(":")
        finding = kb.findings[finding_id]
        clauses = kb.finding_clauses[finding_id]
        clause = clauses[int(index)]
        attrs.update(
            finding=finding_id,
            label=firing.rule,
            sublabel=absent or f"finding rule, clause {int(index) + 1} of {len(clauses)}",
            detail=f"{finding.title} holds when {describe_tests(kb, clause)}{needs_absent}",
        )
    elif kind in ("withhold", "caution"):
        finding_id, _, index = rest.rpartition(":")
        finding = kb.findings[finding_id]
        if kind == "withhold":
            withholding = finding.withholds[int(index)]
            sublabel = f"withholds advice on {', '.join(withholding.tags)}"
            detail = f"{finding.title}: {withholding.because}"
        else:
            caution = finding.cautions[int(index)]
            sublabel = f"caution on {', '.join(caution.tags)}"
            detail = f"{finding.title}: {caution.says}"
        attrs.update(finding=finding_id, label=firing.rule, sublabel=sublabel, detail=detail)
    elif kind == "level":
        from knowledge.vocabulary import is_tier

        assert is_tier(rest), "level rules are named after their tier"
        title = kb.manifest.tiers[rest].title
        attrs.update(
            tier=rest,
            label=firing.rule,
            sublabel=absent or "triage level",
            detail=f"The triage level is {title}{needs_absent}",
        )
    elif kind == "recommend":
        attrs.update(
            advice=rest,
            label=firing.rule,
            sublabel=absent or "recommends",
            detail=f"Recommended: backed by a claim{needs_absent}",
        )
    else:
        attrs.update(
            label=firing.rule,
            sublabel=absent or "rule",
            detail=f"rule {firing.rule}{needs_absent}",
        )
    return attrs


def _held_keys(
    kb: KnowledgeBase, run: Run, fact_type: str, advice_ids: list[str]
) -> dict[str, list[str]]:
    """Keys of the ``Withhold`` (or ``Caution``) facts that hold back each piece of advice."""
    from expert.conclusions import held_by

    return {
        advice: [
            f"{fact_type.lower()}:{finding}:{group}:{tag}"
            for (finding, group), tags in sorted(groups.items())
            for tag in sorted(tags)
        ]
        for advice, groups in held_by(kb, run, fact_type, advice_ids).items()
    }


def _add_conclusions(kb: KnowledgeBase, graph: nx.DiGraph, run: Run, d: Diagnosis) -> None:
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
        # What the articles say in general: shown, weighing nothing.
        for ref in cause.background:
            graph.add_edge(f"evidence:{ref.id}", node, role="in general", weight=0.0)
        for fact in run.derived("Beyond"):
            if fact["theory"] == cause.id:
                graph.add_edge(fact.key, node, role="beyond its scope", weight=0.0)
        for fact in run.derived("Contradiction"):
            if fact["theory"] == cause.id:
                graph.add_edge(fact.key, node, role="contradicts")
    named = [item.id for item in d.advice]
    cautions = _held_keys(kb, run, "Caution", named)
    for item in d.advice:
        node = f"advice:{item.id}"
        _advice_node(graph, node, "advice", item.id, item.title, item.phase)
        graph.add_edge(f"recommendation:{item.id}", node, role="recommends")
        for ref in item.disputed_by:
            graph.add_edge(f"support:{ref.id}", node, role="against")
        for key in cautions.get(item.id, ()):
            graph.add_edge(key, node, role="cautions")
    for item in d.advised_against:
        node = f"against:{item.id}"
        _advice_node(graph, node, "against", item.id, item.title, item.phase)
        for ref in item.disputed_by:
            graph.add_edge(f"support:{ref.id}", node, role="against")
    withholds = _held_keys(kb, run, "Withhold", [item.id for item in d.withheld])
    for withheld in d.withheld:
        node = f"withheld:{withheld.id}"
        _advice_node(graph, node, "withheld", withheld.id, withheld.title, withheld.phase)
        for key in withholds.get(withheld.id, ()):
            graph.add_edge(key, node, role="withholds")
        for fact in run.derived("Support"):
            if fact["advice"] == withheld.id and fact["stance"] != "disputes":
                graph.add_edge(fact.key, node, role="backs")
    default = not d.triage.claims
    graph.add_node(
        TRIAGE,
        kind="conclusion",
        conclusion="triage",
        item=TRIAGE,
        tier=d.triage.tier,
        title=d.triage.title,
        default=default,
        label=f"Triage: {d.triage.title}",
        sublabel="triage level" + (" (no warning sign)" if default else ""),
        detail=d.triage.action,
    )
    for fact in run.derived("Level"):
        graph.add_edge(fact.key, TRIAGE, role="sets")
    # A claim that set a lower tier than the level is cited too, though no level rule
    # needed it: it is another reason to see someone, at a lower tier.
    needed = {m.key for f in run.trace if f.rule.startswith("level:") for m in f.matched}
    for ref in d.triage.claims:
        key = f"triage:{ref.id}"
        if key not in needed:
            graph.add_edge(key, TRIAGE, role="also")


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


def keep_relevant(graph: nx.DiGraph) -> nx.DiGraph:
    """``graph`` without what leads to no conclusion and no finding (answers no rule
    used), pruned in place and returned.

    A report's graph is read by nothing else: it loses a fifth of its nodes, and copying
    the rest took a twentieth of a report. The nodes and edges left keep their data and
    the graph's order.
    """
    # One walk back from every target at once: linear in the graph, where one ancestor
    # search per conclusion went over the shared answers again and again.
    keep = {*conclusions(graph), *findings(graph)}
    pending = list(keep)
    while pending:
        for parent in graph.predecessors(pending.pop()):
            if parent not in keep:
                keep.add(parent)
                pending.append(parent)
    graph.remove_nodes_from([n for n in graph if n not in keep])
    return graph


def release(*graphs: nx.DiGraph) -> None:
    """Let reference counting free ``graphs`` the moment they are dropped.

    networkx keeps a graph's views (``nodes``, ``edges``, ``in_degree``...) on the graph,
    and each view refers back to it: a graph once looked at is a reference cycle, which
    only the garbage collector frees. A report drops two such graphs and their
    attribute dicts (some 700 objects), and in a batch worker the collections that
    found them took 0.35–0.5 ms a report. Without the views, nothing is left to collect.
    """
    for graph in graphs:
        kind: type = type(graph)
        for name in _cached_views(kind):
            graph.__dict__.pop(name, None)


@cache
def _cached_views(kind: type) -> tuple[str, ...]:
    """The names a graph class keeps computed views under (its cached properties)."""
    return tuple(
        name
        for klass in kind.__mro__
        for name, member in vars(klass).items()
        if isinstance(member, cached_property)
    )
