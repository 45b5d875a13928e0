"""Synthetic knowledge bases: a real one replicated N times, for measuring scale.

Copy 1 keeps the original ids; copy ``n`` (2..N) renames every question, theory,
advice, conflict, finding and claim id with the suffix ``-xn`` and rewrites every
reference (``when``, ``when_any``, ``ask_if``, ``contradicted_when``, ``theory``,
``advice``, ``backed_by``, ``finding``, ``between``) to the same copy. Advice tags and
the safety policy's tiers and tags are vocabulary, shared by every copy. Each copy is
therefore an independent, equally dense slice of the knowledge base, and the result
passes the normal loader's checks. A
profile replicated with :func:`replicate_profile` answers every copy alike, so each
copy fires what the original would.

>>> from knowledge import load_knowledge_base
>>> kb = load_knowledge_base(replicate_knowledge_base(None, tmp / "kb-x10", 10))  # doctest: +SKIP
>>> len(kb.claims)  # doctest: +SKIP
2300
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .conditions import FINDING_KEY
from .load import MANIFEST, SOURCES_DIR, default_directory
from .profile import TEXT_FIELDS
from .yaml_io import read_yaml

__all__ = ["replicate_knowledge_base", "replicate_profile", "suffixed"]


def suffixed(ident: str, copy: int) -> str:
    """The id of ``ident`` in copy ``copy`` (copy 1 keeps the original id)."""
    return ident if copy == 1 else f"{ident}-x{copy}"


def replicate_knowledge_base(source: Path | str | None, target: Path | str, times: int) -> Path:
    """Write ``source`` (default: the bundled knowledge base) ``times`` over into ``target``.

    ``target`` is created if needed; files are written as JSON, which the loader reads
    like any YAML. Returns ``target``.
    """
    if times < 1:
        raise ValueError(f"times must be at least 1, not {times}")
    src = Path(source) if source is not None else default_directory()
    out = Path(target)
    (out / SOURCES_DIR).mkdir(parents=True, exist_ok=True)
    _write(out / MANIFEST, _read(src / MANIFEST))

    def copies(items: list[dict], rename: Callable[[dict, int], dict]) -> list[dict]:
        return [rename(item, n) for n in range(1, times + 1) for item in items]

    questions = _read(src / "questions.yaml")
    questions["questions"] = copies(questions["questions"], _question)
    _write(out / "questions.yaml", questions)

    theories = _read(src / "theories.yaml")
    theories["theories"] = copies(theories["theories"], _theory)
    _write(out / "theories.yaml", theories)

    advice = _read(src / "advice.yaml")
    advice["advice"] = copies(advice["advice"], lambda a, n: {**a, "id": suffixed(a["id"], n)})
    advice["conflicts"] = copies(advice.get("conflicts", []), _conflict)
    _write(out / "advice.yaml", advice)

    if (src / "findings.yaml").is_file():
        findings = _read(src / "findings.yaml")
        findings["findings"] = copies(findings["findings"], _finding)
        _write(out / "findings.yaml", findings)
    if (src / "safety-policy.yaml").is_file():
        policy = _read(src / "safety-policy.yaml")
        policy["policy"] = copies(
            policy["policy"], lambda r, n: {**r, "finding": suffixed(r["finding"], n)}
        )
        _write(out / "safety-policy.yaml", policy)

    for path in sorted((src / SOURCES_DIR).glob("*.yaml")):
        data = _read(path)
        data["claims"] = copies(data.get("claims", []), _claim)
        _write(out / SOURCES_DIR / path.name, data)
    return out


def replicate_profile(data: Mapping[str, Any], times: int) -> dict[str, Any]:
    """Profile data answering every copy of each question as the original is answered."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in TEXT_FIELDS:
            out[key] = value
            continue
        for n in range(1, times + 1):
            out[suffixed(str(key), n)] = value
    return out


def _read(path: Path) -> Any:
    return read_yaml(path).data


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _conditions(raw: Mapping[str, Any] | None, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, test in (raw or {}).items():
        if key == FINDING_KEY:
            names = test if isinstance(test, list) else [test]
            out[key] = [suffixed(f, n) for f in names]
        else:
            out[suffixed(key, n)] = test
    return out


def _finding(f: dict, n: int) -> dict:
    def group(g: dict) -> dict:
        return {**g, "backed_by": [suffixed(c, n) for c in g.get("backed_by", [])]}

    out = {
        **f,
        "id": suffixed(f["id"], n),
        "when_any": [_conditions(clause, n) for clause in f.get("when_any", [])],
        "backed_by": [suffixed(c, n) for c in f.get("backed_by", [])],
    }
    for field in ("withholds", "cautions"):
        if field in f:
            out[field] = [group(g) for g in f[field]]
    return out


def _question(q: dict, n: int) -> dict:
    out = {**q, "id": suffixed(q["id"], n)}
    if "ask_if" in q:
        out["ask_if"] = _conditions(q["ask_if"], n)
    return out


def _theory(t: dict, n: int) -> dict:
    out = {**t, "id": suffixed(t["id"], n)}
    if "contradicted_when" in t:
        out["contradicted_when"] = [
            {**cw, "when": _conditions(cw.get("when"), n)} for cw in t["contradicted_when"]
        ]
    return out


def _conflict(c: dict, n: int) -> dict:
    return {**c, "id": suffixed(c["id"], n), "between": [suffixed(a, n) for a in c["between"]]}


def _claim(c: dict, n: int) -> dict:
    out = {**c, "id": suffixed(c["id"], n)}
    for field in ("theory", "advice"):
        if c.get(field) is not None:
            out[field] = suffixed(c[field], n)
    if "when" in c:
        out["when"] = _conditions(c["when"], n)
    return out
