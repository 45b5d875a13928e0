"""An analysis that starts from the analysis of no answers is the analysis made afresh,
and so are the warning signs it leaves unchecked.

:class:`~expert.relevance.Analysis` judges again only the rules the answered questions
reach and reads the rest from :attr:`Rulebook.blank`. Everything it offers (what holds,
what waits on what, which warning signs are unchecked, what to ask) must be what a full
pass gives, for any answers, "don't know" included, and on a knowledge base where most
rules are out of the answers' reach.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import answers
from expert.relevance import GRAVITY_OTHER, Analysis, Rulebook, unchecked_warning_signs
from knowledge import KnowledgeBase, load_knowledge_base
from knowledge.synthetic import replicate_knowledge_base

KB = load_knowledge_base()


def _replicated() -> KnowledgeBase:
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="cramp-x3-"))
    return load_knowledge_base(replicate_knowledge_base(None, directory / "kb", 3))


KB3 = _replicated()


@st.composite
def some_answers(draw: st.DrawFn, kb: KnowledgeBase) -> tuple[dict[str, Any], frozenset[str]]:
    """A few of the questions answered (some "don't know"), in any order."""
    chosen = draw(st.lists(st.sampled_from(sorted(kb.questions)), unique=True, max_size=12))
    unknown = {q for q in chosen if draw(st.booleans()) and draw(st.booleans())}
    given = {q: draw(answers(kb.questions[q])) for q in chosen if q not in unknown}
    return given, frozenset(unknown)


def _everything(analysis: Analysis) -> dict[str, Any]:
    return {
        "fired": analysis.fired,
        "findings": analysis.findings,
        "tier": analysis.tier,
        "settled": analysis.settled_tier,
        "live": analysis.live,
        "waiting": analysis.waiting,
        "matters": analysis.matters,
        "askable": analysis.askable,
        "waiting_on": analysis.waiting_on,
        "need": analysis.need,
        "telling": analysis.most_telling(3),
        "remaining": analysis.remaining(),
        "unchecked": analysis.unchecked_warning_signs,
        "statuses": {q: analysis.status(q) for q in analysis.book.kb.questions},
    }


def _same_both_ways(kb: KnowledgeBase, given: dict[str, Any], unknown: frozenset[str]) -> None:
    book = Rulebook.for_kb(kb)
    afresh = Analysis(book, given, unknown, incremental=False)
    from_blank = Analysis(book, given, unknown, incremental=True)
    assert _everything(from_blank) == _everything(afresh)
    assert unchecked_warning_signs(kb, given, unknown, incremental=True) == unchecked_warning_signs(
        kb, given, unknown, incremental=False
    )
    if afresh.askable:
        assert from_blank.best == afresh.best
        assert from_blank.score(afresh.askable[0]) == afresh.score(afresh.askable[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(some_answers(KB))
def test_from_the_blank_analysis_is_afresh(case: tuple[dict[str, Any], frozenset[str]]) -> None:
    _same_both_ways(KB, *case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(some_answers(KB3))
def test_from_the_blank_analysis_is_afresh_where_most_rules_are_out_of_reach(
    case: tuple[dict[str, Any], frozenset[str]],
) -> None:
    _same_both_ways(KB3, *case)


def test_no_answers_is_the_blank_analysis_itself() -> None:
    book = Rulebook.for_kb(KB)
    assert _everything(Analysis(book, {}, frozenset())) == _everything(book.blank)


def test_a_few_answers_start_from_the_blank_and_many_do_not() -> None:
    book = Rulebook(KB3)
    assert "blank" not in book.__dict__
    Analysis(book, {}, frozenset())  # nothing reached: nothing to judge again
    assert "blank" in book.__dict__
    many = Rulebook(KB)
    Analysis(many, {}, frozenset(KB.questions))  # every question reached
    assert "blank" not in many.__dict__  # a full pass judges fewer rules


def test_an_image_keeps_no_blank_analysis() -> None:
    book = Rulebook(KB)
    _ = book.blank, book.blank_signs
    again = pickle.loads(pickle.dumps(book))
    assert "blank" not in again.__dict__ and "blank_signs" not in again.__dict__
    assert _everything(again.blank)["fired"] == book.blank.fired


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([KB, KB3]).flatmap(lambda kb: st.tuples(st.just(kb), some_answers(kb))))
def test_the_most_telling_questions_are_the_first_by_weight(case: Any) -> None:
    kb, (given_answers, unknown) = case
    book = Rulebook.for_kb(kb)
    analysis = Analysis(book, given_answers, unknown)

    def weight(qid: str) -> tuple[int, int, int]:
        # As first written: over every question's list of waiting rules.
        waiting = analysis.waiting_on.get(qid, [])
        gravity = max(
            (book.rules[i].gravity for i in waiting if analysis._looks_for_sign(i, qid)),
            default=GRAVITY_OTHER,
        )
        return (gravity, len(waiting), -book.position[qid])

    assert all(analysis.weight(q) == weight(q) for q in analysis.askable)
    ranked = sorted(analysis.askable, key=weight, reverse=True)
    for count in (0, 1, 3, 7):
        assert analysis.most_telling(count) == tuple(ranked[:count])
