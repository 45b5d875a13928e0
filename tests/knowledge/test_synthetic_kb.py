"""Synthetic knowledge bases for scale benchmarks: replicated, loaded and diagnosed as usual."""

from __future__ import annotations

from expert import diagnose
from knowledge import load_knowledge_base, parse_profile
from knowledge.bundled import example_path
from knowledge.profile import load_profile_text
from knowledge.synthetic import replicate_knowledge_base, replicate_profile, suffixed


def test_a_replicated_knowledge_base_loads_with_every_item_copied(kb, tmp_path):
    big = load_knowledge_base(replicate_knowledge_base(None, tmp_path / "x3", 3))
    for attribute in ("questions", "claims", "theories", "advice", "conflicts"):
        assert len(getattr(big, attribute)) == 3 * len(getattr(kb, attribute)), attribute
    claim = next(iter(kb.claims))
    assert big.conditions[suffixed(claim, 3)] == tuple(
        c.__class__(**{**c.__dict__, "question": suffixed(c.question, 3)})
        for c in kb.conditions[claim]
    )


def test_each_copy_fires_what_the_original_fires_for_a_replicated_profile(kb, tmp_path):
    big = load_knowledge_base(replicate_knowledge_base(None, tmp_path / "x3", 3))
    text = example_path("night-cramps-after-hard-week").read_bytes()
    original = diagnose(kb, load_profile_text(text, kb, "profile.yaml"))
    data = load_profile_text(text, kb, "profile.yaml").to_data()
    replicated = diagnose(big, parse_profile(replicate_profile(data, 3), big))
    assert set(replicated.fired_claims) == {
        suffixed(c, n) for c in original.fired_claims for n in (1, 2, 3)
    }
    assert replicated.triage.tier == original.triage.tier
    assert {a.id for a in replicated.advice} == {
        suffixed(a.id, n) for a in original.advice for n in (1, 2, 3)
    }


def test_one_copy_is_the_original_knowledge_base(kb, tmp_path):
    same = load_knowledge_base(replicate_knowledge_base(None, tmp_path / "x1", 1))
    assert list(same.claims) == list(kb.claims)
    assert same.conditions == kb.conditions
