"""Faster nodes for experta's RETE network: the same tokens, in the same order, for less.

experta's nodes are written for clarity. Every one-input node copies each token it
receives (a new token, its facts checked again) and logs every test, although most
nodes change nothing; and a two-input node compares a token with every entry of the
opposite memory, although in these rules the two sides share at most one variable (the
advice of the recommendation rule). With a Withhold fact compared with every Support,
a knowledge base ten times larger made a hundred times more comparisons.

The classes here subclass experta's and keep their memories, in the same order:

* a node copies a token only when it changes it (a test that binds a variable);
* a field test reads the field and tests it as experta's check would, without logging;
* a two-input node keeps, beside each memory, a table from the values of the variables
  both sides bind to the entries holding them (a hashed join memory), so a token meets
  only the entries it can match, in memory order. Which variables the two sides bind is
  known when the network is built (:func:`build_beta_part`); when the sides share none,
  every pair matches, as experta's check would say.

A value that cannot be looked up faithfully (not text, a number, a boolean or None, or
NaN) turns a node's tables off until the next reset: it then compares as experta does.
The network is the one experta builds, node for node; only how nodes pass tokens changes.
"""

from __future__ import annotations

from bisect import bisect_left, insort_right
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from operator import attrgetter
from typing import Any

from ._experta import (
    NOT,
    Activation,
    BusNode,
    ChildNode,
    ConflictSetNode,
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
    TokenInfo,
    TypeCheck,
    W,
    wire_rule,
)

#: A token without experta's checks of its parts (they were checked when it was made):
#: ``Token._make`` without its Python frame.
_token = partial(tuple.__new__, Token)
_tuple_new = tuple.__new__


def _info(token: Any) -> Any:
    """``token.to_info()`` (its facts and context, frozen) without experta's two frames."""
    return _tuple_new(TokenInfo, (frozenset(token.data), frozenset(token.context.items())))


_VALID = Token.TagType.VALID
_INVALID = Token.TagType.INVALID

#: Types whose values hash consistently with ``==`` and ``!=``, so a table finds exactly
#: the entries experta's comparison would accept.
_EXACT = frozenset({str, int, float, bool, type(None)})

#: The keys a node's tokens carry, or None when a test can bind what cannot be foreseen.
Keys = frozenset[Any] | None


def fast_test(check: Any) -> Callable[[Any], Any]:
    """``check`` as a function of a fact, as experta computes it, without its logging."""
    kind = type(check)
    if kind is TypeCheck:
        fact_type = check.fact_type
        return lambda fact: type(fact) == fact_type  # noqa: E721  (experta's own test)
    if kind is FactCapture:
        bind = check.bind
        return lambda fact: {bind: fact}
    if kind is not FeatureCheck:
        return check
    what, test, expected = check.what, check.check, check.expected
    if isinstance(what, str) and (what.startswith("__") or what.endswith("__")):
        # experta tests a special name against the whole fact.
        return lambda fact: test(fact, expected)
    path = (
        [int(p) if p.isnumeric() else p for p in what.split("__")]
        if isinstance(what, str)
        else [what]
    )
    if len(path) == 1:
        (key,) = path
        how = check.how
        if type(how) in (P, L) and how.__bind__ is None:
            return _unbound_test(key, how)

        def read(fact: Any) -> Any:
            try:
                value = fact[key]
            except (IndexError, KeyError, TypeError):
                return False
            return test(value, expected)

        return read

    def walk(fact: Any) -> Any:
        value = fact
        try:
            for part in path:
                value = value[part]
        except (IndexError, KeyError, TypeError):
            return False
        return test(value, expected)

    return walk


def _unbound_test(key: Any, how: Any) -> Callable[[Any], bool]:
    """A one-field predicate or literal test that binds nothing, as experta's
    ``match_predicate`` or ``equal_literal`` answers it (True or False), without its frame."""
    if type(how) is P:
        match = how.match

        def predicate(fact: Any) -> bool:
            try:
                value = fact[key]
            except (IndexError, KeyError, TypeError):
                return False
            return bool(match(value))

        return predicate
    literal = how.value

    def equal(fact: Any) -> bool:
        try:
            value = fact[key]
        except (IndexError, KeyError, TypeError):
            return False
        return bool(literal == value)

    return equal


