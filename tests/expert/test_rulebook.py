"""The rulebook's memo of which conditions some answer can satisfy."""

from __future__ import annotations

import pickle

from expert.relevance import Rulebook
from knowledge import load_knowledge_base
from knowledge.conditions import Condition

KB = load_knowledge_base()


def _conditions(book: Rulebook) -> list[Condition]:
    return [t for rule in book.rules for t in rule.conditions if isinstance(t, Condition)]


def test_can_hold_is_what_the_condition_says_for_every_condition_of_the_rules() -> None:
    book = Rulebook(KB)
    conditions = _conditions(book)
    assert conditions
    for test in conditions:
        expected = bool(test.satisfying(KB.questions[test.question]))
        assert book.can_hold(test) is expected
        assert book.can_hold(test) is expected  # and again, from the memo


def test_an_equal_condition_that_is_another_object_is_answered_for_itself() -> None:
    book = Rulebook(KB)
    test = _conditions(book)[0]
    twin = pickle.loads(pickle.dumps(test))
    assert twin == test and twin is not test
    assert book.can_hold(twin) is book.can_hold(test)


def test_a_rulebook_read_back_keeps_no_memo_by_identity_and_answers_the_same() -> None:
    book = Rulebook(KB)
    before = {id(t): book.can_hold(t) for t in _conditions(book)}
    assert book._can_hold
    again = pickle.loads(pickle.dumps(book))
    assert again._can_hold == {}
    conditions = _conditions(again)
    assert [again.can_hold(t) for t in conditions] == [before[id(t)] for t in _conditions(book)]
