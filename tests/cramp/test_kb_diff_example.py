"""The worked example of docs/authoring.md: a real edit and its `cramp kb diff`, current.

The edit narrows claim cap-break-in-shoes to what its article says, "calf cramp after
running": the runner's cramps must be in the calf. The Markdown report of the diff is
regenerated here and must equal docs/transcripts/kb-diff-example.txt
(CRAMP_UPDATE_SNAPSHOTS=1 rewrites it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cramp.authoring.kb_diff import diff_knowledge_bases, load_side
from cramp.authoring.kb_diff_render import render_markdown
from tests.conftest import REPO
from tests.snapshot import assert_file

#: The edit, as the docs show it.
BEFORE = "    when: {cramp_timing: after_run, shoe_change: [lower_drop, other_change]}"
AFTER = (
    "    when: {cramp_timing: after_run, muscles: calf, shoe_change: [lower_drop, other_change]}"
)
TRANSCRIPT = REPO / "docs" / "transcripts" / "kb-diff-example.txt"


def example_report(tmp_path: Path) -> str:
    """The Markdown `cramp kb diff` prints for the edit (200 runners, seed 0)."""
    after = tmp_path / "after"
    shutil.copytree(REPO / "knowledge" / "data", after)
    source = after / "sources" / "cramp-after-running.yaml"
    text = source.read_text(encoding="utf-8")
    assert text.count(BEFORE) == 1
    source.write_text(text.replace(BEFORE, AFTER), encoding="utf-8")
    old = load_side(REPO / "knowledge" / "data", "before")
    new = load_side(after, "after")
    return render_markdown(diff_knowledge_bases(old, new, runners=200, seed=0))


def test_the_worked_example_is_a_real_current_diff(tmp_path: Path) -> None:
    text = example_report(tmp_path)
    assert "claim cap-break-in-shoes modified (when)" in text
    assert "Advice becomes inactive" in text
    assert_file(TRANSCRIPT, text, "docs/transcripts/kb-diff-example.txt")


def test_the_authoring_guide_shows_the_edit_and_includes_the_report() -> None:
    guide = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    assert BEFORE.strip() in guide and AFTER.strip() in guide
    assert '--8<-- "docs/transcripts/kb-diff-example.txt"' in guide


def test_the_pre_commit_gate_runs_ruff_lint_and_the_ci_tests_for_knowledge_changes() -> None:
    import yaml

    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert "ruff check" in hooks["ruff-check"]["entry"]
    assert "ruff format --check" in hooks["ruff-format"]["entry"]
    lint, test = hooks["cramp-kb-lint"], hooks["cramp-kb-test"]
    assert "cramp kb lint --sources" in " ".join(lint["entry"].split())
    assert test["entry"].endswith("cramp kb test --profile ci")
    for hook in (lint, test):
        assert hook["files"] == "^knowledge/data/" and hook["pass_filenames"] is False