def binds(check: Any) -> Keys:
    """The context keys a passing ``check`` adds to a token (None: cannot be foreseen)."""
    if isinstance(check, TypeCheck):
        return frozenset()
    if isinstance(check, FactCapture):
        return frozenset({check.bind})
    if isinstance(check, FeatureCheck) and isinstance(check.how, L | P | W):
        bind = check.how.__bind__
        return frozenset() if bind is None else frozenset({bind})
    return None


def _state_without(node: Any, name: str) -> dict[str, Any]:
    """A node's state for pickling without the attribute ``name``: its own dictionary
    when it has none (a copy would live as long as the pickling, see expert.persist)."""
    state: dict[str, Any] = node.__dict__
    return state if name not in state else {k: v for k, v in state.items() if k != name}


class Bus(BusNode):
    """experta's root node, making each fact's token without checking it again."""

    def add(self, fact: Any) -> None:
        """Send a valid token of ``fact`` to every child."""
        token = _token((_VALID, {fact}, {}))
        for child in self.children:
            child.callback(token)

    def remove(self, fact: Any) -> None:
        """Send an invalid token of ``fact`` to every child."""
        token = _token((_INVALID, {fact}, {}))
        for child in self.children:
            child.callback(token)


class _MadeOnFirstUse:
    """A node's test function, made from its check the first time a token needs it.

    A node read from an image has no test function (pickle cannot keep one), nor has a
    node just built; most of
    its nodes never test a fact in a given command (a fact is handed past the nodes it
    is known to pass, see :mod:`expert.alpha_index`), so none is made on reading, and
    reading needs no Python call per node. Once made, the function sits in the node's
    own ``__dict__``, which attribute lookup reads before this (non-data) descriptor.
    """

    def __get__(self, node: Any, owner: type | None = None) -> Any:
        if node is None:
            return self
        test = node.__dict__["_test"] = fast_test(node.matcher)
        return test


class FeatureTester(FeatureTesterNode):
    """experta's one-input test node; a token is copied only when a binding changes it."""

    _test = _MadeOnFirstUse()

    def __init__(self, matcher: Any) -> None:
        super().__init__(matcher)
        #: Keys of the tokens it passes on (set by :func:`alpha_keys`).
        self.keys: Keys = None

    def __getstate__(self) -> dict[str, Any]:
        """Its state without the test function, which is made again from the check."""
        return _state_without(self, "_test")

    def activate(self, token: Any) -> None:
        """Test the token's one fact; pass it on, with any binding added, if it passes."""
        (fact,) = token.data
        match = self._test(fact)
        if match is True:  # most tests: passed, binding nothing
            for child in self.children:
                child.callback(token)
            return
        if not match:
            return
        if isinstance(match, Mapping):
            context = token.context
            for key, value in match.items():
                if isinstance(key, tuple):  # a negated binding
                    if key[1] in context and context[key[1]] == value:
                        return
                else:
                    if context.get(key, value) != value:
                        return
                    if (False, key) in context and context[(False, key)] == value:
                        return
            token = _token((token.tag, token.data, {**context, **match}))
        for child in self.children:
            child.callback(token)


class HashedActivation(Activation):
    """experta's activation, hashed once when made.

    experta hashes an activation (a tuple of its rule and two frozensets, made anew each
    time) whenever it meets a set: a conflict-set node's added or removed activations,
    and the depth strategy's cache of keys. Nothing a hash reads changes after it is
    made, so the first hash serves for all; equality is experta's. The rule is hashed
    once per node (see :class:`ConflictSet`), and the facts and bindings arrive frozen.
    """

    def __init__(
        self,
        rule: Any,
        facts: frozenset[Any],
        context: dict[str, Any],
        rule_hash: int,
        items: frozenset[Any],
    ) -> None:
        # experta's Activation.__init__, without its frame; ``items`` are the context's.
        self.rule = rule
        self.facts = set(facts)
        self.key = None
        self.context = context
        self._hash = hash((rule_hash, facts, items))

    def __hash__(self) -> int:
        return self._hash


