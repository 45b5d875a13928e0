"""The engine's own fast paths do what experta's code they stand in for does.

A derived fact is listed without experta's fact-list checks, and a run writes its log
lines only when watched: the facts listed, their identities and the log lines are
compared with experta's own code on the examples and on generated runners.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from expert._experta import Fact, FactList, KnowledgeEngine, built_fact, watchers
from expert.compile import CrampEngine, _Conclusion
from expert.engine import Reasoner
from knowledge import KnowledgeBase, Profile, load_profile_text
from knowledge.bundled import example_names, example_path


def _experta_declare_derived(engine: CrampEngine, conclusion: _Conclusion) -> None:
    """What declaring a derived fact was before its fast path: experta's fact list."""
    declared = engine.facts.declare(built_fact(conclusion.fact_class, conclusion.frozen))
    if declared is not None:
        engine._records[declared["__factid__"]] = conclusion.record
    assert engine.running  # derived facts are declared by firing rules


def _listed(kb: KnowledgeBase, profile: Profile) -> tuple[Any, ...]:
    """Everything a run leaves in the fact list, and its trace."""
    reasoner = Reasoner(kb)
    run = reasoner.run(profile)
    facts = reasoner._engine.facts
    return (
        [(i, type(f), dict(f)) for i, f in facts.items()],
        dict(facts.reference_counter),
        facts.last_index,
        run.trace,
    )


