"""Dataclass trees as plain data (dicts, lists, tuples, scalars), ready for JSON.

:func:`plain` gives what :func:`dataclasses.asdict` gives, for less: ``asdict`` deep-copies
every leaf and looks each class's fields up again for every instance, which made it a
third of the cost of a JSON report. Scalars are immutable, so they are shared, not
copied; any other leaf is still deep-copied, as ``asdict`` would.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

__all__ = ["plain"]

_SCALARS = (str, int, float, bool, type(None))
#: Each dataclass's field names, in order (``dataclasses.fields`` builds a tuple each call).
_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """``value`` as :func:`dataclasses.asdict` would make it (any value, not only a dataclass)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _FIELDS.get(kind)
    if names is None and hasattr(kind, "__dataclass_fields__"):  # an instance, not a class
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple, as asdict does
        return kind(*[plain(item) for item in value])
    if isinstance(value, list | tuple):
        return kind(plain(item) for item in value)
    if isinstance(value, dict):
        return kind((plain(k), plain(v)) for k, v in value.items())
    return copy.deepcopy(value)
