"""A built engine read back from its bytes fires the same rules, in the same order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from cramp.authoring.runners import profiles
from expert import persist
from expert._experta import FeatureCheck
from expert.engine import Reasoner
from expert.rete_nodes import FeatureTester, fast_test
from knowledge import load_knowledge_base, load_profile_text
from knowledge.bundled import example_names, example_path

KB = load_knowledge_base()
BUILT = Reasoner(KB)
DATA = persist.dump_reasoner(Reasoner(KB))
LOADED = persist.load_reasoner(KB, DATA)
#: Field values to test checks with: equal across types, None, NaN, a frozen list.
VALUES = [0, 1, 1.0, True, "a", "yes", "no", None, float("nan"), ("t",)]


def _same(profile) -> None:
    assert LOADED is not None
    built, loaded = BUILT.run(profile), LOADED.run(profile)
    assert loaded.facts == built.facts
    # Rules that tie on the agenda fire in the order of the network they were built in;
    # the same network, read back, keeps that order.
    assert [f.rule for f in loaded.trace] == [f.rule for f in _reread().run(profile).trace]
    assert sorted(loaded.trace, key=repr) == sorted(built.trace, key=repr)


def _reread() -> Reasoner:
    reasoner = persist.load_reasoner(KB, DATA)
    assert reasoner is not None
    return reasoner


def test_the_engine_refers_to_the_knowledge_base_it_is_read_for() -> None:
    assert LOADED is not None
    assert LOADED.kb is KB
    assert LOADED._engine.knowledge_base is KB
    assert LOADED._engine is not BUILT._engine


def test_every_example_fires_the_same_from_the_bytes() -> None:
    for name in example_names():
        path = example_path(name)
        _same(load_profile_text(path.read_text(), KB, str(path)))


@settings(max_examples=60)
@given(profiles(KB))
def test_generated_runners_fire_the_same_from_the_bytes(profile) -> None:
    _same(profile)


def test_an_engine_read_back_twice_fires_in_the_same_order() -> None:
    path = example_path(example_names()[0])
    profile = load_profile_text(path.read_text(), KB, str(path))
    first, second = _reread().run(profile), _reread().run(profile)
    assert first.trace == second.trace and first.facts == second.facts


def test_a_reasoner_that_has_run_is_not_kept_but_a_new_one_is() -> None:
    kb = load_knowledge_base()
    used = Reasoner.for_kb(kb)
    path = example_path(example_names()[0])
    used.run(load_profile_text(path.read_text(), kb, str(path)))
    with pytest.raises(ValueError):
        persist.dump_reasoner(used)
    persist.keep_engine(kb)
    kept = persist.load_reasoner(kb, kb._cache[persist.KEY])
    assert kept is not None and kept.fresh


def test_bytes_made_by_other_code_are_ignored(monkeypatch) -> None:
    monkeypatch.setattr(persist, "code_stamp", lambda: "another version of the compiler")
    assert persist.load_reasoner(KB, DATA) is None


def test_for_kb_reads_the_kept_engine_and_else_builds_one() -> None:
    kb = load_knowledge_base()
    kb._cache[persist.KEY] = persist.dump_reasoner(Reasoner(kb))
    del kb._cache["engine_class"]  # as in a new process, which reads the image
    kept = Reasoner.for_kb(kb)
    assert kept is Reasoner.for_kb(kb)
    assert kb._cache["engine_class"] is type(kept._engine)

    other = load_knowledge_base()
    other._cache[persist.KEY] = b"stale\n"  # another version's stamp: not read at all
    assert Reasoner.for_kb(other).kb is other


def _nodes(reasoner: Reasoner) -> list[Any]:
    """Every node of a reasoner's network, each once (children, and dispatch targets)."""
    seen: dict[int, Any] = {}
    stack = [reasoner._engine.matcher.root_node]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(child.node for child in node.children)
    return list(seen.values())


def _checks(reasoner: Reasoner) -> list[Any]:
    return [
        n.matcher for n in _nodes(reasoner) if type(getattr(n, "matcher", None)) is FeatureCheck
    ]


def test_field_checks_read_back_are_experta_checks_sharing_one_function_per_kind() -> None:
    reread = _reread()
    built, loaded = _checks(BUILT), _checks(reread)
    assert len(loaded) == len(built) > 0
    by_kind: dict[type, set[int]] = {}
    for check in loaded:
        made = FeatureCheck(check.what, check.how)  # as experta makes it
        assert (check.what, check.how, check.expected) == (made.what, made.how, made.expected)
        assert check.check.__code__ is made.check.__code__
        for value in VALUES:
            assert check(value, is_fact=False) == made(value, is_fact=False)
        by_kind.setdefault(type(check.how), set()).add(id(check.check))
    assert all(len(functions) == 1 for functions in by_kind.values())


def test_reading_an_engine_runs_no_python_code_per_node() -> None:
    import sys
    from collections import Counter

    calls: Counter[str] = Counter()

    def count(frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            calls[frame.f_code.co_qualname] += 1

    sys.setprofile(count)
    try:
        reread = persist.load_reasoner(KB, DATA)
    finally:
        sys.setprofile(None)
    assert reread is not None
    patterns = calls.pop("_fact", 0)  # a rule's patterns are facts, made as experta's
    assert patterns < len(_nodes(reread))
    assert max(calls.values(), default=0) < 20, calls.most_common(5)


def test_a_test_node_read_back_makes_its_test_function_when_a_token_needs_it() -> None:
    reread = _reread()
    testers = [n for n in _nodes(reread) if isinstance(n, FeatureTester)]
    assert testers and not any("_test" in n.__dict__ for n in testers)
    path = example_path(example_names()[0])
    profile = load_profile_text(path.read_text(), KB, str(path))
    assert reread.run(profile).facts == BUILT.run(profile).facts
    made = [n for n in testers if "_test" in n.__dict__]
    assert 0 < len(made) < len(testers)  # only the nodes a fact reached
    for node in made:
        for fact in {f for f in reread._engine.facts.values()}:
            assert node._test(fact) == fast_test(node.matcher)(fact)
