"""The facts the engine reasons with, and their plain records for the trace.

Answers come from the runner; every other fact is derived by a rule. Each fact type has
a stable key (``answer:cramp_timing``, ``evidence:rodmell-fatigue-cause``...) that the
trace and the derivation graph use to name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ._experta import Fact


class Given(Fact):
    """A known answer to a gated question, before its ``ask_if`` is known to hold."""


class Answer(Fact):
    """The runner's known answer to one question (unknown answers assert nothing)."""


class Finding(Fact):
    """A finding holds for this runner (one of its clauses held)."""


class Evidence(Fact):
    """A claim about a theory applies to this runner, with its stance."""


class Support(Fact):
    """A claim backing (or disputing) a piece of advice applies to this runner."""


class Triage(Fact):
    """A red-flag or referral claim applies and sets a triage tier."""


class Withhold(Fact):
    """A finding forbids advice that acts on a tag (every piece of advice carrying it)."""


class Caution(Fact):
    """A finding lets advice acting on a tag stand only with a caution beside it."""


class Level(Fact):
    """The runner's triage level: the most urgent tier any claim set (or self-care)."""


class Beyond(Fact):
    """A dispute of a theory offered to this runner, made for other runners (its scope)."""


class Contradiction(Fact):
    """The runner's answers contradict a theory (one ``contradicted_when`` clause holds)."""


class Recommendation(Fact):
    """A piece of advice is recommended: backed by a claim and not withheld."""


FACT_TYPES: dict[str, type[Fact]] = {
    cls.__name__: cls
    for cls in (
        Given,
        Answer,
        Finding,
        Evidence,
        Support,
        Triage,
        Withhold,
        Caution,
        Beyond,
        Contradiction,
        Level,
        Recommendation,
    )
}

# Which fields name a fact in its key; the rest are payload.
_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "Given": ("question",),
    "Answer": ("question",),
    "Finding": ("id",),
    "Evidence": ("claim",),
    "Support": ("claim",),
    "Triage": ("claim",),
    "Withhold": ("finding", "group", "tag"),
    "Caution": ("finding", "group", "tag"),
    "Beyond": ("claim",),
    "Contradiction": ("theory", "clause"),
    "Level": ("tier",),
    "Recommendation": ("advice",),
}


@dataclass(frozen=True, order=True)
class FactRecord:
    """An immutable copy of a fact as the trace keeps it: type name and field values."""

    type: str
    fields: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, fact: Fact) -> FactRecord:
        """Record an experta fact (internal fields such as ``__factid__`` dropped)."""
        data = {k: v for k, v in fact.as_dict().items() if not str(k).startswith("__")}
        return cls(type(fact).__name__, tuple(sorted(data.items())))

    @cached_property
    def _values(self) -> dict[str, Any]:
        # Made on the first read: most records are read a few times, and a compiled
        # rule's records (see expert.compile) are the same objects in every run.
        return dict(self.fields)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value, or ``default``."""
        return self._values.get(name, default)

    @cached_property
    def key(self) -> str:
        """Stable identity, e.g. ``answer:cramp_timing`` or ``recommendation:rest_few_days``
        (worked out once: explanations read it for every fact, many times over)."""
        parts = [str(self.get(f)) for f in _KEY_FIELDS.get(self.type, ())]
        return ":".join([self.type.lower(), *parts])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"type": self.type, "key": self.key, **{k: _plain(v) for k, v in self.fields}}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list | frozenset):
        return [_plain(v) for v in value]
    return value
