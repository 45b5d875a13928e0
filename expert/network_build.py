"""Build experta's RETE network in time that grows linearly with the rules.

experta builds the same network in quadratic time, which a knowledge base a hundred
times the bundled one makes plain (over a minute): each check of each pattern looks
for an existing node by walking every child of its parent, and every new child is
first compared with every existing one. The comparison never matches (a child is a
``(node, callback)`` pair and is compared with a bare node), so appending directly is
the same; the walk becomes a lookup in a table of the parent's children by check. The
network built is the same, node for node and in the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

from ._experta import (
    AnyChild,
    ChildNode,
    FactCapture,
    FeatureCheck,
    FeatureTesterNode,
    InitialFact,
    Rule,
    TypeCheck,
    extract_facts,
    generate_checks,
)


def _append_child(self: Any, node: Any, callback: Any) -> None:
    self.children.append(ChildNode(node, callback))


@contextmanager
def appending_children() -> Iterator[None]:
    """While building, add children without experta's comparison that never matches."""
    original = AnyChild.add_child
    AnyChild.add_child = _append_child  # a build-time patch, undone below
    try:
        yield
    finally:
        AnyChild.add_child = original


def build_alpha_part(
    ruleset: set[Any], root_node: Any, node_class: type = FeatureTesterNode
) -> dict[Any, Any]:
    """experta's ``ReteMatcher.build_alpha_part``, finding existing nodes by lookup.

    Same ranking of rules and checks as experta's, so the same nodes in the same order;
    ``node_class`` is experta's test node or a subclass of it.
    """
    ruleset = ruleset.copy()
    ruleset.add(Rule(InitialFact()))
    rule_facts = {rule: extract_facts(rule) for rule in ruleset}
    fact_checks = {
        fact: set(generate_checks(fact)) for fact in chain.from_iterable(rule_facts.values())
    }
    check_rank = Counter(chain.from_iterable(fact_checks.values()))

    def weighted_check_sort(check: Any) -> tuple[float, int]:
        if isinstance(check, TypeCheck):
            return (float("inf"), hash(check))
        if isinstance(check, FactCapture):
            return (float("-inf"), hash(check))
        if isinstance(check, FeatureCheck):
            return (check_rank[check], hash(check))
        raise TypeError("Unknown check type.")

    def weighted_rule_sort(rule: Any) -> float:
        total = sum(check_rank[check] for fact in rule_facts[rule] for check in fact_checks[fact])
        return total / len(rule_facts[rule])

    # Each node's children by the identity of their check, as experta compares them.
    index: dict[int, dict[int, Any]] = {}

    def child_with(parent: Any, check: Any) -> Any:
        table = index.get(id(parent))
        if table is None:
            table = index[id(parent)] = {id(c.node.matcher): c.node for c in parent.children}
        node = table.get(id(check))
        if node is None:
            node = table[id(check)] = node_class(check)
            parent.children.append(ChildNode(node, node.activate))
        return node

    terminals: dict[Any, Any] = {}
    for rule in sorted(ruleset, key=weighted_rule_sort, reverse=True):
        for fact in rule_facts[rule]:
            node = root_node
            for check in sorted(fact_checks[fact], key=weighted_check_sort, reverse=True):
                node = child_with(node, check)
            terminals[fact] = node
    return terminals


__all__ = ["appending_children", "build_alpha_part"]
