"""A built engine kept in the knowledge-base image, so a cold command need not build it.

After its imports, most of a cold diagnosis is compiling the rules and building
experta's RETE network (a third of a second for a knowledge base ten times the bundled
one). Once built, the network is plain objects, except for a few that pickle cannot
store as they are: the engine class and the ``Answer`` classes are made at run time;
experta's rules, patterns and field constraints are tuples and dictionaries with
attributes, whose constructors take other arguments than pickle would pass; and a
field check holds a function experta makes inside a function. Each is reduced here to
what rebuilds it (the same classes, the same items and attributes), and the built
:class:`~expert.engine.Reasoner` is pickled into bytes the image keeps
(``kb._cache[KEY]``). The knowledge base is referred to, not copied: it is the one the
image holds.

The bytes carry a stamp of the ``expert`` package's files; bytes from other code are
ignored and the engine is built as usual, so a changed compiler is never bypassed.
"""

from __future__ import annotations

import io
import pickle
import sys
from pathlib import Path
from types import CodeType, FunctionType
from typing import TYPE_CHECKING, Any

from ._experta import ChildNode, ConditionalElement, Fact, FactCapture, FeatureCheck, TypeCheck
from .collector import paused

if TYPE_CHECKING:
    from knowledge import KnowledgeBase

    from .engine import Reasoner

#: Where the image keeps the built engine, in the knowledge base's cache.
KEY = "built_engine"
#: Bump when what the bytes hold changes in a way the code stamp would not show.
FORMAT = 1


def code_stamp() -> str:
    """A stamp of this package's files (names, sizes, modification times)."""
    from knowledge.image import module_stamp

    return f"format {FORMAT} {module_stamp(Path(__file__).resolve().parent)}"


def keep_engine(kb: KnowledgeBase) -> str:
    """Keep ``kb``'s reasoner, as built, as bytes in its cache; return the key.

    The process's own reasoner is built now if it is not yet, and kept; one that has
    run already is not (its memories hold that run): a new one is built to be kept.
    """
    from .engine import Reasoner

    reasoner = Reasoner.for_kb(kb)
    kb._cache[KEY] = dump_reasoner(reasoner if reasoner.fresh else Reasoner(kb))
    return KEY


def dump_reasoner(reasoner: Reasoner) -> bytes:
    """A reasoner that has not run yet, as bytes (its knowledge base by reference)."""
    if not reasoner.fresh:
        raise ValueError("only a reasoner that has not run yet can be kept")
    out = io.BytesIO()
    out.write(code_stamp().encode() + b"\n")
    _Pickler(out, reasoner.kb).dump(reasoner)
    return out.getvalue()


def load_reasoner(kb: KnowledgeBase, data: bytes) -> Reasoner | None:
    """The reasoner the bytes hold, for ``kb``; None if they come from other code."""
    end = data.find(b"\n")
    if end < 0 or data[:end].decode("ascii", "replace") != code_stamp():
        return None
    # Read in place, past the stamp (a file over the bytes shares them; a slice would
    # copy megabytes at ten times the knowledge base).
    body = io.BytesIO(data)
    body.seek(end + 1)
    # Tens of thousands of objects, all kept: the collector would scan them again and
    # again while they are made (it triples the time), and find nothing to free.
    with paused():
        return _Unpickler(body, kb).load()


