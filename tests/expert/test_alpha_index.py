"""The alpha network's dispatch tables skip exactly the tests that would fail."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from expert._experta import ChildNode, Fact, FeatureCheck, FeatureTesterNode, L, P, TypeCheck
from expert.alpha_index import MIN_GROUP, OneOf, _Dispatch, index_alpha_network
from expert.compile import QuietReteMatcher, compile_engine
from expert.engine import Reasoner
from expert.rete_nodes import FeatureTester
from knowledge import KnowledgeBase, load_knowledge_base, load_profile_text
from knowledge.bundled import example_names, example_path


class Red(Fact):
    pass


class Blue(Fact):
    pass


# Values that compare equal across types (1, 1.0, True), None, text, and ones a table
# cannot look up (a list) or that equal nothing (NaN).
VALUES = st.sampled_from([0, 1, 1.0, True, False, "a", "b", None, ("t",), float("nan")])
FIELDS = st.sampled_from(["f", "g", 0])


@st.composite
def checks(draw: st.DrawFn) -> Any:
    # Mostly tests a table can stand in for, so that most drawn nodes get one.
    kind = draw(
        st.sampled_from(["type", "literal", "literal", "one_of", "one_of", "predicate", "bound"])
    )
    if kind == "type":
        return TypeCheck(draw(st.sampled_from([Red, Blue])))
    field = draw(FIELDS)
    if kind == "literal":
        return FeatureCheck(field, L(draw(VALUES)))
    if kind == "one_of":
        values = draw(st.frozensets(st.sampled_from([0, 1, "a", "b", None]), min_size=1))
        return FeatureCheck(field, P(OneOf(values)))
    if kind == "bound":
        return FeatureCheck(field, L(draw(VALUES), __bind__="x"))
    return FeatureCheck(field, P(lambda v: v == "a"))


@st.composite
def facts(draw: st.DrawFn) -> Fact:
    cls = draw(st.sampled_from([Red, Blue]))
    fields = draw(st.dictionaries(FIELDS, VALUES | st.lists(st.integers(), max_size=2)))
    positional = [fields[0]] if 0 in fields else []
    return cls(*positional, **{k: v for k, v in fields.items() if isinstance(k, str)})


@st.composite
def one_group(draw: st.DrawFn) -> list[Any]:
    """Tests a single table stands in for: all of the fact's class, or all of one field."""
    count = draw(st.integers(MIN_GROUP, 14))
    if draw(st.booleans()):
        return [TypeCheck(draw(st.sampled_from([Red, Blue]))) for _ in range(count)]
    field = draw(FIELDS)
    return [
        FeatureCheck(field, L(draw(st.sampled_from([0, 1, 1.0, True, False, "a", "b", None]))))
        if draw(st.booleans())
        else FeatureCheck(
            field, P(OneOf(draw(st.frozensets(st.sampled_from([0, 1, "a", None]), min_size=1))))
        )
        for _ in range(count)
    ]


def _reaches_what_every_child_would(checks_: list[Any], facts_: list[Fact]) -> _Dispatch:
    """The dispatch over nodes testing ``checks_`` passes each fact to the children that
    experta's own loop (every child tests the fact) would see pass it, in order."""
    passed: list[int] = []

    def child(position: int, node: Any) -> ChildNode:
        def callback(token: Any) -> None:
            (fact,) = token.data
            if node.matcher(fact):
                passed.append(position)

        return ChildNode(node, callback)

    nodes = [FeatureTesterNode(check) for check in checks_]
    children = [child(i, n) for i, n in enumerate(nodes)]
    dispatch = _Dispatch.build(children)
    assume(dispatch is not None)  # nodes without a table are experta's, unchanged
    assert dispatch is not None
    dispatch.link()
    for fact in facts_:
        token = _token(fact)
        passed.clear()
        for c in children:
            c.callback(token)
        expected = list(passed)
        passed.clear()
        dispatch.activate(token)
        assert passed == expected
    return dispatch


@settings(max_examples=300)
@given(st.lists(checks(), min_size=MIN_GROUP, max_size=14), st.lists(facts(), max_size=6))
def test_dispatch_reaches_exactly_the_children_whose_test_passes(checks_, facts_) -> None:
    _reaches_what_every_child_would(checks_, facts_)


@settings(max_examples=200)
@given(one_group(), st.lists(facts(), max_size=6))
def test_dispatch_over_one_table_reaches_exactly_the_children_whose_test_passes(
    checks_, facts_
) -> None:
    # The usual fan-out (every child a question's test, or a class's) takes a shorter way.
    assert _reaches_what_every_child_would(checks_, facts_)._single is not None


@settings(max_examples=200)
@given(one_group(), st.lists(st.integers(0, 2), min_size=MIN_GROUP, max_size=14), st.data())
def test_a_table_hands_tokens_on_past_fast_test_nodes_as_they_would(checks_, fan_out, data) -> None:
    # Where the members are the fast test nodes, a table hands a token straight to
    # their children: the same tokens, to the same children, in the same order.
    got: list[tuple[int, int, Any]] = []
    nodes = [FeatureTester(check) for check in checks_]
    for i, node in enumerate(nodes):
        for j in range(fan_out[i % len(fan_out)]):
            node.children.append(ChildNode(object(), lambda t, k=(i, j): got.append((*k, t))))
    children = [ChildNode(n, n.activate) for n in nodes]
    dispatch = _Dispatch.build(children)
    assert dispatch is not None
    dispatch.link()
    for fact in data.draw(st.lists(facts(), max_size=6)):
        token = _token(fact)
        got.clear()
        for child in children:  # experta's own loop: every child tests the fact
            child.callback(token)
        expected = list(got)
        got.clear()
        dispatch.activate(token)
        assert got == expected


