"""Hypothesis strategies for runner profiles drawn from a knowledge base's vocabulary."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from knowledge import KnowledgeBase, Profile


def answers_for(question: Any) -> st.SearchStrategy[Any]:
    """Valid, normalised answers to one question."""
    if question.type == "yesno":
        return st.booleans()
    if question.type == "choice":
        return st.sampled_from(question.values)
    if question.type == "multi":
        return st.lists(st.sampled_from(question.values), unique=True).map(
            lambda v: tuple(sorted(v))
        )
    return st.floats(question.min, question.max, allow_nan=False).map(float)


@st.composite
def profiles(draw: st.DrawFn, kb: KnowledgeBase) -> Profile:
    """A profile answering any subset of the questions, some of them "don't know"."""
    chosen = draw(st.lists(st.sampled_from(sorted(kb.questions)), unique=True))
    answers: dict[str, Any] = {}
    unknown: set[str] = set()
    for qid in chosen:
        if draw(st.integers(0, 9)) == 0:
            unknown.add(qid)
        else:
            answers[qid] = draw(answers_for(kb.questions[qid]))
    return Profile(answers, frozenset(unknown), name=draw(st.none() | st.text(max_size=30)))
