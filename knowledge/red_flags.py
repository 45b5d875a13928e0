"""The red-flag table: runners with warning signs and what they must be told.

``red-flags.yaml`` sits in the knowledge-base directory beside the safety policy and,
like it, is reviewed apart from the claims: each row is a runner (answers, often
partial), the triage tier they must get, the findings that must hold for them, the
advice tags (``acts_on``) that must never be active for them, and the tags of advice
that may stand only with a caution. The loader does not read it (it is a check, not
knowledge); ``cramp kb test`` checks every row, ``cramp kb diff`` runs every row
through both sides of a change, and the test suite checks the rows in every format.

A knowledge base without the file has no table: the checks that need one are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import KnowledgeBase
from .problems import Problem, ProblemsError
from .profile import Profile, parse_profile
from .vocabulary import TIERS
from .yaml_io import read_list_file

__all__ = ["RED_FLAG_TABLE", "RedFlagRow", "read_red_flag_table", "row_profile"]

#: The table's file name in a knowledge-base directory.
RED_FLAG_TABLE = "red-flags.yaml"


@dataclass(frozen=True)
class RedFlagRow:
    """One runner of the table and what they must be told."""

    name: str
    answers: Mapping[str, Any]
    tier: str
    findings: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    cautioned: tuple[str, ...] = ()


def read_red_flag_table(root: Path | str) -> tuple[RedFlagRow, ...] | None:
    """The rows of ``root``'s red-flag table, or None when it has none.

    Raises :class:`ProblemsError` when the file is not a table of rows.
    """
    path = Path(root) / RED_FLAG_TABLE
    shown = str(path)
    raw = read_list_file(path, "runners", "runners")
    if raw is None:
        return None
    rows = []
    problems = []
    for index, item in enumerate(raw):
        where = f"runner {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("answers"), dict):
            problems.append(Problem(shown, 1, 1, f"{where}: needs name, answers and tier"))
            continue
        name = str(item.get("name") or where)
        tier = item.get("tier")
        if tier not in TIERS:
            problems.append(Problem(shown, 1, 1, f"{name}: tier {tier!r} is not a triage tier"))
            continue
        rows.append(
            RedFlagRow(
                name,
                dict(item["answers"]),
                tier,
                tuple(item.get("findings") or ()),
                tuple(item.get("forbidden") or ()),
                tuple(item.get("cautioned") or ()),
            )
        )
    if problems:
        raise ProblemsError(problems)
    return tuple(rows)


def row_profile(row: RedFlagRow, kb: KnowledgeBase) -> Profile:
    """The row's answers as a profile of ``kb`` (ProblemsError if they do not fit it)."""
    return parse_profile({"name": row.name, **row.answers}, kb)
