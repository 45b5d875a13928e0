"""The mutation suite's data: realistic author mistakes, each a small patch of a file.

``mutations.yaml`` sits in the knowledge-base directory beside the red-flag table and,
like it, is not knowledge (the loader does not read it). Each mutation names one
mistake, says whether it changes what a runner with a warning sign is told
(``safety``), and lists edits: in ``file``, the text ``find`` (which must occur exactly
once) is replaced by ``replace``. :func:`apply_mutation` makes the mutant in a copy.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .problems import Problem, ProblemsError
from .yaml_io import read_list_file

__all__ = ["MUTATIONS", "Edit", "Mutation", "MutationError", "apply_mutation", "read_mutations"]

#: The suite's file name in a knowledge-base directory.
MUTATIONS = "mutations.yaml"


class MutationError(Exception):
    """A mutation cannot be applied (its text is not in the file exactly once)."""


@dataclass(frozen=True)
class Edit:
    """Replace ``find`` (exactly once in ``file``) by ``replace``."""

    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class Mutation:
    """One named author mistake."""

    name: str
    edits: tuple[Edit, ...]
    safety: bool = False


def read_mutations(root: Path | str) -> tuple[Mutation, ...] | None:
    """The mutations of ``root``'s suite, or None when it has none.

    Raises :class:`ProblemsError` when the file is not a list of mutations.
    """
    path = Path(root) / MUTATIONS
    shown = str(path)
    raw = read_list_file(path, "mutations", "mutations")
    if raw is None:
        return None
    out, problems, seen = [], [], set()
    for index, item in enumerate(raw):
        name = str(item.get("name")) if isinstance(item, dict) and item.get("name") else None
        edits = item.get("edits") if isinstance(item, dict) else None
        where = name or f"mutation {index + 1}"
        if name is None or not isinstance(edits, list) or not edits:
            problems.append(Problem(shown, 1, 1, f"{where}: needs a name and a list of edits"))
            continue
        if name in seen:
            problems.append(Problem(shown, 1, 1, f"{where}: the name is used twice"))
        seen.add(name)
        parsed = []
        for edit in edits:
            if not isinstance(edit, dict) or not all(
                isinstance(edit.get(k), str) for k in ("file", "find", "replace")
            ):
                problems.append(
                    Problem(shown, 1, 1, f"{where}: each edit needs file, find, replace")
                )
                break
            parsed.append(Edit(edit["file"], edit["find"], edit["replace"]))
        else:
            out.append(Mutation(name, tuple(parsed), bool(item.get("safety", False))))
    if problems:
        raise ProblemsError(problems)
    return tuple(out)


def apply_mutation(base: Path, mutation: Mutation, target: Path) -> Path:
    """Copy the knowledge base at ``base`` to ``target`` and apply ``mutation`` there."""
    shutil.copytree(base, target, ignore=shutil.ignore_patterns(MUTATIONS, "__pycache__"))
    for edit in mutation.edits:
        path = target / edit.file
        if not path.is_file() or target.resolve() not in path.resolve().parents:
            raise MutationError(f"{mutation.name}: no file {edit.file}")
        text = path.read_text(encoding="utf-8")
        count = text.count(edit.find)
        if count != 1:
            raise MutationError(
                f"{mutation.name}: the text to replace occurs {count} times in {edit.file}, "
                "not once (the knowledge base changed: update the mutation)"
            )
        path.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")
    return target
