"""*How*: the chain behind one conclusion, read off the derivation graph.

The chain is the conclusion's ancestors: the answers it rests on, the findings it goes
through, every rule that fired on the way (each claim with its source and its words,
each finding rule with the clause that held, each rule with what it needed to be
absent), and for a cause the arithmetic of its standing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from .context import (
    AdviceView,
    AnswerView,
    CauseView,
    ClaimView,
    FindingView,
    TriageView,
    WithheldView,
)
from .items import Item, has_fired

if TYPE_CHECKING:
    from expert.engine import Run
    from expert.trace import Firing
    from knowledge import KnowledgeBase


@dataclass(frozen=True)
class Step:
    """One rule firing on the way to the conclusion.

    ``declared`` lists the facts it declared that the chain uses; ``absent`` what the
    rule needed not to be there; ``note`` says in words what a rule other than a claim
    did (a finding's clause, a withholding, the triage level...).
    """

    rule: str
    claim: ClaimView | None
    matched: tuple[str, ...]
    declared: tuple[str, ...]
    note: str
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class How:
    """Everything ``cramp explain ITEM`` shows for a conclusion."""

    item: Item
    fired: bool
    level: str
    rests_on: tuple[AnswerView, ...]
    unconditional: tuple[str, ...]
    steps: tuple[Step, ...]
    findings: tuple[FindingView, ...] = ()
    cause: CauseView | None = None
    advice: AdviceView | None = None
    withheld: WithheldView | None = None
    against: AdviceView | None = None
    triage: TriageView | None = None
    finding: FindingView | None = None


class _Found(TypedDict, total=False):
    """What :func:`explain_how` found of the item, by :class:`How` field."""

    cause: CauseView | None
    advice: AdviceView | None
    withheld: WithheldView | None
    against: AdviceView | None
    triage: TriageView | None
    finding: FindingView | None


def explain_how(kb: KnowledgeBase, run: Run, item: Item) -> How:
    """The chain of answers, findings, rules and claims behind ``item`` in this run."""
    import networkx as nx

    from expert.conclusions import diagnose_run

    from .build import claim_view, context_for_run
    from .graph import PREMISE, TRIAGE, derivation_graph

    diagnosis = diagnose_run(kb, run)
    context = context_for_run(kb, run, diagnosis)
    graph = derivation_graph(kb, run, diagnosis)
    found: _Found = {}
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
    elif item.kind == "finding":
        found["finding"] = next((f for f in context.findings if f.id == item.id), None)
        nodes = [f"finding:{item.id}"]
    else:
        found["triage"] = context.triage
        nodes = [TRIAGE]
    chain: set[str] = set()
    for node in nodes:
        if node in graph:
            chain |= {node, *nx.ancestors(graph, node)}
    answers = {a.question: a for a in context.answers}
    rests_on = tuple(
        answers[q]
        for q in sorted(
            {graph.nodes[n]["question"] for n in chain if graph.nodes[n]["kind"] == "answer"}
        )
    )
    through = tuple(f for f in context.findings if f"finding:{f.id}" in chain and f.id != item.id)
    steps = []
    unconditional = []
    for firing in run.trace:
        declared = tuple(d.key for d in firing.declared if d.key in chain)
        if not declared:
            continue
        if firing.claim and not kb.conditions[firing.claim]:
            unconditional.append(firing.claim)
        steps.append(
            Step(
                rule=firing.rule,
                claim=claim_view(kb, firing.claim) if firing.claim else None,
                matched=tuple(m.key for m in firing.matched)
                or ((PREMISE,) if firing.claim and not kb.conditions[firing.claim] else ()),
                declared=declared,
                note=_note(kb, firing),
                absent=tuple(firing.absent),
            )
        )
    return How(
        item=item,
        fired=has_fired(item, run),
        level=context.triage.tier,
        rests_on=rests_on,
        unconditional=tuple(sorted(unconditional)),
        steps=tuple(steps),
        findings=through,
        **found,
    )


def _note(kb: KnowledgeBase, firing: Firing) -> str:
    from .graph import describe_tests

    kind, _, rest = firing.rule.partition(":")
    if kind == "contradiction":
        theory, _, index = rest.rpartition(":")
        return f"your answers contradict it: {kb.contradictions[theory][int(index)][1]}"
    if kind == "recommend":
        return "backed by a claim above, and no warning sign withholds it"
    if kind == "gate":
        ask_if = " and ".join(c.describe() for c in kb.preconditions.get(rest, ()))
        return f"{rest} is asked only if {ask_if}, so your answer to it is used"
    if kind == "finding":
        finding, _, index = rest.rpartition(":")
        clauses = kb.finding_clauses[finding]
        clause = describe_tests(kb, clauses[int(index)])
        return (
            f"finding: {kb.findings[finding].title} "
            f"(clause {int(index) + 1} of {len(clauses)}: {clause})"
        )
    if kind in ("withhold", "caution"):
        finding, _, index = rest.rpartition(":")
        title = kb.findings[finding].title
        if kind == "withhold":
            group = kb.findings[finding].withholds[int(index)]
            return f"{title} withholds advice on {', '.join(group.tags)}: {group.because}"
        note = kb.findings[finding].cautions[int(index)]
        return f"{title} puts a caution on advice on {', '.join(note.tags)}: {note.says}"
    if kind == "level":
        from knowledge.vocabulary import is_tier

        assert is_tier(rest), "level rules are named after their tier"
        return f"the triage level is {kb.manifest.tiers[rest].title}"
    return ""
