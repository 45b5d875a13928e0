"""Knowledge-base items as plain records, for a knowledge base read from its image.

The schema's pydantic models validate what authors write; once a knowledge base has
been validated, nothing reads more of an item than its fields. A compiled image (see
:mod:`knowledge.image`) stores each model as a :class:`Record` of the same class name
and fields, so loading one needs neither pydantic nor the YAML loader. The little
behaviour the models have beyond their fields lives here, in mixins both share.
"""

from __future__ import annotations

from typing import Any


class QuestionValues:
    """What a question offers as answers, for a model and a record alike."""

    type: str
    choices: tuple[Any, ...]

    @property
    def values(self) -> tuple[Any, ...]:
        """Allowed answer values (choices, or True/False for yes/no)."""
        if self.type == "yesno":
            return (True, False)
        return tuple(c.value for c in self.choices)


class GapText:
    """How a gap in a source reads, for a model and a record alike."""

    quote: str | None
    missing: str

    def __str__(self) -> str:
        return f"“{self.quote}” {self.missing}" if self.quote else self.missing


#: The behaviour each schema model has beyond its fields, by class name.
_BEHAVIOUR: dict[str, type] = {"Question": QuestionValues, "Gap": GapText}


class Record:
    """A validated knowledge-base item: its fields as read-only attributes.

    Equal when of the same kind with equal fields, as the frozen models are.
    """

    __slots__ = ("__dict__",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        # Some fields are dicts (conditions), so the hash is over names only; equal
        # records share them, which is all a hash must promise.
        return hash((type(self).__name__, *self.__dict__))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (record, (type(self).__name__, dict(self.__dict__)))


_CLASSES: dict[str, type[Record]] = {}


def record(kind: str, fields: dict[str, Any]) -> Record:
    """A record of the model named ``kind`` (``Question``, ``Claim``…) with these fields."""
    return record_class(kind)(fields)


def record_class(kind: str) -> type[Record]:
    """The record class for the model named ``kind``, made once per process."""
    cls = _CLASSES.get(kind)
    if cls is None:
        bases = (_BEHAVIOUR[kind], Record) if kind in _BEHAVIOUR else (Record,)
        cls = _CLASSES[kind] = type(kind, bases, {"__slots__": (), "__module__": __name__})
    return cls


__all__ = ["GapText", "QuestionValues", "Record", "record", "record_class"]
