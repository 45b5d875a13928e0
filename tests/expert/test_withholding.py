"""Withholding and cautions by tag: what the diagnosis says against their definition.

A finding's withholding (or caution) declares one fact per tag it names; which advice
that holds back is read by the conclusions. These tests state what a withholding means
from the knowledge base alone (a holding finding holds back every piece of advice
acting on one of its tags, named by the group's first such tag) and check the
diagnosis against it for generated runners, and that what the rules declare grows
with the knowledge base, not with the product of its findings and its advice.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings

from cramp.authoring.runners import profiles
from expert.conclusions import diagnose_run
from expert.engine import Reasoner
from expert.rules import rule_specs
from knowledge import KnowledgeBase, Profile, load_knowledge_base
from knowledge.synthetic import replicate_knowledge_base

KB = load_knowledge_base()


def expected_holds(
    kb: KnowledgeBase, profile: Profile, side: str, named: set[str]
) -> dict[str, set[tuple[str, tuple[str, ...]]]]:
    """For each piece of advice in ``named``: (finding, tags) of each group holding it back.

    ``side`` is ``withholds`` or ``cautions``; the tag is the group's first that the
    advice acts on, as a reason names it.
    """
    findings = kb.holding_findings(kb.applicable(profile.answers))
    out: dict[str, set[tuple[str, tuple[str, ...]]]] = {}
    for finding in findings:
        for group in getattr(kb.findings[finding], side):
            for advice_id in named:
                acts_on = kb.advice[advice_id].acts_on
                first = next((t for t in group.tags if t in acts_on), None)
                if first is not None:
                    out.setdefault(advice_id, set()).add((finding, (first,)))
    return out


def _claims_naming(kb: KnowledgeBase, fired: frozenset[str]) -> tuple[set[str], set[str]]:
    backed = {kb.claims[c].advice for c in fired if kb.claims[c].stance != "disputes"}
    disputed = {kb.claims[c].advice for c in fired if kb.claims[c].stance == "disputes"}
    return {a for a in backed if a}, {a for a in disputed if a}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(KB))
def test_withheld_advice_and_its_reasons_follow_the_definition(profile):
    run = Reasoner.for_kb(KB).run(profile)
    d = diagnose_run(KB, run)
    backed, disputed = _claims_naming(KB, run.fired_claims)
    withheld = expected_holds(KB, profile, "withholds", backed | disputed)
    assert {w.id: {(r.finding, r.tags) for r in w.reasons} for w in d.withheld} == {
        a: reasons for a, reasons in withheld.items() if a in backed
    }
    assert {a.id for a in d.advice} == backed - set(withheld)
    # Advice only disputed, and withheld, is not listed as advised against either.
    assert {a.id for a in d.advised_against} == disputed - backed - set(withheld)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(KB))
def test_cautions_stand_beside_exactly_the_advice_they_name(profile):
    run = Reasoner.for_kb(KB).run(profile)
    d = diagnose_run(KB, run)
    shown = {a.id for a in (*d.advice, *d.advised_against)}
    cautioned = expected_holds(KB, profile, "cautions", shown)
    got = {a.id: {n.finding for n in a.cautions} for a in (*d.advice, *d.advised_against)}
    assert {a: f for a, f in got.items() if f} == {
        a: {finding for finding, _ in held} for a, held in cautioned.items()
    }


def test_what_the_rules_declare_grows_with_the_knowledge_base_not_faster(tmp_path):
    # Two copies: every kind of rule declares twice as much, except the triage levels,
    # which are vocabulary. Withholding by advice declared four times as much.
    double = load_knowledge_base(replicate_knowledge_base(None, tmp_path / "x2", 2))

    def declared(kb: KnowledgeBase) -> Counter[str]:
        out: Counter[str] = Counter()
        for spec in rule_specs(kb):
            out[spec.kind] += len(spec.declares)
        return out

    once, twice = declared(KB), declared(double)
    assert once["withhold"] > 0
    assert {k: twice[k] for k in twice if k != "level"} == {
        k: 2 * once[k] for k in once if k != "level"
    }
    assert twice["level"] == once["level"]
