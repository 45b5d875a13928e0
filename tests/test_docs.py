"""The documentation cannot drift: generated pages match the program that they describe.

Regenerate with ``CRAMP_UPDATE_SNAPSHOTS=1 uv run pytest tests/test_docs.py``.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from consultation_support import plan
from snapshot import assert_file

from cramp.cli import cli
from knowledge import load_profile_text
from knowledge.bundled import example_path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
WIDTH = 88
SHOWN_SESSION = "~/.local/state/cramp/session.yaml"


def commands(group: click.Group = cli, path: tuple[str, ...] = ("cramp",)):
    """Every command, depth first, as (path, command)."""
    yield path, group
    if isinstance(group, click.Group):
        for name in sorted(group.commands):
            yield from commands(group.commands[name], (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    """The command's own --help text, at a fixed width, as ``cramp ... --help`` shows it."""
    ctx = None
    command: click.Command = cli
    for depth, name in enumerate(path):
        if depth:
            command = command.commands[name]  # type: ignore[attr-defined]
        # make_context applies each command's context_settings (e.g. -h for help).
        ctx = command.make_context(
            name,
            [],
            parent=ctx,
            resilient_parsing=True,
            terminal_width=WIDTH,
            max_content_width=WIDTH,
        )
    return command.get_help(ctx)


def cli_reference() -> str:
    """docs/cli.md: every command's help, generated from the click commands."""
    parts = [
        "# Command line\n\n",
        "Every command and option, from the commands' own `--help` (generated; a test fails\n",
        "when this page and the program disagree). Exit status: 0 ok, 1 error (such as an\n",
        "invalid knowledge base), 2 invalid input or usage.\n",
    ]
    for path, _command in commands():
        parts.append(f"\n## `{' '.join(path)}`\n\n```text\n{help_text(path).rstrip()}\n```\n")
    return "".join(parts)


def test_every_command_has_help():
    missing = [" ".join(path) for path, command in commands() if not (command.help or "").strip()]
    assert missing == []


def test_the_cli_reference_lists_every_command_and_is_current():
    text = cli_reference()
    for path, _command in commands():
        assert f"## `{' '.join(path)}`" in text
    assert_file(DOCS / "cli.md", text, "docs/cli.md")


def consultation_transcript(tmp_path: Path) -> str:
    """A real `cramp ask` run for the demo runner, asking `why` and going `back` once."""
    from knowledge import load_knowledge_base

    kb = load_knowledge_base()
    path = example_path("night-cramps-after-hard-week")
    profile = load_profile_text(path.read_bytes(), kb, path.name)
    wanted = {**profile.answers, **dict.fromkeys(profile.unknown)}
    lines, _ = plan(kb, {k: v for k, v in wanted.items() if v is not None})
    script = [*lines[:2], "why", *lines[2:4], "back", *lines[3:], ""]
    session = tmp_path / "session.yaml"
    result = CliRunner().invoke(
        cli, ["ask", "--session", str(session)], input="\n".join(script) + "\n"
    )
    assert result.exit_code == 0, result.output
    return result.output.replace(str(session), SHOWN_SESSION).replace(
        f" --session {SHOWN_SESSION}", ""
    )


def test_the_walkthrough_transcript_is_a_real_current_consultation(tmp_path):
    text = consultation_transcript(tmp_path)
    assert "> why" in text and "> back" in text
    transcript = DOCS / "transcripts" / "consultation.txt"
    assert_file(transcript, text, "docs/transcripts/consultation.txt")


@pytest.mark.parametrize("page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")))
def test_every_docs_page_is_in_the_site_navigation(page):
    import yaml

    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text().replace("!!python/name:", ""))["nav"]

    def pages(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from pages(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from pages(value)

    assert page in set(pages(nav))


def test_the_json_output_page_documents_exactly_the_fields_diagnose_emits():
    import json
    import re

    from knowledge.bundled import example_path

    page = (DOCS / "json-output.md").read_text(encoding="utf-8")
    documented = {
        name.strip(" `")
        for cell in re.findall(r"^\| (`[^|]+`) \|", page, flags=re.MULTILINE)
        for name in cell.split(",")
    }
    result = CliRunner().invoke(
        cli, ["diagnose", str(example_path("long-hot-run")), "--format", "json"]
    )
    assert documented == set(json.loads(result.output))


def console_blocks() -> list[tuple[str, str]]:
    """Every ```console block in docs/, as (page, block)."""
    import re

    return [
        (page.relative_to(DOCS).as_posix(), block)
        for page in sorted(DOCS.rglob("*.md"))
        for block in re.findall(r"^```console\n(.*?)^```", page.read_text("utf-8"), re.M | re.S)
    ]


def shown_commands(block: str) -> list[str]:
    """The commands of a console block: each line after a `$ ` prompt, with its `\\` lines."""
    found: list[str] = []
    continued = False
    for line in block.splitlines():
        if continued:
            found[-1] = found[-1][:-1] + " " + line.strip()
        elif line.startswith("$ "):
            found.append(line[2:])
        continued = bool(found) and found[-1].endswith("\\")
    return found


def test_every_console_block_in_the_docs_starts_with_a_command_after_a_prompt():
    # A block without prompts is all "output": a reader cannot tell what to type.
    blocks = console_blocks()
    assert len(blocks) >= 15
    for page, block in blocks:
        assert block.startswith("$ "), f"{page}: {block.splitlines()[0]!r} has no `$ ` prompt"


def test_every_cramp_command_the_docs_show_exists_with_its_options():
    import shlex

    checked = 0
    for page, block in console_blocks():
        for shown in shown_commands(block):
            words = shlex.split(shown, comments=True)
            while words and words[0] in {"uv", "run", ".venv/bin/cramp"} | {"cramp"}:
                is_cramp = words[0].endswith("cramp")
                words = words[1:]
                if is_cramp:
                    break
            else:
                continue
            command: click.Command = cli
            path = [cli]
            for word in words:
                if isinstance(command, click.Group) and word in command.commands:
                    command = command.commands[word]
                    path.append(command)
            assert len(path) > 1 or words == [], f"{page}: {shown}: no such command"
            known = {"--help", "-h"} | {
                opt
                for step in path
                for param in step.params
                for opt in (*param.opts, *param.secondary_opts)
            }
            for word in words:
                if word.startswith("-") and word != "-":
                    assert word.split("=")[0] in known, f"{page}: {shown}: {word}"
            checked += 1
    assert checked >= 10
