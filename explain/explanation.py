"""The explanation a person can follow: answers → findings → conclusions, in their words.

The derivation graph (:mod:`explain.graph`) records every rule firing and derived fact;
it is exact, and far too big to read. This module condenses it. Walking up from a
conclusion, it stops at the first answers and findings it meets: those are what the
conclusion rests on, whichever claims, rules and facts lie between (so paths through
different claims merge into one edge). It gives:

* :func:`chains`: for every conclusion, a sentence ("Because you answered “no” to “Can
  you still tighten the calf…?” → A possible muscle strain or tear → Urgent");
* :func:`condensed_graph`: the graph of what the summary shows (the triage, the top
  causes, the things to do, what is withheld and why), with every node labelled in
  words: the question and the answer, the finding's title, the cause's or the advice's
  title. Ids and derived facts stay in the full derivation.

Both are pure functions of the derivation graph, so equal runs give equal output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.values import signed

if TYPE_CHECKING:
    import networkx as nx

    from expert.summary import Summary
    from knowledge import KnowledgeBase

#: Stand-in for "no answer needed": a claim that applies to every runner.
EVERY_RUNNER = "premise:always"
#: Edge roles that lead into a cause as reasons for it (not disputes, not context).
_FOR_CAUSE = frozenset({"for", "hedged", "contradicts"})


@dataclass(frozen=True)
class Roots:
    """What a node rests on: the nearest answers and findings above it."""

    answers: tuple[str, ...]
    findings: tuple[str, ...]
    every_runner: bool


def roots(graph: nx.DiGraph, node: str, roles: frozenset[str] | None = None) -> Roots:
    """The answers and findings a node rests on, the walk stopping at each one met.

    ``roles``, if given, limits the first step to in-edges with those roles (a cause's
    reasons for it, say, without the claims that dispute it).
    """
    answers: set[str] = set()
    found: set[str] = set()
    every = False
    seen: set[str] = set()
    first = [
        p
        for p in graph.predecessors(node)
        if roles is None or graph.edges[p, node].get("role") in roles
    ]
    stack = sorted(first)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        kind = graph.nodes[current].get("kind")
        if kind == "answer":
            answers.add(_answer_key(current))
            continue
        if kind == "finding":
            found.add(current)
            continue
        if current == EVERY_RUNNER:
            every = True
            continue
        stack.extend(sorted(graph.predecessors(current)))
    return Roots(tuple(sorted(answers)), tuple(sorted(found)), every)


def _roles(node: str) -> frozenset[str] | None:
    """Which in-edges of a conclusion say why it holds: for a cause, the reasons for it;
    for withheld advice, what withholds it; for anything else, every edge."""
    if node.startswith("cause:"):
        return _FOR_CAUSE
    if node.startswith("withheld:"):
        return frozenset({"withholds"})
    return None


def _answer_key(node: str) -> str:
    """``given:<q>`` and ``answer:<q>`` are the same answer to a person."""
    return "answer:" + node.partition(":")[2]


def answer_phrase(kb: KnowledgeBase, graph: nx.DiGraph, node: str) -> str:
    """An answer in words: ``“no” to “Can you still tighten the calf…?”``."""
    question = node.partition(":")[2]
    value = _answer_value(kb, graph, question)
    return f"“{value}” to “{kb.questions[question].prompt}”"


def _answer_value(kb: KnowledgeBase, graph: nx.DiGraph, question: str) -> str:
    """The answer in the words the question offered (choice labels, number with unit)."""
    from knowledge.values import answer_words

    for key in (f"answer:{question}", f"given:{question}"):
        if key in graph:
            return answer_words(kb.questions[question], graph.nodes[key].get("value"))
    return "?"


def _answers_above(graph: nx.DiGraph, findings: tuple[str, ...]) -> tuple[set[str], bool]:
    answers: set[str] = set()
    every = False
    todo, seen = list(findings), set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        r = roots(graph, f)
        answers |= set(r.answers)
        every = every or r.every_runner
        todo.extend(r.findings)
    return answers, every


def chain_text(kb: KnowledgeBase, graph: nx.DiGraph, node: str, title: str) -> str:
    """The sentence that says how a conclusion was reached, from the answers up."""
    r = roots(graph, node, _roles(node))
    above, every = _answers_above(graph, r.findings)
    answers = sorted(set(r.answers) | above, key=lambda a: _order(kb, a))
    steps = []
    if answers:
        steps.append("Because you answered " + _and(answer_phrase(kb, graph, a) for a in answers))
    elif r.every_runner or every:
        steps.append("What the articles say to every runner (no answer needed)")
    else:
        steps.append("No warning sign in your answers")
    if r.findings:
        steps.append(
            "; ".join(str(graph.nodes[f].get("label", f)) for f in _by_title(graph, r.findings))
        )
    steps.append(title)
    return " → ".join(steps)


def _order(kb: KnowledgeBase, answer: str) -> tuple[int, str]:
    question = answer.partition(":")[2]
    order = kb.question_position
    return (order.get(question, len(order)), question)


def _by_title(graph: nx.DiGraph, nodes: tuple[str, ...]) -> list[str]:
    return sorted(nodes, key=lambda n: (str(graph.nodes[n].get("label", n)), n))


def _and(parts: object) -> str:
    items = list(parts)  # type: ignore[call-overload]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def chains(kb: KnowledgeBase, graph: nx.DiGraph) -> dict[str, str]:
    """A sentence for every conclusion of the derivation graph, by node id."""
    out = {}
    for node, data in sorted(graph.nodes(data=True)):
        if data.get("kind") == "conclusion":
            out[node] = chain_text(kb, graph, node, str(data.get("label", node)))
    return out


def condensed_graph(kb: KnowledgeBase, graph: nx.DiGraph, summary: Summary) -> nx.DiGraph:
    """The graph of what the summary shows, in words (see the module docstring).

    Nodes: ``answer:<q>`` (the question, and the answer as the sublabel),
    ``finding:<f>``, ``triage``, ``cause:<t>`` and ``advice:<a>`` for the summary's
    causes and advice, ``withheld:<finding>`` for each reason advice is withheld, and
    ``premise:always`` when something rests on no answer at all. Kinds are those of the
    derivation graph (answer, finding, conclusion, premise); ``href`` is the anchor of
    the node's place in the HTML report.
    """
    import networkx as nx

    from expert.summary import PHASE_SHORT

    out = nx.DiGraph()
    targets: list[tuple[str, dict]] = [
        (
            "triage",
            {
                "label": f"Triage: {summary.tier_title}",
                "sublabel": summary.action,
                "href": "#triage",
            },
        )
    ]
    for cause in summary.causes:
        targets.append(
            (
                f"cause:{cause.id}",
                {
                    "label": cause.title,
                    "sublabel": (
                        f"likely cause · standing {signed(cause.standing)} · "
                        f"{cause.supporting} for, {cause.disputing} against"
                    ),
                    "href": f"#cause-{cause.id}",
                },
            )
        )
    for phase in summary.advice:
        for advice in phase.advice:
            targets.append(
                (
                    f"advice:{advice.id}",
                    {
                        "label": advice.title,
                        "sublabel": f"to do · {PHASE_SHORT[advice.phase].lower()}",
                        "href": f"#advice-{advice.id}",
                    },
                )
            )
    for advice in summary.now:
        targets.append(
            (
                f"advice:{advice.id}",
                {"label": advice.title, "sublabel": "to do · now", "href": f"#advice-{advice.id}"},
            )
        )
    for target, attrs in targets:
        if target not in graph:
            continue
        out.add_node(target, kind="conclusion", detail=attrs["sublabel"], **attrs)
        _link(kb, graph, out, target, roots(graph, target, _roles(target)))
    for number, group in enumerate(summary.withheld, start=1):
        node = f"withheld:{group.finding}"
        count = len(group.advice)
        out.add_node(
            node,
            kind="conclusion",
            label=f"Not advised for you now: {count} piece{'s' if count != 1 else ''} of advice",
            sublabel=f"because of {group.finding_title}",
            detail=group.because,
            href=f"#reason-{number}",
        )
        finding = f"finding:{group.finding}"
        if finding in graph:
            _add_finding(kb, graph, out, finding)
            out.add_edge(finding, node, role="withholds")
    return out


def _link(kb: KnowledgeBase, graph: nx.DiGraph, out: nx.DiGraph, target: str, r: Roots) -> None:
    for answer in r.answers:
        _add_answer(kb, graph, out, answer)
        out.add_edge(answer, target, role="leads to")
    for finding in r.findings:
        _add_finding(kb, graph, out, finding)
        out.add_edge(finding, target, role="leads to")
    if r.every_runner and not r.answers and not r.findings:
        if EVERY_RUNNER not in out:
            out.add_node(
                EVERY_RUNNER,
                kind="premise",
                label="Every runner",
                sublabel="what the articles say to everyone: no answer needed",
                detail="These rest on no answer: the articles say them to every runner.",
                href=None,
            )
        out.add_edge(EVERY_RUNNER, target, role="unconditional")


def _add_answer(kb: KnowledgeBase, graph: nx.DiGraph, out: nx.DiGraph, answer: str) -> None:
    if answer in out:
        return
    question = answer.partition(":")[2]
    value = _answer_value(kb, graph, question)
    prompt = kb.questions[question].prompt
    out.add_node(
        answer,
        kind="answer",
        label=prompt,
        sublabel=f"you answered: {value}",
        detail=f"{prompt} You answered: {value}",
        href=f"#answer-{question}",
    )


def _add_finding(kb: KnowledgeBase, graph: nx.DiGraph, out: nx.DiGraph, finding: str) -> None:
    if finding in out:
        return
    data = graph.nodes[finding]
    warning = bool(data.get("warning_sign"))
    out.add_node(
        finding,
        kind="finding",
        label=str(data.get("label", finding)),
        sublabel="warning sign" if warning else "finding",
        detail=str(data.get("detail", "")),
        href=f"#finding-{finding.partition(':')[2]}",
    )
    r = roots(graph, finding)
    _link(kb, graph, out, finding, r)
