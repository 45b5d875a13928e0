"""The faster RETE nodes pass exactly the tokens experta's own nodes pass, in order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from expert._experta import (
    ChildNode,
    DepthStrategy,
    Fact,
    FactCapture,
    FeatureCheck,
    FeatureTesterNode,
    L,
    NotNode,
    OrdinaryMatchNode,
    P,
    SameContextCheck,
    Token,
    TypeCheck,
)
from expert.compile import QuietReteMatcher, compile_engine
from expert.engine import Reasoner
from expert.rete_nodes import FeatureTester, Join, Negation, alpha_keys, fast_test
from knowledge import KnowledgeBase, load_knowledge_base, load_profile_text
from knowledge.bundled import example_names, example_path


class Left(Fact):
    pass


class Right(Fact):
    pass


# Values that compare equal across types, NaN, and values no table can hold (a tuple).
VALUES = st.sampled_from([0, 1, 1.0, True, "a", "b", None, float("nan"), ("t",)])


def _record(out: list[Any]) -> Any:
    def callback(token: Any) -> None:
        out.append((token.tag, frozenset(token.data), dict(token.context)))

    return callback


@st.composite
def operations(draw: st.DrawFn, *, sharing: bool = True) -> list[tuple[str, Any]]:
    """Tokens arriving at a two-input node: valid ones, and some taken back; both sides
    bind ``x`` if ``sharing``, else each side binds variables of its own."""
    live: list[tuple[str, Any]] = []
    out: list[tuple[str, Any]] = []
    for n in range(draw(st.integers(0, 14))):
        if live and draw(st.integers(0, 3)) == 0:
            side, token = live.pop(draw(st.integers(0, len(live) - 1)))
            out.append((side, Token.invalid(token.data, dict(token.context))))
            continue
        side = draw(st.sampled_from(["left", "right"]))
        value = draw(VALUES)
        fact = (Left if side == "left" else Right)(n=n, v=value)
        # Both sides bind x (or a variable of their own); each binds its fact as well.
        bound = "x" if sharing else f"x_{side}"
        token = Token.valid(fact, {bound: value, f"fact_{side}": fact})
        live.append((side, token))
        out.append((side, token))
    return out


def _drive(node: Any, ops: list[tuple[str, Any]]) -> list[Any]:
    out: list[Any] = []
    node.children.append(ChildNode(object(), _record(out)))
    for side, token in ops:
        getattr(node, f"activate_{side}")(token)
    return out


@settings(max_examples=300)
@given(operations(), st.sampled_from([("x",), None]))
def test_a_hashed_join_passes_what_experta_s_join_passes(ops, shared) -> None:
    ours = Join(SameContextCheck())
    ours.shared = shared
    ours._reset_tables()
    assert _drive(ours, ops) == _drive(OrdinaryMatchNode(SameContextCheck()), ops)


@settings(max_examples=300)
@given(operations(), st.sampled_from([("x",), None]))
def test_a_hashed_not_node_passes_what_experta_s_passes(ops, shared) -> None:
    ours = Negation(SameContextCheck())
    ours.shared = shared
    ours._reset_tables()
    assert _drive(ours, ops) == _drive(NotNode(SameContextCheck()), ops)


@settings(max_examples=300)
@given(operations(sharing=False))
def test_a_not_node_sharing_no_variable_passes_what_experta_s_passes(ops) -> None:
    # Every left entry then matches every right one: only the right memory's going
    # from empty to not (or back) lets anything through.
    ours = Negation(SameContextCheck())
    ours.shared = ()
    ours._reset_tables()
    assert _drive(ours, ops) == _drive(NotNode(SameContextCheck()), ops)


def test_sides_that_share_no_variable_match_every_pair() -> None:
    node = Join(SameContextCheck())
    node.shared = ()
    node._reset_tables()
    out: list[Any] = []
    node.children.append(ChildNode(object(), _record(out)))
    for n in range(3):
        node.activate_left(Token.valid(Left(n=n), {"a": n}))
    node.activate_right(Token.valid(Right(n=9), {"b": 9}))
    assert [ctx for _, _, ctx in out] == [{"a": n, "b": 9} for n in range(3)]


CHECKS = [
    TypeCheck(Left),
    FactCapture("f"),
    FeatureCheck("v", L(1)),
    FeatureCheck("v", L("a", __bind__="bound")),
    FeatureCheck("v", P(lambda v: v in (1, "a"))),
    FeatureCheck("v", P(lambda v: v)),  # a predicate answering neither True nor False
    FeatureCheck(0, L(1)),
    FeatureCheck("deep__0", L(1)),
    FeatureCheck("__factid__", L(3)),
]


@settings(max_examples=200)
@given(
    st.sampled_from(CHECKS),
    st.sampled_from([Left, Right]),
    st.dictionaries(st.sampled_from(["v", "deep", "w"]), VALUES | st.lists(VALUES, max_size=2)),
    st.lists(VALUES, max_size=1),
)
def test_a_test_node_passes_what_experta_s_passes(check, cls, fields, positional) -> None:
    fact = cls(*positional, **fields)
    assert fast_test(check)(fact) == check(fact)
    outs = []
    for node in (FeatureTester(check), FeatureTesterNode(check)):
        out: list[Any] = []
        node.children.append(ChildNode(object(), _record(out)))
        node.activate(Token.valid(fact, {"bound": "b"}))
        outs.append(out)
    assert outs[0] == outs[1]


def test_alpha_keys_follow_the_bindings_down_the_tree() -> None:
    from expert._experta import BusNode

    root = BusNode()
    typed = FeatureTester(TypeCheck(Left))
    bound = FeatureTester(FeatureCheck("v", L(1, __bind__="x")))
    captured = FeatureTester(FactCapture("c"))
    root.children.append(ChildNode(typed, typed.activate))
    typed.children.append(ChildNode(bound, bound.activate))
    bound.children.append(ChildNode(captured, captured.activate))
    keys = alpha_keys(root)
    assert keys[id(typed)] == frozenset()
    assert keys[id(captured)] == {"x", "c"}


def _plain_engine(kb: KnowledgeBase) -> Any:
    """The same compiled engine with experta's own nodes, wired by experta, and its own
    depth strategy (keys from its cache, activations hashed as experta hashes them)."""

    class Plain(QuietReteMatcher):
        fast_nodes = False

    engine_class = compile_engine(kb)
    own = {"__matcher__": Plain, "__strategy__": DepthStrategy}
    return type("Plain" + engine_class.__name__, (engine_class,), own)()


KB = load_knowledge_base()
PLAIN = Reasoner(KB)
PLAIN._engine = _plain_engine(KB)


def test_the_real_network_uses_the_fast_nodes_and_knows_what_every_node_shares() -> None:
    engine = compile_engine(KB)()
    nodes = engine.matcher._nodes()
    negations = [n for n in nodes if isinstance(n, Negation)]
    assert negations and not any(type(n) is NotNode for n in nodes)
    # Every two-input node knows which variables its sides share, so none scans a memory
    # (withholding is matched by tag, not joined on the advice: they share none).
    assert all(n.shared is not None for n in nodes if isinstance(n, Negation | Join))


def test_examples_fire_the_same_rules_in_the_same_order_as_with_experta_s_nodes() -> None:
    fast = Reasoner(KB)
    for name in example_names():
        path = example_path(name)
        profile = load_profile_text(path.read_text(), KB, str(path))
        ours, theirs = fast.run(profile), PLAIN.run(profile)
        assert ours.trace == theirs.trace, name
        assert ours.facts == theirs.facts, name


@settings(max_examples=60)
@given(profiles(KB))
def test_generated_runners_fire_the_same_rules_in_the_same_order(profile) -> None:
    ours, theirs = Reasoner.for_kb(KB).run(profile), PLAIN.run(profile)
    assert ours.trace == theirs.trace
    assert ours.facts == theirs.facts
