"""Build the report context (:mod:`explain.context`) from a knowledge base and a profile."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .context import (
    REPORT_FORMAT,
    AdviceView,
    AnswerView,
    CauseView,
    CautionView,
    ClaimView,
    ConflictView,
    ContradictionView,
    EdgeView,
    FindingView,
    GraphView,
    KnowledgeBaseView,
    NodeView,
    PageView,
    PhaseView,
    QuoteView,
    ReportContext,
    RunnerView,
    SideView,
    SourceView,
    TermView,
    TriageView,
    WithheldView,
    WithholdReasonView,
)

if TYPE_CHECKING:
    import networkx as nx

    from expert.conclusions import AdviceItem, ClaimRef, Diagnosis
    from expert.engine import Run
    from knowledge import KnowledgeBase, Profile
    from knowledge.conditions import Test

#: Where each kind of graph node links to in the HTML report.
_ANCHORS = {
    "answer": "answer-",
    "given": "answer-",
    "finding": "finding-",
    "cause": "cause-",
    "advice": "advice-",
    "withheld": "withheld-",
    "against": "against-",
}


def report_context(kb: KnowledgeBase, profile: Profile) -> ReportContext:
    """Reason about ``profile`` and gather everything a report shows."""
    from expert.conclusions import diagnose_run
    from expert.engine import Reasoner

    run = Reasoner.for_kb(kb).run(profile)
    return context_for_run(kb, run, diagnose_run(kb, run))


def context_for_run(kb: KnowledgeBase, run: Run, diagnosis: Diagnosis) -> ReportContext:
    """The report context of a run already made (and its diagnosis)."""
    from .explanation import chains, condensed_graph
    from .graph import derivation_graph, keep_relevant, release
    from .render import PHASE_TITLES

    def cite(refs: Iterable[ClaimRef]) -> tuple[ClaimView, ...]:
        return tuple(claim_view(kb, r) for r in refs)

    d = diagnosis
    full = keep_relevant(derivation_graph(kb, run, d))
    because = chains(kb, full)
    summary = d.summary
    if summary is None:  # a diagnosis built by hand, without its summary
        from expert.summary import summarise

        summary = summarise(kb, d)
    triage = TriageView(
        tier=d.triage.tier,
        title=d.triage.title,
        action=d.triage.action,
        is_referral=d.triage.is_referral,
        claims=cite(d.triage.claims),
        all_clear=d.triage.all_clear,
        findings=d.triage.findings,
        unchecked=d.triage.unchecked,
        chain=because.get("triage", ""),
    )
    findings = tuple(
        FindingView(f.id, f.title, f.says, f.warning_sign, cite(f.claims)) for f in d.findings
    )
    causes = tuple(
        CauseView(
            id=c.id,
            title=c.title,
            summary=c.summary,
            standing=c.standing,
            status=c.status,
            supporting=cite(c.supporting),
            disputing=cite(c.disputing),
            contradicted_by=tuple(
                ContradictionView(x.because, x.answers) for x in c.contradicted_by
            ),
            terms=tuple(
                term_view(kb, r.id) for r in sorted((*c.supporting, *c.disputing), key=_id)
            ),
            arithmetic=c.arithmetic,
            likely=c.likely,
            background=cite(c.background),
            beyond_scope=cite(c.beyond_scope),
            chain=because.get(f"cause:{c.id}", ""),
        )
        for c in d.causes
    )

    def advice_view(a: AdviceItem, prefix: str = "advice") -> AdviceView:
        return AdviceView(
            id=a.id,
            phase=a.phase,
            title=a.title,
            text=a.text,
            claims=cite(a.claims),
            disputed_by=cite(a.disputed_by),
            conflicts=a.conflicts,
            acts_on=a.acts_on,
            cautions=tuple(
                CautionView(c.finding, c.finding_title, c.says, cite(c.claims)) for c in a.cautions
            ),
            caveats=cite(a.caveats),
            chain=because.get(f"{prefix}:{a.id}", ""),
        )

    phases = tuple(
        PhaseView(p, title, tuple(advice_view(a) for a in d.advice_in(p)))
        for p, title in PHASE_TITLES.items()
    )
    backing = {f["claim"]: f["advice"] for f in run.derived("Support") if f["stance"] != "disputes"}
    withheld = tuple(
        WithheldView(
            id=w.id,
            phase=w.phase,
            title=w.title,
            claims=tuple(
                claim_view(kb, c) for c in sorted(c for c, a in backing.items() if a == w.id)
            ),
            withheld_by=cite(w.withheld_by),
            acts_on=kb.advice[w.id].acts_on,
            reasons=tuple(
                WithholdReasonView(r.finding, r.finding_title, r.tags, r.because, cite(r.claims))
                for r in w.reasons
            ),
            chain=because.get(f"withheld:{w.id}", ""),
        )
        for w in d.withheld
    )
    conflicts = tuple(
        ConflictView(
            c.id,
            c.type,
            c.title,
            c.reason,
            tuple(SideView(s.label, s.item, cite(s.claims)) for s in c.sides),
        )
        for c in d.conflicts
    )
    advised_against = tuple(advice_view(a, "against") for a in d.advised_against)
    condensed = condensed_graph(kb, full, summary)
    explanation, graph = graph_view(condensed), graph_view(full)
    release(condensed, full)  # nothing below reads them: freed as soon as dropped
    cited = [
        *triage.claims,
        *(x for f in findings for x in f.claims),
        *(x for p in phases for a in p.advice for c in a.cautions for x in c.claims),
        *(x for c in causes for x in (*c.supporting, *c.disputing)),
        *(x for p in phases for a in p.advice for x in (*a.claims, *a.disputed_by)),
        *(x for w in withheld for x in (*w.claims, *w.withheld_by)),
        *(x for a in advised_against for x in a.disputed_by),
        # What the graph also links to: general claims, disputes beyond their scope,
        # observations and caveats.
        *(claim_view(kb, r) for c in d.causes for r in (*c.background, *c.beyond_scope)),
        *(claim_view(kb, r) for r in d.observations),
        *(claim_view(kb, r) for a in d.advice for r in a.caveats),
    ]
    return ReportContext(
        report_format=REPORT_FORMAT,
        title=kb.manifest.title,
        runner=RunnerView(d.name, d.notes),
        triage=triage,
        summary=summary,
        findings=findings,
        disclaimer=d.disclaimer,
        withheld=withheld,
        causes=causes,
        conflicts=conflicts,
        phases=phases,
        advised_against=advised_against,
        explanation=explanation,
        graph=graph,
        observations=tuple(claim_view(kb, r) for r in d.observations),
        suggested=d.suggested,
        sources=_sources(kb, d, cited),
        answers=_answers(kb, run),
        knowledge_base=KnowledgeBaseView(
            kb.manifest.title, kb.version, kb.content_hash, kb.short_hash
        ),
    )


def _id(ref: ClaimRef) -> str:
    return ref.id


def claim_view(kb: KnowledgeBase, ref: ClaimRef | str) -> ClaimView:
    """Cite a claim (a :class:`~expert.conclusions.ClaimRef` or an id) for a template."""
    from expert.conclusions import claim_ref

    if isinstance(ref, str):
        claim = kb.claims[ref]
        ref = claim_ref(kb, ref, weighted=claim.theory is not None)
    # A citation is shared by every diagnosis of a knowledge base (see claim_ref), and
    # so is its view: reports cite dozens of claims, most of them for every runner.
    return _kept(kb, "claim_views", ref, lambda: _claim_view(kb, ref))


def _kept(kb: KnowledgeBase, table: str, source: Any, make: Callable[[], Any]) -> Any:
    """What ``make`` makes of ``source``, made once per knowledge base while ``source``
    (by its ``id``) is the same object, and shared by every report made from it."""
    views = kb._cache.setdefault(table, {})
    kept = views.get(source.id)
    if kept is not None and kept[0] is source:
        return kept[1]
    view = make()
    views[source.id] = (source, view)
    return view


def _claim_view(kb: KnowledgeBase, ref: ClaimRef) -> ClaimView:
    from expert.summary import hedge_of

    return ClaimView(
        id=ref.id,
        source=ref.source,
        source_title=ref.source_title,
        source_bias=ref.source_bias,
        kind=ref.kind,
        stance=ref.stance,
        evidence=ref.evidence,
        says=ref.says,
        quote=ref.quote,
        reason=ref.reason,
        weight=ref.weight,
        conditions=tuple(test_words(kb, t) for t in kb.conditions[ref.id]),
        summary=ref.summary,
        pages=tuple(PageView(p["title"], p["url"]) for p in ref.pages),
        modality=ref.modality,
        hedge=hedge_of(ref),
        scope=ref.scope,
        background=ref.background,
    )


def test_words(kb: KnowledgeBase, test: Test) -> str:
    """One test of a rule in words; a finding is named by its title."""
    from knowledge.conditions import FindingTest

    if isinstance(test, FindingTest):
        finding = kb.findings.get(test.finding)
        return test.describe(finding.title if finding else None)
    return test.describe()


def term_view(kb: KnowledgeBase, claim_id: str) -> TermView:
    """One term of a theory's standing, with each factor named."""
    from expert.conclusions import claim_weight
    from knowledge.vocabulary import is_theory_kind

    claim = kb.claims[claim_id]
    assert is_theory_kind(claim.kind), "only theory claims have terms"
    w = kb.manifest.weights
    return TermView(
        claim=claim_id,
        source=kb.claim_source[claim_id],
        evidence=claim.evidence,
        evidence_weight=w.evidence[claim.evidence],
        stance=claim.stance,
        stance_factor=w.stance[claim.stance],
        kind=claim.kind,
        kind_factor=w.kind[claim.kind],
        weight=claim_weight(kb, claim_id),
    )


