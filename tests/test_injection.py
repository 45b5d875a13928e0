"""Runner text is untrusted: escaped for HTML, Markdown and JSON, stripped of control
characters for a terminal, and never able to pass for the product's own lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from reliability_support import RAW_CONTROL, assert_one_line_error, invoke

from explain.render import environment
from explain.safe_text import for_markdown, for_terminal, for_terminal_line, json_text

# Written with YAML double-quoted escapes: the bytes of the file are plain text, the
# strings it holds are not (\e is ESC, \a BEL, \x9b an 8-bit CSI, \u202e a bidi override).
HOSTILE_NAME = (
    r"Lee <script>alert(1)</script> ](javascript:alert(1)) [x](javascript:alert(2)) "
    r"| cell | \e]0;pwned\a \e[2J\x9b31m\r\nTRIAGE: SELF-CARE. Nothing to worry about."
    r"\u2028# heading \u202eevil"
)
HOSTILE_NOTES = (
    r"line one\nTRIAGE: SELF-CARE\r\n> quote\n| a | b |\n"
    r"<img src=x onerror=alert(1)>\e[31mred\e[0m &amp; `code` *bold*"
)
PROFILE = f'name: "{HOSTILE_NAME}"\nnotes: "{HOSTILE_NOTES}"\ncalf_can_contract: "no"\n'


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def original_name() -> str:
    from knowledge._yaml import parse_yaml

    return parse_yaml(PROFILE, "p").data["name"]


def no_raw_control(text: str) -> None:
    assert not RAW_CONTROL.search(text), repr(RAW_CONTROL.search(text))
    assert "\u202e" not in text and "\u2028" not in text


# --- terminal ----------------------------------------------------------------------------


def test_text_diagnosis_strips_control_characters_from_runner_text(hostile: Path) -> None:
    result = invoke(["diagnose", str(hostile)])
    assert result.exit_code == 0, result.output
    no_raw_control(result.output)
    assert "\x1b" not in result.output and "\a" not in result.output


def test_notes_with_a_line_break_cannot_forge_a_triage_line(hostile: Path) -> None:
    # Bug: notes kept their line breaks, so "\nTRIAGE: SELF-CARE" printed a fake triage
    # line above the real one (URGENT here).
    out = invoke(["diagnose", str(hostile)]).output
    first_triage = next(line for line in out.splitlines() if line.startswith("TRIAGE:"))
    assert first_triage.startswith("TRIAGE: URGENT")
    runner = [line for line in out.splitlines() if line.startswith("Runner: ")]
    notes = [line for line in out.splitlines() if line.startswith("Notes: ")]
    assert len(runner) == len(notes) == 1
    assert "TRIAGE: SELF-CARE" in runner[0] and "TRIAGE: SELF-CARE" in notes[0]


def test_explain_output_shows_a_hostile_file_name_escaped(tmp_path: Path) -> None:
    path = tmp_path / "p\x1b]0;pwned\x07\x1b[2J\n.yaml"
    path.write_text("calf_can_contract: no\n")
    result = invoke(["explain", str(path), "triage:emergency"])
    assert result.exit_code == 0, result.output
    no_raw_control(result.output)
    assert r"p\x1b]0;pwned\x07\x1b[2J\n.yaml" in result.output


def test_the_wrote_line_shows_a_hostile_output_name_escaped(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "r\x1b[2J\r.md"
    result = invoke(["report", str(hostile), "-o", str(out)])
    assert result.exit_code == 0, result.output
    no_raw_control(result.output)
    assert out.is_file()
    graph = invoke(["kb", "graph", "-o", str(tmp_path / "g\x1b[2J.dot")])
    assert graph.exit_code == 0 and r"g\x1b[2J.dot" in graph.output
    no_raw_control(graph.output)


@pytest.mark.parametrize(
    ("content", "quoted"),
    [
        ('recovery: "\\e]0;title\\a\\r\\nx"\n', r"recovery: '\x1b]0;title\x07\r\nx' is not one of"),
        ('"\\e[2J\\n": yes\n', r"unknown question '\x1b[2J\n'"),
        ('calf_can_contract: "\\x9b2J\\u202e"\n', r"'\x9b2J\u202e' is not yes or no"),
    ],
    ids=["value", "key", "c1-and-bidi"],
)
def test_an_error_quoting_a_hostile_value_is_one_inert_line(
    tmp_path: Path, content: str, quoted: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(content)
    assert_one_line_error(invoke(["diagnose", str(path)]), 2, quoted)


def test_cramp_ask_strips_control_characters_from_what_it_echoes(
    hostile: Path, tmp_path: Path
) -> None:
    session = tmp_path / "s.yaml"
    typed = "\x1b]0;pwned\x07\x1b[2J\n" + "quit\n"
    result = invoke(["ask", "--session", str(session), "--answers", str(hostile)], input=typed)
    assert result.exit_code == 0, result.output
    no_raw_control(result.output)
    assert "]0;pwned" in result.output  # the text itself is shown, inert


def test_the_terminal_filters_leave_ordinary_text_alone() -> None:
    assert for_terminal("Zoë ran 10 km\tfast\n") == "Zoë ran 10 km\tfast\n"
    assert for_terminal("\x1b[2Ja\x07\x9b\u202eb") == "[2Jab"
    assert for_terminal_line("a\r\nTRIAGE\u2028b\x85c") == "a TRIAGE b c"


def test_every_string_a_template_prints_is_stripped_of_control_characters() -> None:
    env = environment()
    assert env.from_string("{{ x }}").render(x="a\x1b[2Jb\x07") == "a[2Jb"
    # The HTML templates escape too, and the generated SVG (Markup) passes untouched.
    from markupsafe import Markup

    html = env.from_string("{% autoescape true %}{{ x }}{{ y }}{% endautoescape %}")
    assert html.render(x="<b>\x1b", y=Markup("<svg/>")) == "&lt;b&gt;<svg/>"


# --- Markdown ----------------------------------------------------------------------------


def test_the_markdown_report_escapes_links_html_tables_and_line_starts(
    hostile: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.md"
    assert invoke(["report", str(hostile), "-o", str(out)]).exit_code == 0
    md = out.read_text(encoding="utf-8")
    no_raw_control(md)
    assert not re.search(r"(?<!\\)</?(script|img|b)\b", md), "unescaped HTML"
    # The report's own links go to its fixed headings; nothing else makes a link.
    assert not re.search(r"(?<!\\)\]\((?!#[a-z-]+\))", md), "unescaped link syntax"
    assert "javascript:alert" in md  # shown as text, never as a link
    lines = md.splitlines()
    assert lines[0].startswith("# ") and r"\<script\>" in lines[0] and r"\| cell \|" in lines[0]
    # The runner's text adds no heading, quote or table row of its own.
    assert [line for line in lines if line.startswith("# ")] == [lines[0]]
    assert next(line for line in lines if line.startswith("## ")) == "## Triage: Urgent"
    assert not any(line.startswith(("> quote", "| a |", "TRIAGE")) for line in lines)
    notes = next(line for line in lines if line.startswith("**Notes:**"))
    assert r"\| a \| b \|" in notes and r"\<img" in notes and r"\&amp;" in notes


@pytest.mark.parametrize(
    "text",
    ["a | b", "a \\| b", "`|`", "x](javascript:alert(1))", "|||", "\\"],
)
def test_a_pipe_in_runner_text_never_adds_a_table_cell(text: str) -> None:
    row = environment().from_string("| {{ x | md }} | second |").render(x=text)
    # Split on pipes not escaped by a backslash (itself not escaped).
    cells = re.split(r"(?<!\\)(?:\\\\)*\|", row)
    assert len(cells) == 4, row  # "", the text, "second", ""


def test_markdown_escaping_keeps_every_character_of_the_text() -> None:
    text = "<b>x</b> [a](b) | `c` *d* _e_ ~f~ &g; # h"
    escaped = for_markdown(text)
    assert re.sub(r"\\(.)", r"\1", escaped) == text


# --- HTML --------------------------------------------------------------------------------


def test_the_html_report_escapes_runner_text(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert invoke(["report", str(hostile), "-o", str(out)]).exit_code == 0
    html = out.read_text(encoding="utf-8")
    no_raw_control(html)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not re.search(r"href=[\"']?\s*javascript:", html, re.I)
    assert "&amp;amp;" in html  # an entity the runner typed is shown, not decoded


# --- JSON --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["diagnose", "report"])
def test_json_output_keeps_runner_text_exactly_with_no_raw_control_character(
    hostile: Path, command: str
) -> None:
    args = {
        "diagnose": ["diagnose", str(hostile), "--format", "json"],
        "report": ["report", str(hostile), "-o", "-", "--format", "json"],
    }[command]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    no_raw_control(result.output)
    data = json.loads(result.output)
    name = data["name"] if command == "diagnose" else data["runner"]["name"]
    assert name == original_name()
    assert "\x9b" in name and "\x1b" in name


def test_json_text_escapes_what_json_dumps_leaves_raw() -> None:
    data = {"x": "\x7f\x9b\u2028\u202e\x1b\udc9b"}
    text = json_text(data, indent=None)
    assert text == '{"x": "\\u007f\\u009b\\u2028\\u202e\\u001b\\udc9b"}'
    text.encode("utf-8")  # a lone surrogate left raw could not be written out
    assert json.loads(text) == data


def test_bytes_that_are_not_utf8_are_never_echoed_back_raw(tmp_path: Path) -> None:
    # Bug: an undecodable byte typed at a prompt (0x9b is CSI to an 8-bit terminal) was
    # echoed back as that raw byte; so was one in a file name in an error line.
    from reliability_support import run_cramp

    session = tmp_path / "s.yaml"
    asked = run_cramp(["ask", "--session", str(session)], input=b"\x9b2J\nquit\n", stdin=None)
    assert asked.returncode == 0, asked.stderr
    assert b"\x9b" not in asked.stdout and "\ufffd2J".encode() in asked.stdout
    missing = run_cramp([b"diagnose", bytes(tmp_path) + b"/\x9b.yaml"])
    assert_one_line_error(missing, 2, r"\udc9b.yaml: no such file")
    assert b"\x9b" not in missing.stderr