class ConflictSet(ConflictSetNode):
    """experta's conflict-set node, without copying the token it only reads, and making
    activations hashed once (:class:`HashedActivation`).

    Its rule is hashed once per process (experta hashes the rule, every pattern of it,
    for every activation): not kept in an image, as text hashes differ between processes.
    """

    _rule_hash: int | None = None

    def __init__(self, rule: Any) -> None:
        super().__init__(rule)
        #: Where it notes that a token reached it: its matcher's set (see the matcher).
        self.reached: set[Any] = set()

    def __getstate__(self) -> dict[str, Any]:
        """Its state without the rule's hash (see the class)."""
        return _state_without(self, "_rule_hash")

    def activate(self, token: Any) -> None:
        """Record the activation or deactivation the token makes (as experta does)."""
        self.reached.add(self)
        info = _info(token)
        rule_hash = self._rule_hash
        if rule_hash is None:
            rule_hash = self._rule_hash = hash(self.rule)
        bound = info.context
        context = {k: v for k, v in bound if isinstance(k, str)}
        # The bindings already frozen, unless negated ones are to be left out.
        items = bound if len(context) == len(bound) else frozenset(context.items())
        activation = HashedActivation(self.rule, info.data, context, rule_hash, items)
        if token.tag is _VALID:
            if info not in self.memory:
                self.memory.add(info)
                if activation in self.removed:
                    self.removed.remove(activation)
                else:
                    self.added.add(activation)
        else:
            try:
                self.memory.remove(info)
            except ValueError:  # experta's own clause (a set raises KeyError, passed on)
                pass
            else:
                if activation in self.added:
                    self.added.remove(activation)
                else:
                    self.removed.add(activation)


class DepthOrder(DepthStrategy):
    """experta's depth strategy, each activation's key computed rather than looked up,
    and the agenda searched by key.

    experta keeps keys in a 128-entry ``lru_cache``, which hashes every activation to
    find a key that costs less to compute: the salience, then the fact ids, newest first.
    It keeps the agenda sorted by comparing activations, a Python ``__lt__`` per step of
    every search; the same search compares their keys (``__lt__`` compares just those).
    """

    def get_key(self, activation: Any) -> tuple[int, list[int]]:
        """The activation's place on the agenda (as experta's ``DepthStrategy``)."""
        facts = activation.facts
        if len(facts) == 1:
            (fact,) = facts
            return (activation.rule.salience, [fact["__factid__"]])
        return (
            activation.rule.salience,
            sorted((f["__factid__"] for f in facts), reverse=True),
        )

    def _update_agenda(self, agenda: Any, added: Iterable[Any], removed: Iterable[Any]) -> None:
        """experta's update of the agenda, its searches by key."""
        activations = agenda.activations
        for act in removed:
            act.key = self.get_key(act)
            index = bisect_left(activations, act.key, key=_agenda_key)
            for offset in (0, 1, -1):  # experta's own neighbourhood, and its order
                try:
                    if activations[index + offset] == act:
                        del activations[index + offset]
                    else:
                        continue
                except IndexError:
                    pass
                else:
                    break
        for act in added:
            act.key = self.get_key(act)
            insort_right(activations, act, key=_agenda_key)


_agenda_key = attrgetter("key")


