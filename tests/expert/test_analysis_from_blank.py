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

from fixture_data import FIXTURE_KB
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import answers
from expert.relevance import (
    GRAVITY_OTHER,
    RED_FLAG_TIERS,
    Analysis,
    Rulebook,
    unchecked_warning_signs,
)
from knowledge import KnowledgeBase, load_knowledge_base, load_profile_text
from knowledge.bundled import examples_directory
from knowledge.digest import default_directory
from knowledge.synthetic import replicate_knowledge_base
from knowledge.vocabulary import TIERS

KB = load_knowledge_base()


def _replicated() -> KnowledgeBase:
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="cramp-x3-"))
    return load_knowledge_base(replicate_knowledge_base(None, directory / "kb", 3))


KB3 = _replicated()


def _with_a_finding_that_holds_unanswered() -> KnowledgeBase:
    """The bundled knowledge base and one finding more, which holds with no answers
    (its only test is an ``unless``) and stops holding on an answer."""
    import shutil
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="cramp-unless-")) / "kb"
    shutil.copytree(default_directory(), directory)
    with (directory / "findings.yaml").open("a", encoding="utf-8") as findings:
        findings.write(
            "\n  - id: not_ruled_out_yet\n"
            "    title: Not ruled out yet\n"
            "    says: Holds until the runner says the cramp was in both legs.\n"
            "    when_any:\n"
            "      - {one_leg_only: {unless: no}}\n"
            "    backed_by: [spryng-grade-one]\n"
        )
    return load_knowledge_base(directory)


#: Findings that hold with no answers, and (the test fixture's) a question whose only
#: part is to gate others: neither is in the bundled knowledge base.
UNLESS = _with_a_finding_that_holds_unanswered()
GATES = load_knowledge_base(FIXTURE_KB)
ALL = [KB, KB3, UNLESS, GATES]


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
        # Every askable question weighed: none left out of the order of bounds, none added.
        "telling_all": analysis.most_telling(len(analysis.askable) + 1),
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([UNLESS, GATES]).flatmap(lambda kb: st.tuples(st.just(kb), some_answers(kb)))
)
@example((UNLESS, ({"one_leg_only": False}, frozenset())))  # the extra finding stops holding
def test_from_the_blank_analysis_is_afresh_with_findings_held_unanswered_and_gates(
    case: Any,
) -> None:
    kb, (given_answers, unknown) = case
    _same_both_ways(kb, given_answers, unknown)


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


def test_the_extra_knowledge_bases_have_what_they_are_for() -> None:
    assert Rulebook.for_kb(UNLESS).blank.findings == {"not_ruled_out_yet"}
    book = Rulebook.for_kb(GATES)
    assert [q for q in GATES.questions if not book.testing[q] and book.gated[q]]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL).flatmap(lambda kb: st.tuples(st.just(kb), some_answers(kb))))
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


def _as_first_written(analysis: Analysis) -> dict[str, Any]:
    """The tiers and the rules that still count, by going through every rule that holds
    and every live rule, as the analysis first did (it now looks them up by tier)."""
    book, fired, live = analysis.book, analysis.fired, analysis.live
    tiers = [t for i in fired if (t := book.rules[i].tier)]
    tier = min(tiers, key=TIERS.index) if tiers else "self_care"
    settled = [t for i in fired if (t := book.rules[i].tier) and i not in live]
    settled_tier = min(settled, key=TIERS.index) if settled else "self_care"
    waiting = dict(live)
    if settled_tier in RED_FLAG_TIERS:
        rank = TIERS.index(settled_tier)
        refine: set[str] = set()
        for f in analysis.findings & book.warning:
            refine |= book.related[f]
        waiting = {
            i: w
            for i, w in live.items()
            if ((t := book.rules[i].tier) and TIERS.index(t) < rank)
            or (
                book.rules[i].kind == "finding"
                and i not in fired
                and book.rules[i].finding in refine - analysis.findings
            )
        }
    return {"tier": tier, "settled": settled_tier, "waiting": waiting}


def _checked_against_first_written(analysis: Analysis) -> None:
    got = {"tier": analysis.tier, "settled": analysis.settled_tier, "waiting": analysis.waiting}
    assert got == _as_first_written(analysis)
    # Questions are weighed in the order of their bounds, and no bound is below a weight.
    order = list(analysis._by_bound())
    assert order == sorted(((analysis._bound(q), q) for q in analysis.askable), reverse=True)
    assert all(bound >= analysis.weight(q) for bound, q in order)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL).flatmap(lambda kb: st.tuples(st.just(kb), some_answers(kb))))
def test_tiers_what_counts_and_the_order_of_bounds_are_as_first_written(case: Any) -> None:
    kb, (given_answers, unknown) = case
    book = Rulebook.for_kb(kb)
    for incremental in (False, True):
        _checked_against_first_written(
            Analysis(book, given_answers, unknown, incremental=incremental)
        )


def test_the_examples_tiers_and_what_counts_are_as_first_written() -> None:
    """The bundled examples include red flags, after which fewer rules count."""
    tiers = set()
    for path in sorted(examples_directory().glob("*.yaml")):
        for kb in (KB, KB3, UNLESS):
            profile = load_profile_text(path.read_bytes(), kb, path.name)
            for incremental in (False, True):
                analysis = Analysis(
                    Rulebook.for_kb(kb), profile.answers, profile.unknown, incremental=incremental
                )
                _checked_against_first_written(analysis)
                tiers.add(analysis.settled_tier)
    assert tiers & RED_FLAG_TIERS  # the narrowing after a red flag was checked
