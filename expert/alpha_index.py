"""Hashed dispatch in experta's alpha network, so a fact visits only the tests it can pass.

experta's alpha network is a tree of one-input test nodes. A node hands every token to
each of its children in turn, and each child tests the fact again. Under the root there
is one child per fact class (one ``Answer`` class per question, so a child per question),
and under a class there is one child per tested value of a field. A declared fact
therefore visits every question's node and every value's node: the cost of one
declaration grows with the size of the knowledge base, not with what the fact matches.

This module puts a dispatch table in front of such children, as the hashed alpha memories
of later RETE implementations do. Children whose test is *the fact's class is C*, *the
field F equals the constant V* or *the field F is one of* :class:`OneOf` *these values*
(and binds nothing) are grouped by what they test; a fact
is handed only to the members of each group that its class or field value selects, and
to every child that is not in a group, in the children's original order. Each child still
runs its own test, so a child is only ever skipped when its test would fail: the tokens
that reach the beta network, and their order, are exactly experta's.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from ._experta import ChildNode, FeatureCheck, FeatureTesterNode, L, P, TypeCheck
from .rete_nodes import FeatureTester

#: Field values that hash consistently with ``==``, so a table lookup finds exactly the
#: constants a test would accept (1 == 1.0 == True share one entry, as they compare equal).
_EXACT = frozenset({str, int, float, bool, type(None)})

#: Fewer children than this are cheaper to test one by one than to look up.
MIN_GROUP = 4


class OneOf:
    """A field test ``value in values``, as a predicate the dispatch tables can read."""

    __slots__ = ("values",)

    def __init__(self, values: frozenset[Any]) -> None:
        self.values = values

    def __call__(self, value: Any) -> bool:
        return value in self.values

    def __repr__(self) -> str:
        return f"OneOf({sorted(map(repr, self.values))})"


class NoneOf:
    """A field test ``value not in values`` (a class, so a compiled engine can be kept)."""

    __slots__ = ("values",)

    def __init__(self, values: frozenset[Any]) -> None:
        self.values = values

    def __call__(self, value: Any) -> bool:
        return value not in self.values

    def __repr__(self) -> str:
        return f"NoneOf({sorted(map(repr, self.values))})"


def index_alpha_network(root: Any, nodes: Iterable[Any]) -> int:
    """Put a dispatch table in front of every wide fan-out below ``root``; return how many.

    ``nodes`` are the network's nodes (each visited once). Only alpha nodes (the root and
    one-input test nodes) are rewritten: their tokens hold a single fact.
    """
    installed: list[_Dispatch] = []
    for node in nodes:
        if node is not root and not isinstance(node, FeatureTesterNode):
            continue
        dispatch = _Dispatch.build(node.children)
        if dispatch is not None:
            node.children[:] = [ChildNode(dispatch, dispatch.activate)]
            installed.append(dispatch)
    # Once every table is in place: a member's children are then final.
    for dispatch in installed:
        dispatch.link()
    return len(installed)


class _Dispatch:
    """Hands a one-fact token to the children of a node that can accept its fact."""

    def __init__(
        self,
        children: list[Any],
        ungrouped: list[int],
        groups: list[tuple[Callable[[Any], Any], dict[Hashable, list[int]]]],
    ) -> None:
        self.children = list(children)  # walked by the matcher's reset, as any node's
        self._callbacks = [child.callback for child in children]
        self._ungrouped = ungrouped
        self._groups = groups
        # The usual fan-out: one group and nothing outside it (see :meth:`link`).
        self._single: _Single | None = None

    def link(self) -> None:
        """Prepare the usual fan-out: one group and nothing outside it.

        A value's members are then in the children's order, each once, and each would
        pass the token: the table found its class, or a value its test accepts, and it
        binds nothing. A member that is one of the fast test nodes would hand the token
        on unchanged, so the token goes straight to that member's own children, in
        their order, without the member testing again what the table has found (its
        list of children is shared, not copied: an image keeps no more than before).
        Call once every table of the network is in place.
        """
        if len(self._groups) != 1 or self._ungrouped:
            return
        extract, table = self._groups[0]
        # Only a member the table stands in for (selected by its own test) is passed
        # over; one selected by what its children require still runs its own test.
        onward: list[list[Any] | None] = [
            child.node.children
            if type(child.node) is FeatureTester
            and child.callback == child.node.activate
            and _own_key(child.node) is not None
            else None
            for child in self.children
        ]
        self._single = (
            extract,
            {value: tuple(sorted(set(members))) for value, members in table.items()},
            tuple(sorted(_members(table))),
            onward,
        )

    @classmethod
    def build(cls, children: list[Any]) -> _Dispatch | None:
        """A dispatch over ``children``, or None when no group is wide enough to pay."""
        keyed: dict[Hashable, dict[Hashable, list[int]]] = {}
        extractors: dict[Hashable, Callable[[Any], Any]] = {}
        ungrouped: list[int] = []
        for position, child in enumerate(children):
            key = _key_of(child.node)
            if key is None:
                ungrouped.append(position)
                continue
            (group, extract), values = key
            extractors[group] = extract
            table = keyed.setdefault(group, {})
            for value in values:
                table.setdefault(value, []).append(position)
        wide = {
            g: table for g, table in keyed.items() if sum(map(len, table.values())) >= MIN_GROUP
        }
        if not wide:
            return None
        for group, table in keyed.items():
            if group not in wide:
                ungrouped.extend(p for members in table.values() for p in members)
        ungrouped.sort()
        return cls(children, ungrouped, [(extractors[g], table) for g, table in wide.items()])

    def activate(self, token: Any) -> None:
        """Pass ``token`` on to the children whose test its fact can pass, in their order."""
        (fact,) = token.data
        single = self._single
        if single is not None:
            extract, positions, everyone, onward = single
            value = extract(fact)
            if value is _MISSING:
                return
            callbacks = self._callbacks
            if extract is not _class_of and type(value) not in _EXACT:
                for position in everyone:  # as below: every member tests it
                    callbacks[position](token)
                return
            for position in positions.get(value, ()):
                grandchildren = onward[position]
                if grandchildren is None:
                    callbacks[position](token)
                else:
                    for grandchild in grandchildren:
                        grandchild.callback(token)
            return
        chosen = list(self._ungrouped)
        for extract, table in self._groups:
            value = extract(fact)
            if value is _MISSING:
                continue
            if extract is not _class_of and type(value) not in _EXACT:
                # a value a table cannot look up faithfully: let every member test it
                chosen.extend(_members(table))
                continue
            chosen.extend(table.get(value, ()))
        callbacks = self._callbacks
        for position in sorted(set(chosen)):
            callbacks[position](token)

    def _reset(self) -> None:
        """No memory of its own (the children keep theirs)."""


_MISSING = object()

#: One group's reader, its members by value, all its members, and for each child the
#: children a token goes straight to, if any (see :meth:`_Dispatch.link`).
_Single = tuple[
    Callable[[Any], Any],
    dict[Hashable, tuple[int, ...]],
    tuple[int, ...],
    list[list[Any] | None],
]


def _members(table: dict[Hashable, list[int]]) -> set[int]:
    """Every child position in a table (a child testing several values is listed under each)."""
    return {p for members in table.values() for p in members}


def _class_of(fact: Any) -> Any:
    return type(fact)


class _FieldReader:
    """Reads one field of a fact (_MISSING if absent); a class, so it can be kept."""

    __slots__ = ("field",)

    def __init__(self, field: Any) -> None:
        self.field = field

    def __call__(self, fact: Any) -> Any:
        return fact.get(self.field, _MISSING)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_field_reader, (self.field,))


def _field_reader(field: Any) -> Callable[[Any], Any]:
    """The one reader of ``field`` in this process (groups are keyed by reader)."""
    reader = _readers.get(field)
    if reader is None:
        reader = _readers[field] = _FieldReader(field)
    return reader


_readers: dict[Any, Callable[[Any], Any]] = {}


_Key = tuple[tuple[Hashable, Callable[[Any], Any]], tuple[Any, ...]]


def _key_of(node: Any) -> _Key | None:
    """((group, reader), values) for a test node a table can select by, or None: by its
    own test (see :func:`_own_key`), or else by what every one of its children requires.

    A node whose test binds nothing and whose children all test the same field for
    constants passes on only facts whose field holds one of them, or nothing at all: so
    a fact whose value is none of them can skip it. (experta orders a pattern's checks
    by how many patterns share them, ties by hash, so an answer's value test often comes
    before its question's, and at ×100 every answer was tested by some 150 of them.)
    """
    own = _own_key(node)
    if own is not None:
        return own
    if not isinstance(node, FeatureTesterNode) or not _binds_nothing(node.matcher):
        return None
    below = []
    for child in _children(node):
        key = _key_of(child.node)
        if key is None:
            return None
        below.append(key)
    groups = {group for group, _ in below}
    if len(groups) != 1:  # no children, or children testing different things
        return None
    values = {v: None for _, values in below for v in values}
    return groups.pop(), tuple(values)


def _children(node: Any) -> list[Any]:
    """A node's children, seen through a dispatch put in front of them."""
    children = node.children
    if len(children) == 1 and isinstance(children[0].node, _Dispatch):
        return children[0].node.children
    return children


def _binds_nothing(check: Any) -> bool:
    """Whether a one-fact ``check`` only tests: a type or a field, binding no name."""
    if isinstance(check, TypeCheck):
        return True
    return isinstance(check, FeatureCheck) and check.how.__bind__ is None


def _own_key(node: Any) -> _Key | None:
    """((group, reader), values) for a test node the table can stand in for, or None."""
    if not isinstance(node, FeatureTesterNode):
        return None
    check = node.matcher
    if isinstance(check, TypeCheck):
        return ("class", _class_of), (check.fact_type,)
    if not isinstance(check, FeatureCheck) or check.how.__bind__ is not None:
        return None
    if isinstance(check.how, L):
        values: tuple[Any, ...] = (check.how.value,)
    elif isinstance(check.how, P) and isinstance(check.how.match, OneOf):
        values = tuple(check.how.match.values)
    else:
        return None
    field = check.what
    # Only a plain field read: experta treats "a__b" as a path and dunder names specially.
    plain = isinstance(field, int) or (
        isinstance(field, str) and "__" not in field and not field.startswith("_")
    )
    # NaN equals nothing, yet a table would find it by identity.
    if not plain or any(type(v) not in _EXACT or v != v for v in values):
        return None
    reader = _field_reader(field)
    return (("field", field), reader), values
