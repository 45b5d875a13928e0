"""Hypothesis strategies that generate runners (profiles) from the question vocabulary.

A tiny library in Hypothesis's own style: plural names, keyword-only options, and
invalid arguments reported as :class:`hypothesis.errors.InvalidArgument` when a value
is drawn, not when the strategy is built. Needs ``hypothesis`` installed (a test
dependency). Example::

    from hypothesis import given
    from expert import diagnose
    from knowledge import load_knowledge_base
    from cramp.authoring.runners import profiles

    KB = load_knowledge_base()

    @given(profiles(KB, red_flags=True))
    def test_a_runner_with_a_warning_sign_is_referred(profile):
        assert diagnose(KB, profile).triage.is_referral

    @given(profiles(KB, satisfying="safety-hyponatraemia"))
    def test_over_hydration_is_an_emergency(profile):
        assert diagnose(KB, profile).triage.tier == "emergency"

Shrinking goes towards fewer answers (unanswered before "unknown" before answered),
so a failing test reports a small runner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from knowledge.conditions import holds_all
from knowledge.model import KnowledgeBase
from knowledge.problems import did_you_mean
from knowledge.profile import Profile
from knowledge.satisfy import satisfying_answers

if TYPE_CHECKING:
    from knowledge.schema import Question

__all__ = ["answers", "draw", "fireable_red_flags", "profiles", "red_flag_claims", "reorderings"]

#: How a generated profile treats each question; the first is what shrinking aims for.
_STATES = ("absent", "unknown", "known")


def answers(question: Question) -> st.SearchStrategy[Any]:
    """Valid normalised answers to one question."""
    if question.type == "yesno":
        return st.booleans()
    if question.type == "choice":
        return st.sampled_from(question.values)
    if question.type == "multi":
        # One pick per value, each taken one time in four as runners tick few boxes; it
        # shrinks value by value to the smallest set that matters (a unique list of
        # sampled values does not shrink that well).
        values = sorted(question.values)
        pick = st.integers(0, 3).map(lambda n: n == 3)
        return st.tuples(*(pick for _ in values)).map(
            lambda picked: tuple(v for v, keep in zip(values, picked, strict=True) if keep)
        )
    # The range ends are where conditions flip, so draw them often.
    assert question.min is not None and question.max is not None, "set on number questions"
    return st.one_of(
        st.sampled_from([float(question.min), float(question.max)]),
        st.floats(question.min, question.max, allow_nan=False),
    )


def red_flag_claims(kb: KnowledgeBase) -> tuple[str, ...]:
    """Ids of the claims of kind ``red_flag`` (warning signs that set a triage tier)."""
    return tuple(cid for cid, claim in kb.claims.items() if claim.kind == "red_flag")


def fireable_red_flags(kb: KnowledgeBase) -> tuple[str, ...]:
    """The red-flag claims some runner's answers can make hold (found by search).

    A red flag that can never fire is a problem ``cramp kb lint`` and ``cramp kb test``
    report; runners with a red flag are drawn from the others.
    """
    return tuple(f for f in red_flag_claims(kb) if _witness(kb, f) is not None)


def profiles(
    kb: KnowledgeBase,
    *,
    partial: bool = True,
    names: bool = False,
    satisfying: str | None = None,
    red_flags: bool | None = None,
) -> st.SearchStrategy[Profile]:
    """Profiles over ``kb``'s vocabulary.

    ``partial`` leaves questions unanswered or answered "unknown"; ``names`` adds free
    text as the runner's name and notes. ``satisfying=CLAIM_ID`` gives runners whose
    answers make that claim's conditions hold, ``ask_if`` included. ``red_flags=True``
    gives runners with at least one red-flag claim holding, ``False`` with none (answers
    that would raise one are marked unknown), ``None`` either.
    """

    states = st.sampled_from(_STATES)
    # Built once, not at every draw: building strategies costs more than drawing.
    per_question = {qid: answers(question) for qid, question in kb.questions.items()}
    meeting: dict[str, st.SearchStrategy[dict[str, Any]]] = {}

    @st.composite
    def build(draw: st.DrawFn) -> Profile:
        _validate(kb, partial=partial, names=names, satisfying=satisfying, red_flags=red_flags)
        target = satisfying
        if red_flags and target is None:
            target = draw(st.sampled_from(fireable_red_flags(kb)))
        known: dict[str, Any] = {}
        unknown: set[str] = set()
        for qid in kb.questions:
            state = draw(states) if partial else "known"
            if state == "known":
                known[qid] = draw(per_question[qid])
            elif state == "unknown":
                unknown.add(qid)
        protected: frozenset[str] = frozenset()
        if target is not None:
            if target not in meeting:
                meeting[target] = _satisfying(kb, target)
            needed = draw(meeting[target])
            known.update(needed)
            unknown -= set(needed)
            protected = frozenset(needed)
            if not _holds(kb, target, known):
                # Another answer undid an ``unless`` test: leave those questions open.
                for qid in _unless_questions(kb, target) - protected:
                    known.pop(qid, None)
                    unknown.discard(qid)
            if not _holds(kb, target, known):
                reject()
        if red_flags is False:
            _clear_red_flags(kb, known, unknown, protected)
        name = draw(st.none() | st.text(max_size=30)) if names else None
        notes = draw(st.none() | st.text(max_size=80)) if names else None
        return Profile(known, frozenset(unknown), name, notes)

    return build()


def draw(strategy: st.SearchStrategy[Any], count: int, seed: int = 0) -> list[Any]:
    """``count`` values drawn from ``strategy`` with ``seed``: generated, never shrunk.

    The same seed gives the same values, so benchmarks and ``cramp kb diff`` compare
    like with like from run to run.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed

    out: list[Any] = []

    @with_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out[:count]