def graph_view(graph: nx.DiGraph) -> GraphView:
    """The derivation graph as plain data, with its layered layout and report anchors."""
    from .layout import layered_layout

    layout = layered_layout(graph)
    attributes = dict(graph.nodes(data=True))
    nodes = []
    for layer, row, node in (
        (i, j, n) for i, lay in enumerate(layout.layers) for j, n in enumerate(lay)
    ):
        data = attributes[node]
        nodes.append(
            NodeView(
                id=node,
                kind=data["kind"],
                label=str(data.get("label", node)),
                sublabel=str(data.get("sublabel", "")),
                detail=str(data.get("detail", "")),
                layer=layer,
                row=row,
                href=data["href"] if "href" in data else _anchor(node, data),
            )
        )
    edges = tuple(
        EdgeView(s, t, str(role))
        # A directed graph has one edge per (source, target): sorted as its ends were.
        for s, t, role in sorted(graph.edges(data="role", default=""))
    )
    return GraphView(tuple(nodes), edges)


def _anchor(node: str, data: dict) -> str | None:
    if data.get("claim"):
        return f"#claim-{data['claim']}"
    if node == "triage":
        return "#triage"
    prefix, _, rest = node.partition(":")
    if data["kind"] in ("answer", "conclusion") and prefix in _ANCHORS:
        return f"#{_ANCHORS[prefix]}{rest}"
    return None


