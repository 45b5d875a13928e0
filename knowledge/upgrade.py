"""Read a knowledge base written before findings existed, for comparison with today's.

Knowledge bases before findings and the safety policy (format 1, before revision 2 of
the design) had no ``findings.yaml`` or ``safety-policy.yaml``, no ``acts_on`` tags on
advice, and let a claim withhold advice by id (``withholds: [advice ids]``).
:func:`upgrade_legacy` rewrites such a directory in place, in the present format, so
that ``cramp kb diff`` can run the same runners through an old revision:

* a missing ``findings.yaml`` or ``safety-policy.yaml`` becomes an empty list;
* advice without ``acts_on`` acts on a tag of its own, ``advice-ID`` (declared in the
  manifest's ``advice_tags``), so that withholding it by tag withholds exactly it;
* a claim's ``withholds`` becomes a finding ``withheld-by-CLAIM`` holding under the
  claim's own conditions and withholding those advice tags, with the claim's words as
  the reason (a warning sign when the claim is a red flag).

Only ever applied to a copy; every change is returned as a note, so a report can say
what was read differently from the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .load import MANIFEST, SOURCES_DIR
from .yaml_io import read_yaml

__all__ = ["is_legacy", "upgrade_legacy"]


def is_legacy(root: Path) -> bool:
    """Whether ``root`` looks like a knowledge base from before findings (no findings.yaml)."""
    return (root / MANIFEST).is_file() and not (root / "findings.yaml").is_file()


def upgrade_legacy(root: Path) -> list[str]:
    """Rewrite the legacy knowledge base at ``root`` in the present format; return notes."""
    notes: list[str] = []
    if not (root / "safety-policy.yaml").is_file():
        _write(root / "safety-policy.yaml", {"policy": []})
        notes.append("no safety-policy.yaml: read as an empty safety policy")
    findings: list[dict[str, Any]] = []
    if (root / "findings.yaml").is_file():
        findings = list(_read(root / "findings.yaml").get("findings") or [])
    else:
        notes.append("no findings.yaml: read with no findings but those below")

    tags: dict[str, str] = {}
    advice_path = root / "advice.yaml"
    if advice_path.is_file():
        advice = _read(advice_path)
        untagged = 0
        for item in advice.get("advice") or []:
            if isinstance(item, dict) and not item.get("acts_on") and "id" in item:
                tag = f"advice-{item['id']}"
                item["acts_on"] = [tag]
                tags[tag] = str(item.get("title") or item["id"])
                untagged += 1
        if untagged:
            _write(advice_path, advice)
            notes.append(
                f"{untagged} pieces of advice had no acts_on tags: each acts on a tag of its "
                "own (advice-ID)"
            )

    moved = 0
    for path in sorted((root / SOURCES_DIR).glob("*.yaml")):
        source = _read(path)
        changed = False
        for claim in source.get("claims") or []:
            if not isinstance(claim, dict) or "withholds" not in claim:
                continue
            withheld = claim.pop("withholds") or []
            changed = True
            when = claim.get("when") or {}
            if not when:
                notes.append(
                    f"claim {claim.get('id')!r} withheld advice for every runner: left out"
                )
                continue
            findings.append(
                {
                    "id": f"withheld-by-{claim['id']}",
                    "title": f"What claim {claim['id']} withheld",
                    "warning_sign": claim.get("kind") == "red_flag",
                    "says": str(claim.get("says") or claim["id"]),
                    "when_any": [when],
                    "backed_by": [claim["id"]],
                    "withholds": [
                        {
                            "tags": [f"advice-{a}" for a in withheld],
                            "because": str(claim.get("says") or claim["id"]),
                            "backed_by": [claim["id"]],
                        }
                    ],
                }
            )
            moved += 1
        if changed:
            _write(path, source)
    if moved:
        notes.append(
            f"{moved} claims withheld advice by id: each is read as a finding "
            "withheld-by-CLAIM under the claim's conditions"
        )
    if findings or not (root / "findings.yaml").is_file():
        _write(root / "findings.yaml", {"findings": findings})

    manifest = _read(root / MANIFEST)
    changed = False
    declared = dict(manifest.get("advice_tags") or {})
    missing = {t: d for t, d in tags.items() if t not in declared}
    if missing:
        manifest["advice_tags"] = {**declared, **missing}
        changed = True
    weights = manifest.get("weights")
    if isinstance(weights, dict) and isinstance(weights.get("evidence"), dict):
        for kind, weight in _LATER_EVIDENCE.items():
            if kind not in weights["evidence"]:
                weights["evidence"][kind] = weight
                changed = True
                notes.append(f"weights.evidence had no {kind}: read as {weight}")
    if changed:
        _write(root / MANIFEST, manifest)
    return notes


#: Evidence kinds added after the first knowledge bases, with the weight they got then.
_LATER_EVIDENCE = {"claims_research": 1.0}


def _read(path: Path) -> dict[str, Any]:
    data = read_yaml(path).data
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: Any) -> None:
    # JSON is YAML: the loader reads it like any other knowledge file.
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