def reorderings(profile: Profile) -> st.SearchStrategy[Profile]:
    """The same profile with its answers given in another order."""
    items = list(profile.answers.items())
    return st.permutations(items).map(
        lambda order: Profile(dict(order), profile.unknown, profile.name, profile.notes)
    )


def _validate(
    kb: KnowledgeBase,
    *,
    partial: bool,
    names: bool,
    satisfying: str | None,
    red_flags: bool | None,
) -> None:
    if not isinstance(kb, KnowledgeBase):
        raise InvalidArgument(f"kb={kb!r} must be a loaded KnowledgeBase")
    for option, value in (("partial", partial), ("names", names)):
        if not isinstance(value, bool):
            raise InvalidArgument(f"{option}={value!r} must be True or False")
    if red_flags not in (None, True, False):
        raise InvalidArgument(f"red_flags={red_flags!r} must be True, False or None")
    if red_flags and not red_flag_claims(kb):
        raise InvalidArgument("red_flags=True, but the knowledge base has no red_flag claim")
    if red_flags and not fireable_red_flags(kb):
        raise InvalidArgument(
            "red_flags=True, but no red_flag claim of the knowledge base can fire"
        )
    if satisfying is None:
        return
    if satisfying not in kb.claims:
        raise InvalidArgument(
            f"satisfying={satisfying!r} is not a claim id{did_you_mean(satisfying, kb.claims)}"
        )
    if _witness(kb, satisfying) is None:
        raise InvalidArgument(f"satisfying={satisfying!r}: no runner's answers can satisfy it")
    if red_flags is False and satisfying in red_flag_claims(kb):
        raise InvalidArgument(f"satisfying={satisfying!r} is a red flag, but red_flags=False")


def _witness(kb: KnowledgeBase, claim_id: str) -> dict[str, Any] | None:
    """The smallest answers that make a claim hold (searched once per claim)."""
    cache = kb._cache.setdefault("runners.witness", {})
    if claim_id not in cache:
        cache[claim_id] = satisfying_answers(kb, kb.conditions[claim_id])
    return cache[claim_id]


def _holds(kb: KnowledgeBase, claim_id: str, answers: Mapping[str, Any]) -> bool:
    """Whether the claim's conditions hold on these answers (findings worked out too)."""
    kept = kb.applicable(answers)
    return holds_all(kb.conditions[claim_id], kept, kb.holding_findings(kept))


def _satisfying(kb: KnowledgeBase, claim_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Answers making the claim hold: random where they can be, else the smallest witness."""
    witness = _witness(kb, claim_id)
    assert witness is not None  # checked by _validate

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out = dict(witness)
        for qid in sorted(witness):
            question = kb.questions[qid]
            value = draw(answers(question))
            if question.type == "multi":
                value = tuple(sorted(set(value) | set(witness[qid])))
            # A random answer stays only if the claim still holds with it.
            if _holds(kb, claim_id, {**out, qid: value}):
                out[qid] = value
        assert _holds(kb, claim_id, out), (claim_id, out)
        return out

    return build()


def _unless_questions(kb: KnowledgeBase, claim_id: str) -> frozenset[str]:
    """Questions the claim tests with ``unless``, directly or through its findings: an
    answer to one of them could undo it, so a runner built for it leaves them open."""
    return _tested_questions(kb, claim_id, unless=True)


def _positive_questions(kb: KnowledgeBase, claim_id: str) -> frozenset[str]:
    """Questions the claim tests for a value, directly or through its findings."""
    return _tested_questions(kb, claim_id, unless=False)


def _tested_questions(kb: KnowledgeBase, claim_id: str, *, unless: bool) -> frozenset[str]:
    """The questions the claim's tests (and its findings' clauses) read, of one sort:
    ``unless`` tests (they hold unanswered) or tests for a value."""
    tests = kb.answer_tests_under(kb.conditions[claim_id])
    return frozenset(t.question for t in tests if t.holds_unanswered == unless)


def _clear_red_flags(
    kb: KnowledgeBase, known: dict[str, Any], unknown: set[str], protected: frozenset[str]
) -> None:
    """Mark answers unknown until no red flag holds (fewer answers never raise one)."""
    flags = red_flag_claims(kb)
    while True:
        raised = [f for f in flags if _holds(kb, f, known)]
        if not raised:
            return
        # Take back an answer the flag needs: a sign answered, not an ``unless`` one
        # (an unanswered ``unless`` question keeps a flag up rather than lowering it).
        kept = kb.applicable(known)
        questions = [
            q
            for q in sorted(_positive_questions(kb, raised[0]))
            if q in kept and q not in protected
        ]
        if not questions:
            reject()  # the claim asked for implies a red flag: no such runner
        del known[questions[0]]
        unknown.add(questions[0])
