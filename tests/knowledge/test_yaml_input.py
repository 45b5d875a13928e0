"""YAML and JSON reading: positions kept, dangerous constructs refused."""

from __future__ import annotations

import pytest

from knowledge import ProblemsError
from knowledge.yaml_io import parse_yaml


def test_positions_point_at_keys_and_values():
    doc = parse_yaml("a:\n  b: [1, 2]\n  c: hello\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, 2], "c": "hello"}}
    assert doc.where(("a", "c")) == (3, 3)
    assert doc.where(("a", "c"), value=True) == (3, 6)
    assert doc.where(("a", "b", 1)) == (2, 10)


def test_positions_are_worked_out_only_when_one_is_asked():
    text = "# a comment\n\nitems:\n  - {id: a, n: 1}\n  - id: b\n    n: 2\n"
    doc = parse_yaml(text, "f.yaml")
    # Parsing keeps the text, not a position per value: only a problem needs one.
    assert doc.positions == {(): (1, 1)} and doc.value_positions == {}
    assert doc.text == text.encode()
    assert doc.where(()) == (3, 1)
    assert doc.text is None
    assert doc.where(("items", 1, "n")) == (6, 5)
    assert doc.where(("items", 1, "n"), value=True) == (6, 8)
    assert doc.where(("items", 0, "n"), value=True) == (4, 16)
    assert doc.where(("items", 0, "missing")) == (4, 5)


def test_json_is_read_as_well():
    assert parse_yaml('{"x": [true, 1.5]}', "f.json").data == {"x": [True, 1.5]}


def test_yaml_one_point_two_keeps_yes_as_text():
    assert parse_yaml("x: yes", "f").data == {"x": "yes"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, 2]\nb: *x\n", "YAML anchors and aliases are not allowed"),
        (
            "a: &a [1,1]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: &d [*c,*c]\n",
            "YAML anchors and aliases are not allowed",
        ),
        ("a: !!python/object/apply:os.system ['true']\n", "YAML tags are not allowed"),
        ("a: !custom text\n", "YAML tags are not allowed"),
        ("a: 1\na: 2\n", "duplicate key"),
        ("a: .nan\n", "NaN and infinite numbers are not allowed"),
        ("a: [1, 2\n", "not valid YAML or JSON"),
        ("[" * 200 + "]" * 200, "nested deeper than"),
    ],
    ids=[
        "alias",
        "billion-laughs",
        "python-tag",
        "custom-tag",
        "duplicate-key",
        "nan",
        "unclosed",
        "deep",
    ],
)
def test_dangerous_or_broken_documents_are_refused_with_a_positioned_problem(text, message):
    with pytest.raises(ProblemsError) as info:
        parse_yaml(text, "f.yaml")
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert message in problem.message
    assert str(problem).startswith("f.yaml:")