def _key(context: Mapping[Any, Any], shared: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The values of the shared variables, or None if a table cannot hold them faithfully."""
    values = tuple(context[k] for k in shared)
    for value in values:
        if type(value) not in _EXACT or value != value:  # NaN equals nothing
            return None
    return values


class _Hashed:
    """What both two-input nodes share: the variables both sides bind, and the tables.

    Each table maps the values of the shared variables to the entries of one memory
    holding them, in memory order. Any doubt (a value no table can hold faithfully, an
    entry held twice) turns the tables off until the next reset, and the node compares
    every entry as experta does.
    """

    #: Variables both inputs bind, in a fixed order; None when they cannot be known.
    shared: tuple[Any, ...] | None = None
    #: Where the node notes that it was reached: its matcher's set, so a reset wipes
    #: only the nodes a run reached (a node of its own until the matcher gives it one).
    touched: set[Any]
    _scan: bool
    _left_index: dict[tuple[Any, ...], dict[Any, None]]
    _right_index: dict[tuple[Any, ...], dict[Any, None]]

    def __init__(self, matcher: Any) -> None:
        super().__init__(matcher)  # type: ignore[call-arg]
        self.touched = set()

    def _reset_tables(self) -> None:
        self._scan = self.shared is None
        self._left_index = {}
        self._right_index = {}

    def _key_of(self, token: Any) -> tuple[Any, ...] | None:
        """The token's key in the tables; None (and the tables off) if it has none."""
        if self._scan:
            return None
        assert self.shared is not None
        key = _key(token.context, self.shared)
        if key is None:
            self._scan = True
        return key

    def _add(self, index: dict[Any, dict[Any, None]], key: Any, info: Any) -> None:
        if key is None:
            return
        bucket = index.setdefault(key, {})
        if info in bucket:
            self._scan = True  # held twice: a table cannot keep a list's order
        bucket[info] = None

    def _remove(self, index: dict[Any, dict[Any, None]], key: Any, info: Any) -> None:
        if key is not None:
            bucket = index.get(key)
            if bucket is not None:
                bucket.pop(info, None)

    def _compares(self) -> bool:
        """Whether entries must be compared one by one (tables off, variables shared)."""
        return self._scan and self.shared != ()


class Join(_Hashed, OrdinaryMatchNode):
    """experta's two-input match node, meeting only the entries that share its values."""

    def _reset(self) -> None:
        super()._reset()
        self._reset_tables()

    def activate_left(self, token: Any) -> None:
        """A token from the left input (no copy: it is only read)."""
        self._meet(token, self.left_memory, self._left_index, self.right_memory, True)

    def activate_right(self, token: Any) -> None:
        """A token from the right input."""
        self._meet(token, self.right_memory, self._right_index, self.left_memory, False)

    def _meet(
        self,
        token: Any,
        memory: list[Any],
        index: dict[Any, dict[Any, None]],
        other_memory: list[Any],
        is_left: bool,
    ) -> None:
        self.touched.add(self)
        info = _info(token)
        key = self._key_of(token)
        if token.tag is _VALID:
            memory.append(info)
            self._add(index, key, info)
        else:
            try:
                memory.remove(info)
            except ValueError:
                pass
            else:
                self._remove(index, key, info)
        if self._scan:
            candidates: Iterable[Any] = other_memory
        else:
            assert key is not None  # the tables are on, so the token has a key
            other_index = self._right_index if is_left else self._left_index
            candidates = tuple(other_index.get(key, ()))
        compare = self._compares()
        own = token.context
        for other_data, other_context in candidates:
            other = dict(other_context)
            if compare and not (self.matcher(own, other) if is_left else self.matcher(other, own)):
                continue
            context = {k: v for k, v in own.items() if isinstance(k, str)}
            for k, v in other.items():
                if not isinstance(k, tuple):  # negated values are not needed further
                    context[k] = v
            joined = _token((token.tag, token.data | other_data, context))
            for child in self.children:
                child.callback(joined)


class Negation(_Hashed, NotNode):
    """experta's NOT node, counting only the entries that share its values."""

    def _reset(self) -> None:
        super()._reset()
        self._reset_tables()

    def _matches(self, token: Any, key: Any, first_only: bool) -> int:
        """How many right-memory entries the left ``token`` matches (at most 1 if asked)."""
        if not self._scan:
            found = len(self._right_index.get(key, ()))
            return min(found, 1) if first_only else found
        if not self._compares():
            return min(len(self.right_memory), 1) if first_only else len(self.right_memory)
        count = 0
        for _, right_context in self.right_memory:
            if self.matcher(token.context, dict(right_context)):
                count += 1
                if first_only:
                    break
        return count

    def activate_left(self, token: Any) -> None:
        """A token from the left: passed on while nothing on the right matches it."""
        self.touched.add(self)
        info = _info(token)
        valid = token.tag is _VALID
        key = self._key_of(token)
        if not self.right_memory:
            if valid:
                self.left_memory[info] = 0
                self._add(self._left_index, key, info)
            else:
                del self.left_memory[info]
                self._remove(self._left_index, key, info)
            for child in self.children:
                child.callback(token)
            return
        count = self._matches(token, key, first_only=not valid)
        if count == 0:
            for child in self.children:
                child.callback(token)
        if valid:
            self.left_memory[info] = count
            self._add(self._left_index, key, info)
        else:
            del self.left_memory[info]
            self._remove(self._left_index, key, info)

    def activate_right(self, token: Any) -> None:
        """A token from the right: the left entries it matches gain or lose a match."""
        self.touched.add(self)
        info = _info(token)
        key = self._key_of(token)
        if token.tag is _VALID:
            self.right_memory.append(info)
            self._add(self._right_index, key, info)
            inc = 1
        else:
            inc = -1
            self.right_memory.remove(info)
            self._remove(self._right_index, key, info)
        memory = self.left_memory
        # Sharing no variables, every left entry matches every right one: each one's
        # count is the size of the right memory, and only its going from 0 to 1 or back
        # changes anything (at ×100 a NOT node of a recommendation met 300 withholdings
        # with 1,000 candidates, 300,000 counts changed to no effect). The counts are
        # then set only when they cross; nothing else reads them.
        size = len(self.right_memory) if self.shared == () else None
        if size is not None and size != (1 if inc == 1 else 0):
            return
        if self._scan:
            own = token.context
            compare = self._compares()
            lefts: Iterable[Any] = [
                left for left in memory if not compare or self.matcher(dict(left.context), own)
            ]
        else:
            assert key is not None  # the tables are on, so the token has a key
            lefts = tuple(self._left_index.get(key, ()))
        for left in lefts:
            if size is None:
                memory[left] += inc
                count = memory[left]
            else:
                memory[left] = count = size
            if (count == 0 and inc == -1) or (count == 1 and inc == 1):
                new = left.to_valid_token() if inc == -1 else left.to_invalid_token()
                for child in self.children:
                    child.callback(new)


def alpha_keys(root: Any) -> dict[int, Keys]:
    """For each alpha test node below ``root`` (by id), the keys its tokens carry."""
    keys: dict[int, Keys] = {}
    pending: list[tuple[Any, Keys]] = [(child.node, frozenset()) for child in root.children]
    while pending:
        node, above = pending.pop()
        if not isinstance(node, FeatureTesterNode) or id(node) in keys:
            continue
        added = binds(node.matcher)
        mine = None if above is None or added is None else above | added
        keys[id(node)] = mine
        if isinstance(node, FeatureTester):
            node.keys = mine
        pending.extend((child.node, mine) for child in node.children)
    return keys


def _shared(left: Keys, right: Keys) -> tuple[Any, ...] | None:
    """Variables both inputs bind, when both are known and all are plain names."""
    if left is None or right is None:
        return None
    if not all(isinstance(k, str) for k in left | right):
        return None  # a negated binding compares by inequality: no table for that
    return tuple(sorted(left & right))


def _is_plain(rule: Any) -> bool:
    """A prepared rule that is a conjunction of patterns and NOT-patterns, starting with one."""
    if not rule or not isinstance(rule[0], Fact):
        return False
    return all(
        isinstance(e, Fact) or (isinstance(e, NOT) and len(e) == 1 and isinstance(e[0], Fact))
        for e in rule
    )


def build_beta_part(ruleset: Iterable[Any], terminals: Mapping[Any, Any], root: Any) -> None:
    """experta's ``build_beta_part`` for plain rules, with these nodes and without dispatch.

    experta wires each rule through ``functools.singledispatch`` functions made afresh
    per rule, whose caches start empty each time; a plain conjunction is wired here
    directly, into the same nodes in the same order. Other rules go through experta.
    """
    keys = alpha_keys(root)
    for rule in ruleset:
        if not _is_plain(rule):
            wire_rule(rule, terminals)  # experta's own, with experta's node classes
            continue
        elements = list(rule)
        last = terminals[elements[0]]
        last_keys = keys.get(id(last))
        for element in elements[1:]:
            negated = isinstance(element, NOT)
            right = terminals[element[0] if negated else element]
            right_keys = keys.get(id(right))
            node: Join | Negation = (
                Negation(SameContextCheck()) if negated else Join(SameContextCheck())
            )
            node.shared = _shared(last_keys, right_keys)
            node._reset_tables()
            last.children.append(ChildNode(node, node.activate_left))
            right.children.append(ChildNode(node, node.activate_right))
            if not negated:
                last_keys = (
                    None
                    if last_keys is None or right_keys is None
                    else frozenset(k for k in last_keys if isinstance(k, str))
                    | frozenset(k for k in right_keys if not isinstance(k, tuple))
                )
            last = node
        conflict_set = ConflictSet(rule)
        last.children.append(ChildNode(conflict_set, conflict_set.activate))


__all__ = [
    "Bus",
    "ConflictSet",
    "DepthOrder",
    "FeatureTester",
    "HashedActivation",
    "Join",
    "Negation",
    "alpha_keys",
    "binds",
    "build_beta_part",
    "fast_test",
]
