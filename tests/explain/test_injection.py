"""Runner text is untrusted: escaped for HTML, Markdown and JSON, stripped of control
characters for a terminal, and never able to pass for the product's own lines."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from reliability_support import (
    RAW_CONTROL,
    REPO,
    Hostile,
    assert_one_line_error,
    check_hostile,
    invoke,
    reuse_bundled_kb,
)

from explain.render import environment
from explain.safe_text import (
    finalize,
    for_markdown,
    for_terminal,
    for_terminal_line,
    json_text,
)
from knowledge import KnowledgeBase

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
EXAMPLE = REPO / "knowledge" / "examples" / "long-hot-run.yaml"
PROFILE = f'name: "{HOSTILE_NAME}"\nnotes: "{HOSTILE_NOTES}"\ncalf_can_contract: "no"\n'


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def original_name() -> str:
    from knowledge.yaml_io import parse_yaml

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


@given(
    st.text(
        alphabet=st.characters(exclude_categories=())
        | st.sampled_from("\x1b\x9b\u2028\u2029\u202e\u2066\ud800\udfffa "),
        max_size=30,
    )
)
def test_the_terminal_filter_changes_exactly_what_it_strips(text: str) -> None:
    # Checked against the plain definition; the filter skips text with nothing to strip.
    stripped = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", "", text)
    expected = re.sub(
        r"[\ud800-\udfff]", "\ufffd", stripped.replace("\u2028", " ").replace("\u2029", " ")
    )
    assert for_terminal(text) == expected
    assert type(for_terminal(text)) is str
    # Every string a template prints goes through finalize: the same, Markup untouched.
    assert finalize(text) == expected
    markup = Markup(text)
    assert finalize(markup) is markup


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


def test_the_html_report_escapes_every_knowledge_base_text(tmp_path: Path) -> None:
    # Bug: _html.j2 was not autoescaped (autoescape went by the template's name), so
    # knowledge-base text reached the page as markup; even the bundled "While & After"
    # was written raw 31 times.
    from reliability_support import MARKUP, markup_kb

    kb = markup_kb(tmp_path)
    profile = REPO / "tests" / "fixtures" / "profiles" / "hyponatraemia-and-ice-or-heat.yaml"
    out = tmp_path / "r.html"
    result = invoke(["--kb", str(kb), "report", str(profile), "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<style>.triage" not in html and '<meta http-equiv="refresh"' not in html
    assert "<img" not in html and "<script" not in html
    assert "&lt;style&gt;.triage{display:none}&lt;/style&gt;" in html
    assert " While & " not in html and "While &amp; &#34;After&#34;" in html
    assert MARKUP not in html
    bundled = invoke(["report", str(EXAMPLE), "-o", "-", "--format", "html"])
    assert "While & After" not in bundled.stdout and "While &amp; After" in bundled.stdout


def test_every_template_rendered_for_html_is_autoescaped_whatever_its_name() -> None:
    env = environment("html")
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
    assert env.autoescape is True  # for every template, not chosen by the name
    # A macro file without .html in its name escapes too.
    macros = env.from_string('{% import "_html.j2" as h %}{{ h.biases(items) }}')
    item = {"source": "s", "source_title": "<b>T</b>", "source_bias": "<style>x</style>"}
    shown = macros.render(items=[item])
    assert "&lt;style&gt;x&lt;/style&gt;" in shown and "<style>" not in shown
    # Text and Markdown keep their own escaping, never HTML entities.
    assert environment().from_string("{{ x }}").render(x="<b>&") == "<b>&"


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


# --- cramp batch: file names and summary cells ----------------------------------------------


def batch_folder(tmp: Path, files: dict[bytes, str]) -> list[bytes]:
    """``cramp batch`` over a folder of profiles whose names are given as bytes."""
    folder = tmp / "athletes"
    folder.mkdir()
    for name, content in files.items():
        with open(os.path.join(bytes(folder), name), "w", encoding="utf-8") as handle:
            handle.write(content)
    return [b"batch", bytes(folder), b"-o", bytes(tmp / "out"), b"-q", b"-j", b"1"]


def summary_rows(tmp: Path) -> list[dict[str, str]]:
    with (tmp / "out" / "summary.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ESCAPING_NAME = b"x\x1b]0;pwned\x07\x1b[2J\nTRIAGE: SELF-CARE.yaml"
BATCH_NAMES = [
    Hostile(
        "escapes-and-a-forged-triage-line",
        lambda tmp: batch_folder(tmp, {ESCAPING_NAME: "recovery: lots\n"}),
        2,
        (r"x\x1b]0;pwned\x07\x1b[2J\nTRIAGE: SELF-CARE.yaml:1:11: recovery: 'lots'",),
        process=True,
    ),
    Hostile(
        "bytes-that-are-not-utf8",
        lambda tmp: batch_folder(tmp, {b"bad\xff\x9b.yaml": "recovery: lots\n"}),
        2,
        (r"bad\udcff\udc9b.yaml:1:11: recovery: 'lots' is not one of",),
        process=True,
    ),
]


@pytest.mark.parametrize("case", BATCH_NAMES, ids=[c.id for c in BATCH_NAMES])
def test_batch_shows_hostile_file_names_escaped_on_one_line(tmp_path: Path, case: Hostile) -> None:
    # Bug: a file name went to the terminal raw (escape sequences, a line break that
    # printed a fake TRIAGE: line), and one that was not UTF-8 gave a traceback.
    result = check_hostile(case, tmp_path)
    assert b"\x1b" not in result.stderr and b"\x9b" not in result.stderr
    [row] = summary_rows(tmp_path)
    no_raw_control(row["runner"] + row["error"])
    assert "\n" not in row["runner"] and row["status"] == "invalid"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_summary_cells_that_a_spreadsheet_would_run_are_neutralised(
    tmp_path: Path, start: str, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    # Bug: cells starting with = + - @ were written raw: a spreadsheet opening the
    # summary ran =HYPERLINK(...) or =cmd|... (CSV injection, OWASP).
    reuse_bundled_kb(monkeypatch, kb)  # loaded once, not per command
    formula = f'{start}HYPERLINK("http://example.invalid","x")'
    files = {
        f"{start}1+2.yaml".encode(): json.dumps({"name": formula, "recovery": "some"}),
        b"ok.yaml": json.dumps({"name": "@home", "recovery": "some"}),
    }
    result = invoke([os.fsdecode(a) for a in batch_folder(tmp_path, files)])
    assert result.exit_code == 0, result.output
    for row in summary_rows(tmp_path):
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    named = {row["runner"].lstrip("'"): row for row in summary_rows(tmp_path)}
    shown = {"\t": "\\t", "\r": "\\r"}.get(start, start)
    assert named[f"{shown}1+2.yaml"]["name"] == f"'{shown}" + formula[1:]
    assert named["ok.yaml"]["name"] == "'@home"


def test_csv_cells_keep_ordinary_text_alone() -> None:
    from cramp.batch import csv_cell

    assert csv_cell("Zoë, 10 km") == "Zoë, 10 km"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-5") == "'-5"
    assert csv_cell("a\nb\x1b") == r"a\nb\x1b"


# --- knowledge-base text on the terminal ------------------------------------------------------

KB_ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"


def escaping_kb(tmp: Path) -> Path:
    from reliability_support import edited_kb, replace_in

    def edits(root: Path) -> None:
        for file, old in [
            ("questions.yaml", "prompt: When do your cramps come?"),
            ("questions.yaml", "section: Your cramps"),
            ("questions.yaml", "label: during a run"),
            ("knowledge-base.yaml", "version: 0.1.0"),
        ]:
            escaped = json.dumps(f"{old.split(': ', 1)[1]} {KB_ESCAPES}\nTRIAGE: SELF-CARE")
            replace_in(file, old, f"{old.split(': ', 1)[0]}: {escaped}")(root)

    return edited_kb(tmp, edits)


@pytest.mark.parametrize(
    "args", [["kb", "questions"], ["ask", "--session", "SESSION"], ["kb", "lint"]]
)
def test_knowledge_base_text_reaches_the_terminal_inert(tmp_path: Path, args: list[str]) -> None:
    # Bug: escape sequences in a question's prompt or in the version went to the
    # terminal raw through `cramp ask` and `cramp kb questions`.
    kb = escaping_kb(tmp_path)
    args = [str(tmp_path / "s.yaml") if a == "SESSION" else a for a in args]
    result = invoke(["--kb", str(kb), *args], input="?\nquit\n")
    assert result.exit_code in (0, 1), result.output  # lint: 1, for unused questions
    no_raw_control(result.output)
    assert not any(line.startswith("TRIAGE: SELF-CARE") for line in result.output.splitlines())
    if args != ["kb", "lint"]:  # lint reports the small fixture's own problems instead
        assert "]0;pwned" in result.output  # the text itself is shown, inert
