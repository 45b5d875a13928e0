"""``knowledge.plain.plain`` gives exactly what ``dataclasses.asdict`` gives, for less."""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from expert import diagnose
from explain import report_context
from knowledge import KnowledgeBase
from knowledge.plain import plain


@dataclasses.dataclass(frozen=True)
class Leaf:
    name: str
    weight: float | None


@dataclasses.dataclass
class Node:
    leaves: tuple[Leaf, ...]
    children: list[Any]
    table: dict[str, Any]


Pair = namedtuple("Pair", "left right")

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
leaves = st.builds(Leaf, st.text(max_size=5), st.none() | st.floats())
trees = st.recursive(
    scalars | leaves | st.frozensets(st.integers(), max_size=3) | st.just(Leaf),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.builds(Pair, inner, inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        | st.builds(
            Node,
            st.tuples(leaves),
            st.lists(inner, max_size=3),
            st.dictionaries(st.text(max_size=3), inner, max_size=2),
        )
    ),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (``==`` says 1 == 1.0 == True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN


@given(trees)
def test_plain_is_asdict_on_any_tree(tree: Any) -> None:
    wrapped = Node((), [tree], {"t": tree})
    assert same(plain(wrapped), dataclasses.asdict(wrapped))


def test_plain_copies_what_is_mutable() -> None:
    leaf = {"a": [1, {2}]}
    node = Node((), [leaf], {})
    out = plain(node)
    out["children"][0]["a"][1].add(3)
    assert leaf == {"a": [1, {2}]}


@settings(max_examples=25)
@given(data=st.data())
def test_plain_is_asdict_on_reports_and_diagnoses(kb: KnowledgeBase, data: st.DataObject) -> None:
    profile = data.draw(profiles(kb))
    assert same(plain(report_context(kb, profile)), dataclasses.asdict(report_context(kb, profile)))
    diagnosis = diagnose(kb, profile)
    assert same(plain(diagnosis), dataclasses.asdict(diagnosis))