class _Pickler(pickle.Pickler):
    """Pickles an engine with what experta makes on the fly, and ``kb`` by reference."""

    def __init__(self, file: io.BytesIO, kb: KnowledgeBase) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.kb = kb
        #: The first function seen of each kind of field check, which every check of
        #: that kind is kept with (stored once, read back as one function), and its kind.
        self.checks: dict[CodeType, tuple[FunctionType, type]] = {}

    def persistent_id(self, obj: Any) -> str | None:
        return "kb" if obj is self.kb else None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type):
            return _reduce_class(obj)
        if isinstance(obj, Fact):
            # A cached hash is of strings hashed in this process: recomputed in the next.
            state = {k: v for k, v in obj.__dict__.items() if k != "_hash"}
            return (_fact, (type(obj), dict(obj), state))
        kind = type(obj)
        if kind is FeatureCheck:
            check = _shared_check(obj, self.checks)
            if check is None:  # experta makes the check's function from these
                return (FeatureCheck, (obj.what, obj.how))
            return (_tuple_new, (FeatureCheck, (obj.what, obj.how, check, obj.expected)))
        if kind is ChildNode or kind is FactCapture or kind is TypeCheck:
            # Named tuples, made by pickle itself rather than through their Python
            # constructors (thousands of each at ten times the knowledge base).
            return (_tuple_new, (kind, tuple(obj)))
        if isinstance(obj, ConditionalElement):
            # Rules, NOT, field constraints: tuples with attributes, their attributes
            # set by pickle itself. A rule's engine (``ke``, ``_wrapped_self``) is set
            # again whenever the engine reads it.
            state = obj.__dict__
            if "ke" in state or state.get("_wrapped_self") is not None:
                state = {k: v for k, v in state.items() if k != "ke"}
                if "_wrapped_self" in state:
                    state["_wrapped_self"] = None
            return (_tuple_new, (kind, tuple(obj)), state or None)
        if isinstance(obj, FunctionType):
            shared = self.checks.get(obj.__code__)
            if shared is not None and shared[0] is obj:
                return (_check_function, (shared[1], obj.__code__.co_name))
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    """Reads an engine, resolving its knowledge base to ``kb``."""

    def __init__(self, file: io.BytesIO, kb: KnowledgeBase) -> None:
        super().__init__(file)
        self.kb = kb

    def persistent_load(self, pid: Any) -> Any:
        if pid != "kb":
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self.kb


def _importable(cls: type) -> bool:
    """Whether pickle can find ``cls`` by its module and name."""
    found: Any = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is cls


def _reduce_class(cls: type) -> Any:
    """A class made at run time, as its metaclass, name, bases and namespace."""
    if _importable(cls):
        return NotImplemented
    namespace = {
        k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__", "__fields__")
    }
    return (_class, (type(cls), cls.__name__, cls.__bases__, namespace))


def _class(metaclass: type, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
    return metaclass(name, bases, namespace)


def _fact(cls: type[Fact], items: dict[Any, Any], state: dict[str, Any]) -> Fact:
    """A fact (or pattern) with these items and attributes, as experta left it."""
    fact = dict.__new__(cls)
    dict.update(fact, items)
    fact.__dict__.update(state)
    return fact


_tuple_new = tuple.__new__

#: experta's field-check functions (``equal_literal``, ``match_predicate``...), one per
#: kind of check, as read back (see :func:`_shared_check`).
_shared_functions: dict[tuple[type, str], FunctionType] = {}


def _shared_check(
    check: Any, seen: dict[CodeType, tuple[FunctionType, type]]
) -> FunctionType | None:
    """The function to keep ``check`` with: the first of its kind in ``seen``, if it can
    be shared. experta makes one anew for every check, but it reads nothing beyond its
    arguments (it closes over nothing) and is what experta's maker for its kind makes."""
    function = check.check
    if not isinstance(function, FunctionType) or function.__closure__ is not None:
        return None
    code = function.__code__
    if code not in seen:
        kind = type(check.how)
        maker = FeatureCheck.get_check_function.registry.get(kind)
        if maker is None or code not in maker.__code__.co_consts:
            return None
        seen[code] = (function, kind)
    return seen[code][0]


def _check_function(kind: type, name: str) -> FunctionType:
    """The one function named ``name`` that experta makes for checks of ``kind``, made
    from the same code (and globals) as experta makes it, once per process."""
    shared = _shared_functions.get((kind, name))
    if shared is None:
        maker = FeatureCheck.get_check_function.registry[kind]
        (code,) = (
            c for c in maker.__code__.co_consts if isinstance(c, CodeType) and c.co_name == name
        )
        shared = _shared_functions[kind, name] = FunctionType(code, maker.__globals__, name)
    return shared


__all__ = ["FORMAT", "KEY", "code_stamp", "dump_reasoner", "keep_engine", "load_reasoner"]
