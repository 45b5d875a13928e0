"""A template macro's output for a claim, made once per process instead of once per report.

A report cites dozens of claims, and a claim's view (:class:`~explain.context.ClaimView`)
is made once per knowledge base and shared by every report of it
(:func:`~explain.build.claim_view`), as is the quote it lists among its source's
(:class:`~explain.context.QuoteView`): frozen, their markup is a function of the view
and of the macro drawing it. A batch over a club drew the same citations again for
every runner (a sixth of an HTML report's time). Templates call such a macro through
``remembered(macro, view, ...)``, which draws it the first time and then gives back what
it drew.

Only claim and quote views are remembered by identity, and the other arguments must be
plain values (text, numbers, booleans, None); anything else is drawn every time. The
macro is part of the key, so each template environment (HTML, Markdown, a user's own
templates) keeps its own drawings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import ClaimView, QuoteView

#: Drawings kept at most; past this the memory starts again (a knowledge base ten times
#: the bundled one has some 5,000 claims, drawn at most a few ways each).
MAX_KEPT = 50_000

_PLAIN = (str, int, float, bool, type(None))

#: (macro id, view id, plain arguments) -> (macro, view, markup): the macro and view
#: are held so that their ids stay theirs while the entry lives.
_kept: dict[tuple[Any, ...], tuple[Any, ClaimView | QuoteView, Any]] = {}


def remembered(macro: Any, view: Any, *args: Any) -> Any:
    """``macro(view, *args)``, drawn once per process for the same macro, claim or quote
    view and plain arguments; drawn each time for anything else."""
    # Imported here: every template environment offers this, and the text report (a
    # cold ``cramp diagnose``) never calls it nor needs the report context's classes.
    from .context import ClaimView, QuoteView

    if type(view) not in (ClaimView, QuoteView) or not all(type(a) in _PLAIN for a in args):
        return macro(view, *args)
    key = (id(macro), id(view), *((type(a), a) for a in args))
    kept = _kept.get(key)
    if kept is not None and kept[0] is macro and kept[1] is view:
        return kept[2]
    markup = macro(view, *args)
    if len(_kept) >= MAX_KEPT:
        _kept.clear()
    _kept[key] = (macro, view, markup)
    return markup


__all__ = ["MAX_KEPT", "remembered"]