def _both(kb: KnowledgeBase, profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _listed(kb, profile)
    with monkeypatch.context() as patched:
        patched.setattr(CrampEngine, "declare_derived", _experta_declare_derived)
        theirs = _listed(kb, profile)
    assert ours == theirs


@pytest.mark.parametrize("name", example_names())
def test_derived_facts_are_listed_as_experta_s_fact_list_lists_them(
    kb: KnowledgeBase, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = example_path(name)
    _both(kb, load_profile_text(path.read_bytes(), kb, path.name), monkeypatch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_runners_list_the_same_facts(kb: KnowledgeBase, data: st.DataObject) -> None:
    profile = data.draw(profiles(kb))
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both(kb, profile, monkeypatch)


def test_every_compiled_conclusion_knows_its_identity_in_the_fact_list(kb: KnowledgeBase) -> None:
    engine = Reasoner(kb)._engine
    conclusions = {
        id(c): c
        for rule in engine.get_rules()
        for member in getattr(rule._wrapped, "members", ())
        for c in member.conclusions
    }
    assert conclusions
    for conclusion in conclusions.values():
        fact = built_fact(conclusion.fact_class, conclusion.frozen)
        assert conclusion.fact_id == FactList._get_fact_id(fact)


def test_a_watched_run_logs_the_firings_experta_s_run_logs(
    kb: KnowledgeBase, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = example_path("red-flag-calf-tear")
    profile = load_profile_text(path.read_bytes(), kb, path.name)
    caplog.set_level(logging.INFO, logger=watchers.RULES.name)

    def fired() -> list[str]:
        caplog.clear()
        Reasoner(kb).run(profile)
        return [r.getMessage() for r in caplog.records if r.name == watchers.RULES.name]

    ours = fired()
    with monkeypatch.context() as patched:
        patched.setattr(CrampEngine, "run", KnowledgeEngine.run)
        theirs = fired()
    assert ours == theirs
    assert len(ours) > 10 and all(line.startswith("FIRE ") for line in ours)


def test_an_unwatched_run_formats_no_fact(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = example_path("red-flag-calf-tear")
    profile = load_profile_text(path.read_bytes(), kb, path.name)
    reasoner = Reasoner(kb)
    shown: list[Any] = []
    real = Fact.__str__
    monkeypatch.setattr(Fact, "__str__", lambda f: shown.append(f) or real(f))
    reasoner.run(profile)
    assert shown == []


def _held(engine: CrampEngine) -> list[tuple[int, str, int]]:
    """What every node memory and join table holds (by size), and tables left off."""
    held = []
    for index, node in enumerate(engine.matcher._nodes()):
        for name in ("memory", "left_memory", "right_memory", "_left_index", "_right_index"):
            size = len(getattr(node, name, ()))
            if size:
                held.append((index, name, size))
        if hasattr(node, "_scan") and node._scan != (node.shared is None):
            held.append((index, "_scan", 1))
    return held


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_reset_after_any_run_leaves_the_memories_of_a_new_engine(
    kb: KnowledgeBase, data: Any
) -> None:
    # A reset wipes only the nodes a run reached: none may keep anything from that run.
    # (What a reset holds is the initial fact's way through the rules without patterns.)
    fresh = Reasoner(kb)._engine
    fresh.reset()
    wiped = Reasoner(kb)._engine  # every node wiped, as experta's reset does
    for node in wiped.matcher._nodes():
        node._reset()
    wiped.reset()
    assert _held(fresh) == _held(wiped)  # a network is built as a wipe leaves it
    reasoner = Reasoner.for_kb(kb)
    for _ in range(2):
        reasoner.run(data.draw(profiles(kb)))
        assert _held(reasoner._engine) != _held(fresh)  # the run filled memories
        reasoner._engine.reset()
        assert _held(reasoner._engine) == _held(fresh)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_run_pauses_the_collector_and_leaves_it_as_it_was(
    kb: KnowledgeBase, enabled: bool
) -> None:
    path = example_path("red-flag-calf-tear")
    profile = load_profile_text(path.read_bytes(), kb, path.name)
    reasoner = Reasoner(kb)
    collections: list[int] = []
    running = [False]
    engine_run = reasoner._engine.run

    def run() -> None:  # the engine's firing of rules, where a run makes most objects
        running[0] = True
        try:
            engine_run()
        finally:
            running[0] = False

    reasoner._engine.run = run  # type: ignore[method-assign]

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and running[0]:
            collections.append(info["generation"])

    threshold = gc.get_threshold()
    was = gc.isenabled()
    gc.callbacks.append(count)
    try:
        gc.set_threshold(1)  # a collection at every allocation, were the collector on
        (gc.enable if enabled else gc.disable)()
        reasoner.run(profile)
        after = gc.isenabled()
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)
        (gc.enable if was else gc.disable)()
    assert after is enabled
    assert collections == []
    assert reasoner.run(profile).trace  # and the rules did fire


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_run_leaves_no_cycles_for_the_collector(kb: KnowledgeBase, data: Any) -> None:
    # What a command freezes after each run (expert.collector.keep_runs) must be freed
    # by reference counts alone at the next reset; a cycle would be kept to the end.
    reasoner = Reasoner.for_kb(kb)
    first, second = data.draw(profiles(kb)), data.draw(profiles(kb))
    was = gc.isenabled()
    gc.disable()
    # Everything older is set aside: what the runs make is all the young generation
    # holds, so collecting it alone finds any cycle among them (and stays quick in a
    # test process holding millions of objects).
    gc.freeze()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        reasoner.run(first)
        reasoner.run(second)  # its reset lets go of the first run
        reasoner.run(first)  # and this one's, of the second
        gc.collect(0)
        left = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.unfreeze()
        (gc.enable if was else gc.disable)()
    assert left == []


def test_a_command_freezes_what_a_run_leaves(kb: KnowledgeBase) -> None:
    from expert.collector import keep_runs, keeping_runs

    path = example_path("red-flag-calf-tear")
    profile = load_profile_text(path.read_bytes(), kb, path.name)
    reasoner = Reasoner(kb)
    kept = keeping_runs()
    gc.collect()
    frozen = gc.get_freeze_count()
    try:
        keep_runs(False)
        reasoner.run(profile)
        assert gc.get_freeze_count() == frozen
        keep_runs()
        reasoner.run(profile)
        assert gc.get_freeze_count() > frozen
        # The collector has none of the run's facts left to scan.
        facts = {id(f) for f in reasoner._engine.facts.values()}
        assert facts and not facts & {id(o) for o in gc.get_objects(0)}
    finally:
        keep_runs(kept)
        gc.unfreeze()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_derived_fact_hashes_as_experta_hashes_it(kb: KnowledgeBase, data: Any) -> None:
    # Its hash is made when it is declared, from its fields frozen once: experta's own
    # (a frozenset of the fact's items), which an equal fact made by experta shares.
    reasoner = Reasoner(kb)
    reasoner.run(data.draw(profiles(kb)))
    derived = [f for f in reasoner._engine.facts.values() if "_hash" in f.__dict__]
    assert derived
    for fact in derived:
        assert fact._hash == hash(frozenset(fact.items()))
