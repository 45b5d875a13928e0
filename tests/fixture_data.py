"""The fixed knowledge base and profiles the explanation snapshots are made from."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

from knowledge import KnowledgeBase, Profile, load_knowledge_base, load_profile_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_KB = FIXTURES / "kb"
NIGHT = FIXTURES / "profiles" / "night-cramps-after-hard-week.yaml"
#: Emergency with a withheld piece of advice, an advice conflict, and hostile runner text.
HOSTILE = FIXTURES / "profiles" / "hyponatraemia-and-ice-or-heat.yaml"


@cache
def fixture_kb() -> KnowledgeBase:
    """The knowledge base copied under tests/fixtures/kb (it does not grow with the real one)."""
    return load_knowledge_base(FIXTURE_KB)


def fixture_profile(path: Path) -> Profile:
    """A fixture profile, validated against the fixture knowledge base."""
    return load_profile_text(path.read_bytes(), fixture_kb(), path.name)


#: Edits to kb-minimal so that every kind of condition is used: "not" on a choice, a
#: multi-choice and a yes/no; an upper bound; ask_if conditions that use them; and a
#: red flag resting on findings (below) that use "unless", "all" and other findings.
EVERY_CONDITION = [
    (
        "sources/alpha.yaml",
        "when: {cramp_timing: night, recovery: little}",
        "when: {cramp_timing: {not: during_run}, recovery: {not: enough}}",
    ),
    (
        "sources/alpha.yaml",
        "when: {bedding: yes}",
        "when: {bedding: {not: no}, weekly_km: {min: 20}}",
    ),
    ("sources/beta.yaml", "when: {weekly_km: {min: 80}}", "when: {weekly_km: {min: 80, max: 120}}"),
    (
        "sources/beta.yaml",
        "when: {cramp_timing: [during_run, night]}",
        "when: {cramp_timing: {not: [during_run, night]}}",
    ),
    (
        "questions.yaml",
        "    ask_if: {cramp_timing: night}",
        "    ask_if: {cramp_timing: {not: during_run}, calf_can_contract: {not: no}}",
    ),
    (
        "theories.yaml",
        "when: {recovery: enough}",
        "when: {recovery: enough, weekly_km: {max: 10}}",
    ),
    ("sources/beta.yaml", "when: {calf_can_contract: no}", "when: {finding: torn_calf}"),
]

#: Findings for that copy: one from answers ("unless" on a yes/no, "all" of a
#: multi-choice), one built on it, and a withholding by tag.
EVERY_CONDITION_FINDINGS = """\
findings:
  - id: hard_week
    title: A hard week
    says: Night and run cramps after little recovery.
    when_any:
      - {cramp_timing: {all: [during_run, night]}, recovery: little}
      - {weekly_km: {min: 100}, bedding: {unless: no}}
    backed_by: [alpha-pattern]
  - id: torn_calf
    title: A possible tear
    warning_sign: true
    says: A calf that cannot contract.
    when_any:
      - {calf_can_contract: no}
      - {finding: hard_week, calf_can_contract: {unless: yes}, weekly_km: {min: 110}}
    backed_by: [beta-tear]
    withholds:
      - tags: [running]
        because: Not with a possible tear.
        backed_by: [beta-tear]
"""


def every_condition_kb(directory: Path) -> KnowledgeBase:
    """kb-minimal edited to use every kind of condition, copied under ``directory``."""
    root = directory / "kb-every-condition"
    shutil.copytree(FIXTURES / "kb-minimal", root)
    for file, old, new in EVERY_CONDITION:
        text = (root / file).read_text()
        assert old in text, (file, old)
        (root / file).write_text(text.replace(old, new, 1))
    (root / "findings.yaml").write_text(EVERY_CONDITION_FINDINGS)
    return load_knowledge_base(root)
