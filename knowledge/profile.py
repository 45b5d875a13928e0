"""Profiles: a runner's answers, checked against the question vocabulary.

A profile is a mapping of question id to answer, plus optional free-text ``name`` and
``notes``. ``unknown`` (or ``?``) records "don't know": the question was put, and no
fact is asserted for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .conditions import ConditionError, coerce_value
from .model import KnowledgeBase
from .plain_json import read_plain_json
from .problems import Problem, ProblemsError, did_you_mean, one_of, quoted
from .values import profile_value, value_text
from .yaml_io import Document, TooLargeError, decode, parse_yaml

UNKNOWN_WORDS = frozenset({"unknown", "?", "dont_know", "don't know"})
TEXT_FIELDS = ("name", "notes")
MAX_TEXT = 2000
#: A profile file or stream larger than this is refused before it is parsed.
MAX_PROFILE_BYTES = 1_000_000
#: Problems listed for one profile; the rest are counted, so a huge file stays quick.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Profile:
    """Validated answers: known values, questions answered "unknown", and free text."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    unknown: frozenset[str] = frozenset()
    name: str | None = None
    notes: str | None = None

    def to_data(self) -> dict[str, Any]:
        """Plain data in profile format (round-trips through :func:`parse_profile`)."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.notes is not None:
            out["notes"] = self.notes
        for qid in sorted(set(self.answers) | self.unknown):
            if qid in self.unknown:
                out[qid] = "unknown"
            else:
                out[qid] = profile_value(self.answers[qid])
        return out


def parse_profile(data: Any, kb: KnowledgeBase, doc: Document | None = None) -> Profile:
    """Validate plain profile data; raise ProblemsError naming every bad field."""
    doc = doc or Document("profile", data, {(): (1, 1)})
    if data is None:
        raise ProblemsError([doc.problem((), "profile is empty; expected question: answer pairs")])
    if not isinstance(data, Mapping):
        raise ProblemsError(
            [doc.problem((), "a profile must be a mapping of question id to answer")]
        )
    problems: list[Problem] = []
    answers: dict[str, Any] = {}
    unknown: set[str] = set()
    text: dict[str, str | None] = {"name": None, "notes": None}
    skipped: list[Any] = []
    for key, raw in data.items():
        if len(problems) >= MAX_PROBLEMS:
            skipped.append(key)
            continue
        key_s = str(key)
        if key_s in TEXT_FIELDS:
            if raw is not None and not isinstance(raw, str | int | float):
                problems.append(doc.problem((key,), f"{key_s}: must be text", value=True))
            elif raw is not None and len(str(raw)) > MAX_TEXT:
                problems.append(
                    doc.problem((key,), f"{key_s}: longer than {MAX_TEXT} characters", value=True)
                )
            elif raw is not None:
                text[key_s] = str(raw)
            continue
        question = kb.questions.get(key_s)
        if question is None:
            problems.append(
                doc.problem(
                    (key,),
                    f"unknown question {quoted(key_s)}{did_you_mean(key_s, kb.questions)}; "
                    "see `cramp kb questions` for the vocabulary",
                )
            )
            continue
        if (isinstance(raw, str) and raw.strip().lower() in UNKNOWN_WORDS) or raw is None:
            unknown.add(key_s)
            continue
        try:
            answers[key_s] = coerce_answer(question, raw)
        except ConditionError as exc:
            problems.append(doc.problem((key,), f"{key_s}: {exc}", value=True))
    if skipped:
        # Only the fields left unchecked: those might hold more problems.
        problems.append(
            doc.problem(
                (skipped[0],),
                f"stopped after {MAX_PROBLEMS} problems; {len(skipped)} more fields "
                "from here on were not checked",
            )
        )
    if problems:
        raise ProblemsError(problems)
    return Profile(answers, frozenset(unknown), text["name"], text["notes"])


def coerce_answer(question: Any, raw: Any) -> Any:
    """Check one answer against its question and return its normal form."""
    if question.type == "number":
        value = raw
        if isinstance(raw, str):
            try:
                value = float(raw.strip())
            except ValueError:
                value = raw
        low, high = value_text(question.min), value_text(question.max)
        expected = f"expected {question.unit} from {low} to {high}"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ConditionError(f"{quoted(raw)} is not a number; {expected}")
        if isinstance(value, int) and abs(value) > 1e300:
            # Beyond what a float holds; comparing is fine, but showing it is not.
            raise ConditionError(f"the number is far out of range; {expected}")
        if not question.min <= value <= question.max:
            raise ConditionError(
                f"{value_text(value)} is out of range; expected {question.unit} "
                f"from {low} to {high}"
            )
        return float(value)
    if question.type == "multi":
        items = raw if isinstance(raw, list) else [raw]
        if any(not isinstance(i, str) for i in items):
            raise ConditionError(f"expected a list of {one_of(question.values)}")
        if "none" in items and len(items) == 1 and "none" not in question.values:
            return ()
        values = [coerce_value(question, i) for i in items]
        return tuple(sorted(set(values)))
    if isinstance(raw, list | dict):
        allowed = "yes or no" if question.type == "yesno" else one_of(question.values)
        raise ConditionError(f"expected a single answer, {allowed}")
    return coerce_value(question, raw)


def load_profile_text(text_or_bytes: str | bytes, kb: KnowledgeBase, path: str) -> Profile:
    """Parse and validate profile text (YAML or JSON) read from ``path``."""
    if len(text_or_bytes) > MAX_PROFILE_BYTES:
        raise ProblemsError(
            [Problem(path, 1, 1, TooLargeError(None, MAX_PROFILE_BYTES).describe("a profile"))]
        )
    text = decode(text_or_bytes, path) if isinstance(text_or_bytes, bytes) else text_or_bytes
    if not text.strip():
        raise ProblemsError([Problem(path, 1, 1, "file is empty; expected question: answer pairs")])
    plain = read_plain_json(text, path)
    if plain is not None:
        try:
            return parse_profile(plain.data, kb, plain)
        except ProblemsError:
            pass  # reported below, each problem at its line and column
    doc = parse_yaml(text, path)
    return parse_profile(doc.data, kb, doc)


__all__ = [
    "MAX_PROFILE_BYTES",
    "Profile",
    "coerce_answer",
    "load_profile_text",
    "parse_profile",
]
