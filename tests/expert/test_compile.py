"""The compiled network: grouped rules and shared tests, checked against the plain rules.

The engine compiles rules with equal conditions into one experta rule, shares one test
per distinct condition, and runs every recommendation through one rule; these tests
hold it to what one rule per claim means, computed here without experta.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from expert.compile import compile_engine
from expert.engine import Reasoner
from expert.rules import rule_specs
from knowledge import KnowledgeBase, Profile
from knowledge.conditions import Condition, FindingTest, holds_all
from knowledge.schema import TIERS


def _matched(tests, findings_too: bool = True) -> tuple[str, ...]:
    """Keys of the facts a rule with these tests matches: positive answers, findings."""
    keys = [
        f"answer:{t.question}" for t in tests if isinstance(t, Condition) and not t.holds_unanswered
    ]
    keys += [f"finding:{t.finding}" for t in tests if isinstance(t, FindingTest)]
    return tuple(keys)


def expected_firings(kb: KnowledgeBase, profile: Profile) -> dict[str, tuple[str, ...]]:
    """Rule name → keys of the facts it matches, for every rule but levels and
    recommendations (which fire once per matching fact), from the conditions' own
    semantics: gates, finding clauses, claims, contradictions, withholding, cautions."""
    answers = kb.applicable(profile.answers)
    findings = kb.holding_findings(answers)
    out = {}
    for spec in rule_specs(kb):
        if spec.kind == "gate":
            q = spec.gated
            if q in answers and q in profile.answers:
                out[spec.name] = (f"given:{q}", *_matched(spec.tests))
        elif spec.kind in ("finding", "claim", "contradiction", "withhold", "caution") and (
            holds_all(spec.tests, answers, findings)
        ):
            out[spec.name] = _matched(spec.tests)
    return out


def expected_beyond(kb: KnowledgeBase, profile: Profile) -> set[str]:
    """Rules showing a dispute beyond its scope, from the semantics."""
    answers = kb.applicable(profile.answers)
    findings = kb.holding_findings(answers)
    holding = {c for c, conds in kb.conditions.items() if holds_all(conds, answers, findings)}
    offered = {kb.claims[c].theory for c in holding if kb.claims[c].stance != "disputes"}
    return {
        f"beyond:{cid}"
        for cid, claim in kb.claims.items()
        if claim.stance == "disputes"
        and claim.scope
        and claim.theory in offered
        and cid not in holding
    }


def expected_tier(kb: KnowledgeBase, profile: Profile) -> str:
    """The most urgent tier any holding claim sets, from the semantics."""
    answers = kb.applicable(profile.answers)
    findings = kb.holding_findings(answers)
    tiers = [
        claim.triage
        for cid, claim in kb.claims.items()
        if claim.triage and holds_all(kb.conditions[cid], answers, findings)
    ]
    return min(tiers, key=TIERS.index) if tiers else "self_care"


def expected_withheld(kb: KnowledgeBase, profile: Profile) -> set[str]:
    """Advice carrying a tag that a holding finding withholds."""
    findings = kb.holding_findings(kb.applicable(profile.answers))
    tags = {t for f in findings for g in kb.findings[f].withholds for t in g.tags}
    return {a for a, advice in kb.advice.items() if tags & set(advice.acts_on)}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_rule_fires_once_exactly_when_its_conditions_hold(kb, data):
    profile = data.draw(profiles(kb))
    run = Reasoner.for_kb(kb).run(profile)
    once = [f for f in run.trace if not f.rule.startswith(("recommend:", "level:", "beyond:"))]
    fired = {f.rule: tuple(m.key for m in f.matched) for f in once}
    assert fired == expected_firings(kb, profile)
    assert len(fired) == len(once)
    assert run.tier == expected_tier(kb, profile)
    # Each level rule that fires is the runner's level, once per claim setting that tier.
    levels = [f for f in run.trace if f.rule.startswith("level:")]
    assert {f.rule for f in levels} == {f"level:{run.tier}"}
    # A dispute with a scope shows beyond it when the theory is offered and it does not
    # hold itself (once per claim offering the theory).
    assert {f.rule for f in run.trace if f.rule.startswith("beyond:")} == expected_beyond(
        kb, profile
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_advice_is_recommended_once_per_backing_claim_unless_withheld(kb, data):
    profile = data.draw(profiles(kb))
    run = Reasoner.for_kb(kb).run(profile)
    fired = run.fired_claims
    withheld = expected_withheld(kb, profile)
    backing = sorted(
        (kb.claims[c].advice, c)
        for c in fired
        if kb.claims[c].advice and kb.claims[c].stance != "disputes"
    )
    expected = [(f"recommend:{a}", (f"support:{c}",)) for a, c in backing if a not in withheld]
    got = sorted(
        (f.rule, tuple(m.key for m in f.matched))
        for f in run.trace
        if f.rule.startswith("recommend:")
    )
    assert got == expected
    assert {f.key for f in run.facts if f.type == "Recommendation"} == {
        f"recommendation:{a}" for a, _ in backing if a not in withheld
    }


def test_rules_with_equal_tests_share_one_experta_rule(kb):
    specs = rule_specs(kb)
    groups = {
        (s.tests, s.requires, s.excludes, s.salience)
        for s in specs
        if s.kind not in ("gate", "recommend")
    }
    gates = len(specs.of_kind("gate"))
    held_by = {s.excludes for s in specs.of_kind("recommend")}
    rules = compile_engine(kb)().get_rules()
    assert len(rules) < len(specs)
    # one per group of equal tests, one per gate, and one recommendation rule per set of
    # tags that could withhold the advice
    assert len(rules) == len(groups) + gates + len(held_by)


def test_the_trace_is_in_firing_order_with_every_stratum_after_the_last(kb):
    from knowledge import load_profile_text
    from knowledge.bundled import example_path

    path = example_path("red-flag-calf-tear")
    profile = load_profile_text(path.read_bytes(), kb, str(path))
    run = Reasoner.for_kb(kb).run(profile)
    assert [f.sequence for f in run.trace] == list(range(len(run.trace)))
    by_name = {s.name: s for s in rule_specs(kb)}
    saliences = [f.salience for f in run.trace]
    assert saliences == sorted(saliences, reverse=True)
    # Within a stratum, what concerns safety fires first: the red flags precede the
    # articles' claims that do not set a tier.
    first_plain = next(
        i
        for i, f in enumerate(run.trace)
        if f.claim
        and not kb.claims[f.claim].triage
        and kb.source_of(f.claim).kind != "public_health"
    )
    assert all(
        i < first_plain
        for i, f in enumerate(run.trace)
        if f.claim and kb.claims[f.claim].kind == "red_flag" and by_name[f.rule].stratum == 0
    )
