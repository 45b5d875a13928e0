"""Fuzzing `cramp diagnose` and `cramp report` with arbitrary documents: random nested
structures as YAML and JSON, random text and bytes, and mutated valid profiles. Whatever
comes in, the answer is exit 0 with output, or exit 2 with one-line errors; never a
traceback. Runs in CI with a few hundred examples per command (CRAMP_FUZZ_EXAMPLES)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reliability_support import RAW_CONTROL, invoke, reuse_bundled_kb

from cramp.authoring.runners import profiles
from knowledge import load_knowledge_base
from knowledge.yaml_io import dump_yaml

KB = load_knowledge_base()
IDS = sorted(KB.questions)
VALUES = sorted(
    {str(v) for q in KB.questions.values() for v in q.values} | {"yes", "no", "unknown"}
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()  # NaN and infinities included
    | st.text(max_size=40)
    | st.sampled_from(VALUES)
)
keys = st.sampled_from([*IDS, "name", "notes"]) | st.text(max_size=20)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(keys, inner, max_size=8),
    max_leaves=40,
)
# Mostly mappings from question ids, the shape a profile has, so validation goes deep.
profile_like = st.dictionaries(
    keys, scalars | st.lists(scalars | st.sampled_from(VALUES), max_size=5), max_size=12
)


def as_json(data: Any) -> bytes:
    return json.dumps(data, allow_nan=True, ensure_ascii=False).encode()


def as_yaml(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True).encode()


@st.composite
def mutated_profiles(draw: st.DrawFn) -> bytes:
    """A valid profile's YAML with a few bytes replaced, inserted or deleted."""
    text = bytearray(dump_yaml(draw(profiles(KB, names=True)).to_data()).encode())
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.integers(0, 255) | st.sampled_from(list(b":-[]{}&*!|>'\"#\n\t ?,%@`")))
        if action == "replace" and text:
            text[at] = byte
        elif action == "insert":
            text.insert(at, byte)
        elif text:
            del text[at]
    return bytes(text)


@st.composite
def answer_like(draw: st.DrawFn) -> dict[str, Any]:
    """Question ids with answers mostly from their own vocabulary: often a valid profile."""
    data: dict[str, Any] = {}
    for qid in draw(st.lists(st.sampled_from(IDS), max_size=12, unique=True)):
        question = KB.questions[qid]
        own = st.sampled_from([*question.values, "unknown"] if question.values else ["unknown"])
        if question.type == "yesno":
            own = st.sampled_from(["yes", "no", "unknown", True, False])
        if question.type == "multi":
            own = st.lists(st.sampled_from(question.values), max_size=3) | st.just("none")
        data[qid] = draw(own if draw(st.integers(0, 9)) else scalars)
    if draw(st.booleans()):
        data["name"] = draw(st.text(max_size=30))
    return data


def as_profile(profile: Any) -> dict[str, Any]:
    return profile.to_data()


inputs = st.one_of(
    profiles(KB, names=True).map(as_profile).map(as_yaml),
    profiles(KB, names=True).map(as_profile).map(as_json),
    answer_like().map(as_yaml),
    answer_like().map(as_json),
    documents.map(as_json),
    documents.map(as_yaml),
    profile_like.map(as_json),
    profile_like.map(as_yaml),
    mutated_profiles(),
    st.text(max_size=300).map(str.encode),
    st.binary(max_size=600),
)


def check(result: Any) -> None:
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert result.stdout and result.stderr == ""
    else:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("cramp: ") for line in lines)
        assert not any(RAW_CONTROL.search(line) for line in lines)


#: Examples per command in CI; set CRAMP_FUZZ_EXAMPLES=20000 for a long local hunt.
EXAMPLES = int(os.environ.get("CRAMP_FUZZ_EXAMPLES", "400"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(data=inputs, fmt=st.sampled_from(["text", "json"]))
def test_diagnose_answers_any_document_with_exit_0_or_2_and_never_a_traceback(
    data: bytes, fmt: str
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        reuse_bundled_kb(patch, KB)
        check(invoke(["diagnose", "-", "--format", fmt], input=data))


@settings(FUZZ, max_examples=max(EXAMPLES * 3 // 4, 1))
@given(data=inputs, fmt=st.sampled_from(["md", "html", "json"]))
def test_report_answers_any_document_with_exit_0_or_2_and_never_a_traceback(
    data: bytes, fmt: str
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        reuse_bundled_kb(patch, KB)
        result = invoke(["report", "-", "-o", "-", "--format", fmt], input=data)
    check(result)
    if result.exit_code == 0 and fmt == "json":
        assert json.loads(result.stdout)["triage"]["tier"]


def test_the_fuzzer_s_inputs_include_valid_profiles_and_hostile_numbers() -> None:
    # The strategies reach both ends: documents that diagnose, and ones that must not.
    assert math.isnan(json.loads(as_json({"x": math.nan}))["x"])
    sample = as_yaml({"calf_can_contract": "no", "name": "x"})
    with pytest.MonkeyPatch.context() as patch:
        reuse_bundled_kb(patch, KB)
        assert invoke(["diagnose", "-"], input=sample).exit_code == 0
        assert invoke(["diagnose", "-"], input=as_json({"dark_urine": math.inf})).exit_code == 2
