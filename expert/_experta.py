"""The only module that imports experta.

experta 1.9.4 (its last release) pins ``frozendict==1.2``, whose ``frozendict`` class
subclasses ``collections.Mapping``. That alias was removed in Python 3.10, so a plain
``import experta`` fails there (experta issue #34). experta itself runs fine on 3.11
once frozendict is importable, and works unchanged with frozendict 2.x.

The compatibility step: while, and only while, frozendict is imported, give the
``collections`` module the ``Mapping`` alias that frozendict 1.2 expects; then remove
it again so no other code can come to rely on it. frozendict 2.x never touches the
alias, so the step is harmless there. Nothing of experta is copied or patched.

experta also calls ``logging.basicConfig()`` when it is imported, which would give the
caller's root logger a stderr handler it never asked for. A library must leave logging
to its application, so any root handler that appeared during the import is removed.
"""

from __future__ import annotations

import collections
import collections.abc
import importlib
import logging


def _import_frozendict_with_mapping_alias() -> None:
    """Import frozendict with ``collections.Mapping`` present only for that import."""
    added = not hasattr(collections, "Mapping")
    if added:
        # The alias is gone from Python 3.10 on, so typeshed does not declare it.
        collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    try:
        importlib.import_module("frozendict")
    finally:
        if added:
            del collections.Mapping  # type: ignore[attr-defined]  # (see above)


_import_frozendict_with_mapping_alias()
_root_handlers = list(logging.root.handlers)

from experta import (  # noqa: E402  (must follow the compatibility step)
    AS,
    MATCH,
    NOT,
    Fact,
    Field,
    KnowledgeEngine,
    P,
    Rule,
    watchers,
)
from experta.activation import Activation  # noqa: E402
from experta.conditionalelement import ConditionalElement  # noqa: E402
from experta.fact import InitialFact  # noqa: E402
from experta.factlist import FactList  # noqa: E402
from experta.fieldconstraint import (  # noqa: E402
    ANDFC,
    NOTFC,
    ORFC,
    L,
    W,
)
from experta.matchers import ReteMatcher  # noqa: E402
from experta.matchers.rete.check import (  # noqa: E402
    FactCapture,
    FeatureCheck,
    SameContextCheck,
    TypeCheck,
)
from experta.matchers.rete.mixins import AnyChild, ChildNode, NoMemory  # noqa: E402
from experta.matchers.rete.nodes import (  # noqa: E402
    BusNode,
    ConflictSetNode,
    FeatureTesterNode,
    NotNode,
    OrdinaryMatchNode,
)
from experta.matchers.rete.token import Token, TokenInfo  # noqa: E402
from experta.matchers.rete.utils import (  # noqa: E402
    extract_facts,
    generate_checks,
    prepare_rule,
    wire_rule,
)
from experta.strategies import DepthStrategy  # noqa: E402
from experta.utils import freeze  # noqa: E402


def _drop_handlers_added_by_import(before: list[logging.Handler]) -> None:
    """Remove root handlers that experta's ``logging.basicConfig()`` added on import."""
    for handler in list(logging.root.handlers):
        if handler not in before:
            logging.root.removeHandler(handler)


_drop_handlers_added_by_import(_root_handlers)
del _root_handlers


def built_fact(fact_class: type[Fact], frozen: dict[str, object]) -> Fact:
    """``fact_class(**fields)``, given the fields already frozen (see ``freeze``).

    experta sets a new fact's fields one at a time, each through ``__setitem__`` (which
    checks the fact is not declared yet, and freezes the value through a
    ``singledispatch``): the fact a compiled rule declares has fields frozen once, when
    the rule was compiled. The result is the same dictionary with the same (empty)
    defaults; only experta's own ``Fact.__init__`` is skipped.
    """
    fact = dict.__new__(fact_class)
    dict.update(fact, frozen)
    fact._Fact__defaults = {}  # what Fact.__init__ sets (a private, name-mangled field)
    return fact


__all__ = [
    "ANDFC",
    "AS",
    "MATCH",
    "NOT",
    "NOTFC",
    "ORFC",
    "Activation",
    "AnyChild",
    "BusNode",
    "ChildNode",
    "ConditionalElement",
    "ConflictSetNode",
    "DepthStrategy",
    "Fact",
    "FactCapture",
    "FactList",
    "FeatureCheck",
    "FeatureTesterNode",
    "Field",
    "InitialFact",
    "KnowledgeEngine",
    "L",
    "NoMemory",
    "NotNode",
    "OrdinaryMatchNode",
    "P",
    "ReteMatcher",
    "Rule",
    "SameContextCheck",
    "Token",
    "TokenInfo",
    "TypeCheck",
    "W",
    "built_fact",
    "extract_facts",
    "freeze",
    "generate_checks",
    "prepare_rule",
    "watchers",
    "wire_rule",
]
