"""A claim's or quote's markup is drawn once per process, and is what drawing it gives."""

from __future__ import annotations

import pytest
from fixture_data import NIGHT, fixture_profile

from explain import remembered as memo
from explain.build import _quote_view, claim_view, report_context
from explain.context import QuoteView
from explain.report import render_report
from knowledge import load_knowledge_base

KB = load_knowledge_base()


class Counting:
    """A stand-in macro that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, view: object, *args: object) -> str:
        self.calls += 1
        return f"<{getattr(view, 'id', getattr(view, 'claim', view))} {args}>"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    memo._kept.clear()


def _views() -> tuple:
    claim = claim_view(KB, next(iter(KB.claims)))
    return claim, _quote_view(KB, claim)


def test_a_claim_and_its_quote_are_drawn_once_for_the_same_arguments() -> None:
    for view in _views():
        macro = Counting()
        first = memo.remembered(macro, view, True)
        assert memo.remembered(macro, view, True) == first == macro(view, True)
        assert macro.calls == 2  # once remembered, once called here
        memo.remembered(macro, view, False)  # other arguments: drawn again
        assert macro.calls == 3


def test_anything_else_is_drawn_every_time() -> None:
    claim, _ = _views()
    macro = Counting()
    memo.remembered(macro, claim, ["not", "plain"])
    memo.remembered(macro, claim, ["not", "plain"])
    memo.remembered(macro, "a string, not a view")
    memo.remembered(macro, "a string, not a view")
    assert macro.calls == 4


def test_each_macro_keeps_its_own_drawings() -> None:
    claim, _ = _views()
    html, markdown = Counting(), Counting()
    memo.remembered(html, claim)
    memo.remembered(markdown, claim)
    assert (html.calls, markdown.calls) == (1, 1)


def test_the_memory_starts_again_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "MAX_KEPT", 2)
    claim, quote = _views()
    macro = Counting()
    for args in ((1,), (2,), (3,)):
        memo.remembered(macro, claim, *args)
    assert len(memo._kept) == 1
    memo.remembered(macro, quote)
    assert len(memo._kept) == 2


def test_a_quote_view_is_shared_by_every_report_of_a_knowledge_base() -> None:
    first = report_context(KB, fixture_profile(NIGHT))
    second = report_context(KB, fixture_profile(NIGHT))
    quotes = [q for s in first.sources for q in s.quotes]
    again = [q for s in second.sources for q in s.quotes]
    assert quotes and all(type(q) is QuoteView for q in quotes)
    assert all(a is b for a, b in zip(quotes, again, strict=True))


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_a_report_drawn_from_memory_is_the_report_drawn_afresh(fmt: str) -> None:
    context = report_context(KB, fixture_profile(NIGHT))
    fresh = render_report(context, fmt)
    assert memo._kept  # the report remembered its claims and quotes
    assert render_report(context, fmt) == fresh
