"""The linear network builders give experta's network, node for node, in order."""

from __future__ import annotations

import re
from typing import Any

from expert._experta import ReteMatcher
from expert.compile import QuietReteMatcher, compile_engine, conflict_set_nodes
from expert.network_build import appending_children, build_alpha_part
from expert.rete_nodes import FeatureTester, build_beta_part
from knowledge import KnowledgeBase


def _shape(root: Any) -> list[tuple[int, str, str]]:
    """Every node below ``root``, depth first: its depth, kind and check, in order."""
    out = []
    stack = [(0, root)]
    while stack:
        depth, node = stack.pop()
        check = re.sub(
            r" at 0x[0-9a-f]+|__pattern_[0-9]+__", "", repr(getattr(node, "matcher", None))
        )
        out.append((depth, _experta_class(node), check))
        stack.extend((depth + 1, child.node) for child in reversed(node.children))
    return out


def _experta_class(node: Any) -> str:
    """The name of the experta class a node is, or subclasses (the fast nodes do)."""
    return next(c.__name__ for c in type(node).__mro__ if c.__module__.startswith("experta"))


def _ruleset(kb: KnowledgeBase) -> set[Any]:
    engine = compile_engine(kb)()
    return QuietReteMatcher.prepare_ruleset(engine)


def test_the_alpha_network_is_experta_s(kb: KnowledgeBase) -> None:
    from experta.matchers.rete.nodes import BusNode

    ruleset = _ruleset(kb)
    theirs_root, ours_root = BusNode(), BusNode()
    theirs = ReteMatcher.build_alpha_part(ruleset, theirs_root)
    ours = build_alpha_part(ruleset, ours_root)
    assert _shape(ours_root) == _shape(theirs_root)
    assert len(_shape(ours_root)) > 100
    # Each pattern ends at the node in the same place of the network.
    where_theirs = {id(n): i for i, n in enumerate(_nodes(theirs_root))}
    where_ours = {id(n): i for i, n in enumerate(_nodes(ours_root))}
    assert theirs.keys() == ours.keys()
    assert all(where_ours[id(ours[f])] == where_theirs[id(theirs[f])] for f in theirs)


def test_the_whole_network_is_experta_s(kb: KnowledgeBase) -> None:
    from experta.matchers.rete.nodes import BusNode

    class Plain(ReteMatcher):
        pass

    class Linear(ReteMatcher):
        build_alpha_part = staticmethod(build_alpha_part)

        def build_network(self) -> None:
            with appending_children():
                super().build_network()

    class Fast(ReteMatcher):
        def build_network(self) -> None:
            ruleset = self.prepare_ruleset(self.engine)
            with appending_children():
                terminals = build_alpha_part(ruleset, self.root_node, FeatureTester)
                build_beta_part(ruleset, terminals, self.root_node)

    engine_class = compile_engine(kb)
    shapes = []
    for matcher in (Plain, Linear, Fast):
        engine = engine_class()
        # One prepared rule set for both: experta breaks ties in its ranking by the
        # order of a set, which differs between two preparations of the same rules.
        engine.matcher = matcher.__new__(matcher)
        shapes.append(engine)
    ruleset = QuietReteMatcher.prepare_ruleset(shapes[0])
    built = []
    for engine in shapes:
        matcher = engine.matcher
        matcher.engine = engine
        matcher.root_node = BusNode()
        matcher.prepare_ruleset = lambda engine, ruleset=ruleset: ruleset
        matcher.build_network()
        built.append(_shape(matcher.root_node))
    shapes = built
    assert shapes[0] == shapes[1] == shapes[2]
    assert len(shapes[0]) > 300


def test_conflict_set_nodes_come_in_experta_s_order(kb: KnowledgeBase) -> None:
    engine = compile_engine(kb)()
    matcher = engine.matcher
    assert conflict_set_nodes(matcher.root_node) == list(matcher._get_conflict_set_nodes())


def _nodes(root: Any) -> list[Any]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(child.node for child in reversed(node.children))
    return out
