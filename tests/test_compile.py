"""The compiled network: grouped rules and shared tests, checked against the plain rules.

The engine compiles rules with equal conditions into one experta rule, shares one test
per distinct condition, and runs every recommendation through one rule; these tests
hold it to what one rule per claim means, computed here without experta.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expert.compile import compile_engine
from expert.engine import Reasoner
from knowledge import KnowledgeBase, Profile
from knowledge.conditions import holds_all
from knowledge.runners import profiles


def expected_firings(kb: KnowledgeBase, profile: Profile) -> dict[str, tuple[str, ...]]:
    """Rule name → keys of the answers it matches, for every claim and contradiction rule."""
    answers = kb.applicable(profile.answers)
    out = {}
    for claim_id, conditions in kb.conditions.items():
        if holds_all(conditions, answers):
            out[f"claim:{claim_id}"] = tuple(f"answer:{c.question}" for c in conditions)
    for theory, clauses in kb.contradictions.items():
        for index, (conditions, _because) in enumerate(clauses):
            if holds_all(conditions, answers):
                out[f"contradiction:{theory}:{index}"] = tuple(
                    f"answer:{c.question}" for c in conditions
                )
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_rule_fires_once_exactly_when_its_conditions_hold(kb, data):
    profile = data.draw(profiles(kb))
    run = Reasoner.for_kb(kb).run(profile)
    fired = {
        f.rule: tuple(m.key for m in f.matched)
        for f in run.trace
        if not f.rule.startswith("recommend:")
    }
    assert fired == expected_firings(kb, profile)
    assert len(fired) == sum(not f.rule.startswith("recommend:") for f in run.trace)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_advice_is_recommended_once_per_backing_claim_unless_withheld(kb, data):
    profile = data.draw(profiles(kb))
    run = Reasoner.for_kb(kb).run(profile)
    fired = run.fired_claims
    withheld = {a for c in fired for a in kb.claims[c].withholds}
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


def test_claims_with_equal_conditions_share_one_experta_rule(kb):
    groups = {
        (tuple(kb.conditions[c]), kb.source_of(c).kind == "public_health", kb.claims[c].triage)
        for c in kb.claims
    }
    rules = compile_engine(kb)().get_rules()
    assert len(rules) < len(kb.claims)
    # claim groups (salience splits some), contradiction clauses, the recommendation rule
    assert len(rules) <= len(groups) + sum(len(v) for v in kb.contradictions.values()) + 1