def _sources(kb: KnowledgeBase, d: Diagnosis, cited: list[ClaimView]) -> tuple[SourceView, ...]:
    quotes: dict[str, dict[str, QuoteView]] = {}
    for c in cited:
        quotes.setdefault(c.source, {})[c.id] = _quote_view(kb, c)
    return tuple(
        SourceView(
            id=s.id,
            title=s.title,
            author=s.author,
            publisher=s.publisher,
            kind=s.kind,
            voice=s.voice,
            bias=s.bias,
            pages=tuple(PageView(p["title"], p["url"]) for p in s.pages),
            quotes=tuple(v for _, v in sorted(quotes.get(s.id, {}).items())),
        )
        for s in d.sources
    )


def _quote_view(kb: KnowledgeBase, claim: ClaimView) -> QuoteView:
    """The quote a claim's view carries, made once per view: shared, as the view is, by
    every report of the knowledge base, so its markup is drawn once (see
    :mod:`explain.remembered`)."""
    return _kept(
        kb,
        "quote_views",
        claim,
        lambda: QuoteView(claim.id, claim.says, claim.quote, claim.summary, claim.pages),
    )


def _answers(kb: KnowledgeBase, run: Run) -> tuple[AnswerView, ...]:
    from knowledge.values import answer_words, json_value

    profile = run.profile
    used: dict[str, set[str]] = {}
    for firing in run.trace:
        for fact in firing.matched:
            if fact.type in ("Answer", "Given"):
                used.setdefault(fact["question"], set()).add(firing.claim or firing.rule)
    out = []
    for qid, question in kb.questions.items():
        if qid in profile.unknown:
            out.append(
                AnswerView(
                    qid, question.section, question.prompt, "unknown", "don't know", None, ()
                )
            )
        elif qid in profile.answers:
            value = profile.answers[qid]
            status = "given" if qid in run.answers else "set_aside"
            out.append(
                AnswerView(
                    qid,
                    question.section,
                    question.prompt,
                    status,
                    answer_words(question, value),
                    json_value(value),
                    tuple(sorted(used.get(qid, ()))),
                )
            )
    return tuple(out)
