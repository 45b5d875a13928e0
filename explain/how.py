"""*How*: the chain behind one conclusion, read off the derivation graph.

The chain is the conclusion's ancestors: the answers it rests on, every rule that fired
on the way (each claim with its source and verbatim quote), and for a cause the
arithmetic of its standing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .context import AdviceView, AnswerView, CauseView, ClaimView, TriageView, WithheldView
from .items import Item, has_fired

if TYPE_CHECKING:
    from expert.engine import Run
    from knowledge import KnowledgeBase


@dataclass(frozen=True)
class Step:
    """One rule firing on the way to the conclusion."""

    rule: str
    claim: ClaimView | None
    matched: tuple[str, ...]
    declared: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class How:
    """Everything ``cramp explain ITEM`` shows for a conclusion that fired."""

    item: Item
    fired: bool
    level: str
    rests_on: tuple[AnswerView, ...]
    unconditional: tuple[str, ...]
    steps: tuple[Step, ...]
    cause: CauseView | None = None
    advice: AdviceView | None = None
    withheld: WithheldView | None = None
    against: AdviceView | None = None
    triage: TriageView | None = None


def explain_how(kb: KnowledgeBase, run: Run, item: Item) -> How:
    """The chain of answers, rules and claims behind ``item`` in this run."""
    import networkx as nx

    from expert.conclusions import diagnose_run

    from .build import claim_view, context_for_run
    from .graph import PREMISE, TRIAGE, derivation_graph

    diagnosis = diagnose_run(kb, run)
    context = context_for_run(kb, run, diagnosis)
    graph = derivation_graph(kb, run, diagnosis)
    found: dict[str, object] = {}
    if item.kind == "cause":
        found["cause"] = next((c for c in context.causes if c.id == item.id), None)
        nodes = [f"cause:{item.id}"]
    elif item.kind == "advice":
        found["advice"] = next(
            (a for p in context.phases for a in p.advice if a.id == item.id), None
        )
        found["withheld"] = next((w for w in context.withheld if w.id == item.id), None)
        found["against"] = next((a for a in context.advised_against if a.id == item.id), None)
        nodes = [f"{k}:{item.id}" for k in ("advice", "withheld", "against")]
    else:
        found["triage"] = context.triage
        nodes = [TRIAGE]
    chain: set[str] = set()
    for node in nodes:
        if node in graph:
            chain |= {node, *nx.ancestors(graph, node)}
    answers = {a.question: a for a in context.answers}
    rests_on = tuple(
        answers[graph.nodes[n]["question"]]
        for n in sorted(chain)
        if graph.nodes[n]["kind"] == "answer"
    )
    steps = []
    unconditional = []
    for firing in run.trace:
        declared = tuple(d.key for d in firing.declared)
        if not set(declared) & chain:
            continue
        if firing.claim and not firing.matched:
            unconditional.append(firing.claim)
        steps.append(
            Step(
                rule=firing.rule,
                claim=claim_view(kb, firing.claim) if firing.claim else None,
                matched=tuple(m.key for m in firing.matched)
                or ((PREMISE,) if firing.claim else ()),
                declared=declared,
                note=_note(kb, firing.rule),
            )
        )
    return How(
        item=item,
        fired=has_fired(item, run),
        level=context.triage.tier,
        rests_on=rests_on,
        unconditional=tuple(sorted(unconditional)),
        steps=tuple(steps),
        **found,  # type: ignore[arg-type]
    )


def _note(kb: KnowledgeBase, rule: str) -> str:
    kind, _, rest = rule.partition(":")
    if kind == "contradiction":
        theory, _, index = rest.rpartition(":")
        return f"your answers contradict it: {kb.contradictions[theory][int(index)][1]}"
    if kind == "recommend":
        return "backed by a claim above and not withheld by any safety rule"
    return ""
