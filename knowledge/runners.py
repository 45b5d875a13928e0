"""Hypothesis strategies that generate runners (profiles) from the question vocabulary.

Needs ``hypothesis`` installed (a test dependency). Example::

    from hypothesis import given
    from knowledge import load_knowledge_base
    from knowledge.runners import profiles

    KB = load_knowledge_base()

    @given(profiles(KB))
    def test_every_runner_gets_a_triage_level(profile):
        assert diagnose(KB, profile).triage.tier
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .model import KnowledgeBase
from .profile import Profile
from .schema import Question

__all__ = ["answers", "profiles"]


def answers(question: Question) -> st.SearchStrategy[Any]:
    """Valid normalised answers to one question."""
    if question.type == "yesno":
        return st.booleans()
    if question.type == "choice":
        return st.sampled_from(question.values)
    if question.type == "multi":
        return st.lists(st.sampled_from(question.values), unique=True).map(
            lambda v: tuple(sorted(v))
        )
    # The range ends are where conditions flip, so draw them often.
    return st.one_of(
        st.sampled_from([float(question.min), float(question.max)]),
        st.floats(question.min, question.max, allow_nan=False),
    )


def profiles(
    kb: KnowledgeBase, *, partial: bool = True, names: bool = False
) -> st.SearchStrategy[Profile]:
    """Profiles over ``kb``'s vocabulary.

    ``partial`` leaves questions unanswered or answered "unknown"; ``names`` adds
    arbitrary free text as the runner's name and notes.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Profile:
        known: dict[str, Any] = {}
        unknown: set[str] = set()
        for qid, question in kb.questions.items():
            state = draw(st.sampled_from(("known", "unknown", "absent"))) if partial else "known"
            if state == "known":
                known[qid] = draw(answers(question))
            elif state == "unknown":
                unknown.add(qid)
        name = draw(st.none() | st.text(max_size=30)) if names else None
        notes = draw(st.none() | st.text(max_size=80)) if names else None
        return Profile(known, frozenset(unknown), name, notes)

    return build()
