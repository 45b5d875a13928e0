"""JSON read without the YAML reader gives what the YAML reader gives, or is declined."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from cold_command import diagnose_in_new_process
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from knowledge import ProblemsError, load_knowledge_base, load_profile_text
from knowledge.plain_json import read_plain_json
from knowledge.yaml_io import parse_yaml

KB = load_knowledge_base()
REPO = Path(__file__).resolve().parents[2]

#: Text with what the YAML reader treats specially: control and non-printable
#: characters, line breaks it folds, surrogates, quotes, escapes and markup.
TEXT = st.lists(
    st.characters(codec="utf-8").map(str)
    | st.sampled_from(["\x85", "\u2028", "\t", "\x7f", "\ufeff", '"', "\\", "#", ": ", "- "]),
    max_size=8,
).map("".join)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**120), max_value=10**120)
    | st.floats()
    | TEXT
)
JSON_DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
DUMPS = st.fixed_dictionaries(
    {
        "ensure_ascii": st.booleans(),
        "indent": st.none() | st.sampled_from([0, 2, "\t"]),
        "separators": st.none() | st.just((",", ":")),
    }
)


def _typed(value: Any) -> Any:
    """``value`` with each scalar's type beside it (1, 1.0 and True compare equal)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and value != value:
        return ("nan",)
    return (type(value).__name__, value)


def _as_yaml(text: str) -> Any:
    try:
        return _typed(parse_yaml(text, "p.json").data)
    except ProblemsError:
        return "refused"


def _agrees(text: str) -> None:
    plain = read_plain_json(text, "p.json")
    if plain is not None:
        assert _as_yaml(text) == _typed(plain.data), text


@settings(max_examples=400)
@given(st.dictionaries(TEXT, JSON_DATA, max_size=5), DUMPS)
@example({"a": "b"}, {"ensure_ascii": True, "indent": None, "separators": None})
def test_json_objects_read_as_the_yaml_reader_reads_them_or_are_declined(data, options) -> None:
    _agrees(json.dumps(data, **options))


@settings(max_examples=300)
@given(st.text(min_size=1).map(lambda t: "{" + t))
def test_any_text_read_as_the_yaml_reader_reads_it_or_is_declined(text) -> None:
    _agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',  # the YAML reader refuses duplicate keys, with their line
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": 1e999}',
        '{"a": ' + "1" * 101 + "}",
        '{"a": "\\ud83d\\ude00"}',  # a surrogate pair: YAML refuses the escapes
        '{"a": "x\x85y"}',  # NEL: a line break in YAML, folded to a space
        '{"a": "\x7f"}',  # DEL: not allowed in a YAML document
        '{\t"a": 1}',
        "[1, 2]",  # not a profile: the YAML reader's path tells why
        "{" * 70 + "}" * 70,
    ],
)
def test_what_the_yaml_reader_could_read_otherwise_is_declined(text) -> None:
    assert read_plain_json(text, "p.json") is None


def test_plain_json_objects_are_read() -> None:
    plain = read_plain_json('{"name": "Zoë", "cramp_timing": ["night"], "age": 41.5}', "p")
    assert plain is not None
    assert plain.data == {"name": "Zoë", "cramp_timing": ["night"], "age": 41.5}


@settings(max_examples=60)
@given(profiles(KB))
def test_a_json_profile_is_the_same_profile_either_way(profile) -> None:
    text = json.dumps(profile.to_data())
    assert read_plain_json(text, "p.json") is not None
    doc = parse_yaml(text, "p.json")
    from knowledge import parse_profile

    assert load_profile_text(text, KB, "p.json") == parse_profile(doc.data, KB, doc)


@pytest.mark.parametrize(
    "data",
    [
        {"cramp_timing": ["night"], "no_such_question": "yes"},
        {"cramp_timing": "sometimes"},
        {"cramp_timing": 3},
    ],
)
def test_an_invalid_json_profile_reports_each_problem_at_its_line(data) -> None:
    text = json.dumps(data, indent=2)
    with pytest.raises(ProblemsError) as plain:
        load_profile_text(text, KB, "p.json")
    doc = parse_yaml(text, "p.json")
    from knowledge import parse_profile

    with pytest.raises(ProblemsError) as yaml_read:
        parse_profile(doc.data, KB, doc)
    assert [str(p) for p in plain.value.problems] == [str(p) for p in yaml_read.value.problems]
    assert all(p.line > 1 for p in plain.value.problems)


def test_a_command_on_a_json_profile_does_not_import_the_yaml_reader(tmp_path) -> None:
    profile = tmp_path / "runner.json"
    profile.write_text(json.dumps({"cramp_timing": ["night"]}), encoding="utf-8")
    env = {**os.environ, "CRAMP_NO_CACHE": "", "CRAMP_CACHE_DIR": str(tmp_path / "cache")}
    diagnose_in_new_process(str(profile), ["yaml"], env)  # writes the image
    out, loaded = diagnose_in_new_process(str(profile), ["yaml"], env)
    assert loaded == [] and "TRIAGE" in out
    as_yaml = tmp_path / "runner.yaml"
    as_yaml.write_text("cramp_timing: [night]\n", encoding="utf-8")
    assert diagnose_in_new_process(str(as_yaml), ["yaml"], env) == (out, ["yaml"])