@st.composite
def guarded(draw: st.DrawFn) -> list[tuple[Any, list[Any]]]:
    """Members and their children: some test the field ``f`` themselves; most test
    something else first over children that test ``f`` (as experta may order an
    answer's checks: its value before its question), some over children testing
    something else as well."""
    literal = st.sampled_from([0, 1, "a", "b", None])
    members = []
    for _ in range(draw(st.integers(MIN_GROUP, 10))):
        if draw(st.integers(0, 3)) == 0:
            members.append((FeatureCheck("f", L(draw(literal))), []))
            continue
        first = draw(
            st.sampled_from(
                [
                    FeatureCheck("g", P(lambda v: v != "b")),
                    FeatureCheck("g", P(lambda v: v != "b")),
                    FeatureCheck("g", L("a", __bind__="x")),
                ]
            )
        )
        below = [
            FeatureCheck("f", L(draw(literal)))
            if draw(st.integers(0, 7))
            else draw(st.sampled_from([TypeCheck(Blue), FeatureCheck("g", P(lambda v: v == 1))]))
            for _ in range(draw(st.integers(1, 3)))
        ]
        members.append((first, below))
    return members


@st.composite
def guarded_facts(draw: st.DrawFn) -> Fact:
    """Facts with the fields the members above test (``f`` at times missing)."""
    fields = {"g": draw(st.sampled_from(["a", "b", 1]))}
    if draw(st.integers(0, 5)):
        fields["f"] = draw(st.sampled_from([0, 1, 1.0, "a", "b", None, "c", ("t",)]))
    return draw(st.sampled_from([Red, Blue]))(**fields)


@settings(max_examples=300)
@given(guarded(), st.lists(guarded_facts(), min_size=1, max_size=6))
def test_a_member_selected_by_what_its_children_require_still_tests_its_fact(
    members, facts_
) -> None:
    # A member whose own test a table cannot read may be skipped for a fact none of its
    # children would take; when it is not skipped, its own test still runs.
    got: list[tuple[int, int, Any]] = []
    nodes = []
    for i, (check, below) in enumerate(members):
        node = FeatureTester(check)
        for j, child_check in enumerate(below or [None]):
            if child_check is None:
                node.children.append(ChildNode(object(), lambda t, k=(i, j): got.append((*k, t))))
                continue
            child = FeatureTester(child_check)
            child.children.append(ChildNode(object(), lambda t, k=(i, j): got.append((*k, t))))
            node.children.append(ChildNode(child, child.activate))
        nodes.append(node)
    children = [ChildNode(n, n.activate) for n in nodes]
    dispatch = _Dispatch.build(children)
    assume(dispatch is not None)  # too few members a table can select
    assert dispatch is not None
    dispatch.link()
    for fact in facts_:
        token = _token(fact)
        got.clear()
        for child in children:  # experta's own loop: every child tests the fact
            child.callback(token)
        expected = [(i, j, dict(t.context)) for i, j, t in got]
        got.clear()
        dispatch.activate(token)
        assert [(i, j, dict(t.context)) for i, j, t in got] == expected


def test_a_value_no_table_can_look_up_is_tested_by_every_member() -> None:
    got: list[int] = []
    nodes = [FeatureTesterNode(FeatureCheck("f", L(v))) for v in ("a", "b", 1, 2)]
    children = [ChildNode(n, lambda token, i=i: got.append(i)) for i, n in enumerate(nodes)]
    _Dispatch.build(children).activate(_token(Red(f=[1])))  # a list has no hash
    assert got == [0, 1, 2, 3]


def _token(fact: Fact) -> Any:
    from experta.matchers.rete.token import Token

    return Token.valid(fact)


def _plain_engine(kb: KnowledgeBase) -> Any:
    """The same compiled engine, without dispatch tables."""

    class Unindexed(QuietReteMatcher):
        index_alpha = False

    engine_class = compile_engine(kb)
    return type("Unindexed" + engine_class.__name__, (engine_class,), {"__matcher__": Unindexed})()


def _runs(kb: KnowledgeBase, profile: Any) -> tuple[Any, Any]:
    indexed = Reasoner(kb)
    plain = Reasoner(kb)
    plain._engine = _plain_engine(kb)
    return indexed.run(profile), plain.run(profile)


KB = load_knowledge_base()


def test_the_real_network_has_dispatch_tables() -> None:
    engine = compile_engine(KB)()
    assert isinstance(engine.matcher.root_node.children[0].node, _Dispatch)


def test_examples_fire_the_same_rules_in_the_same_order_with_and_without_tables() -> None:
    for name in example_names():
        path = example_path(name)
        profile = load_profile_text(path.read_text(), KB, str(path))
        indexed, plain = _runs(KB, profile)
        assert indexed.trace == plain.trace, name
        assert indexed.facts == plain.facts, name


@settings(max_examples=40)
@given(profiles(KB))
def test_generated_runners_fire_the_same_rules_in_the_same_order(profile) -> None:
    indexed, plain = _runs(KB, profile)
    assert indexed.trace == plain.trace
    assert indexed.facts == plain.facts


def test_index_alpha_network_leaves_narrow_nodes_alone() -> None:
    node = FeatureTesterNode(TypeCheck(Red))
    node.add_child(FeatureTesterNode(FeatureCheck("f", L("a"))), lambda token: None)
    assert index_alpha_network(object(), [node]) == 0
    assert isinstance(node.children[0].node, FeatureTesterNode)
