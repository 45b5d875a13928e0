"""explain.json_out.dumps writes exactly what json.dumps(indent=..., ensure_ascii=False) does."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explain.json_out import dumps


class Colour(enum.IntEnum):
    RED = 1


class Text(str):
    pass


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: both sides must refuse them alike
    | st.text()
    | st.just(Colour.RED)
    | st.builds(Text, st.text(max_size=3))
)
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
data = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=25,
)


def standard(value: Any, indent: int) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)


@given(data, st.sampled_from([0, 1, 2, 4]))
def test_dumps_is_json_dumps(value: Any, indent: int) -> None:
    try:
        expected = standard(value, indent)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            dumps(value, indent)
        return
    assert dumps(value, indent) == expected


def test_a_cycle_is_refused_as_json_refuses_it() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(loop)
