"""Text for a terminal: wrapped at word boundaries to its width, with tiers in colour.

Every command's text output goes through :func:`echo`. Lines are wrapped to the
terminal's width (80 columns when the output is not a terminal), keeping each line's
indent, with a hanging indent under list items (``- ``, ``1. ``, ``[3] ``, ``Q: ``), so a
word is never cut by the terminal. Colour and bold come from click's styling and are
off for ``NO_COLOR``, ``--no-color``, or output that is not a terminal; the text reads
the same without them.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from typing import IO

import click

#: Width used when the output is not a terminal.
DEFAULT_WIDTH = 80
#: Narrowest width wrapped to; below it lines would hold a word or two.
MIN_WIDTH = 20
#: Colour of each triage tier (most urgent first).
TIER_COLOURS = {
    "emergency": "red",
    "urgent": "red",
    "see_doctor": "yellow",
    "self_care": "green",
}

_colour_off = False
_LIST_ITEM = re.compile(r"^(\s*)((?:[-*•] |\d+\. |\[\d+\] |[A-Z]: )?)")


def disable_colour() -> None:
    """Turn colour and bold off for the rest of the process (``--no-color``)."""
    global _colour_off
    _colour_off = True


def _stream(err: bool) -> IO[str]:
    return sys.stderr if err else sys.stdout


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def colour_on(*, err: bool = False) -> bool:
    """Whether to style: a terminal, no ``NO_COLOR`` (any value) and no ``--no-color``."""
    if _colour_off or os.environ.get("NO_COLOR"):
        return False
    return _is_tty(_stream(err))


def width(*, err: bool = False) -> int:
    """The width to wrap to: the terminal's (``COLUMNS`` wins), else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    if not _is_tty(_stream(err)):
        return DEFAULT_WIDTH
    import shutil  # here: it imports bz2, lzma and fnmatch, which nothing else needs

    return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def wrap(text: str, columns: int) -> str:
    """``text`` with every line wrapped to ``columns`` at word boundaries.

    A line keeps its indent; the lines it wraps onto are indented under the text after
    a list marker. A word is never broken: one longer than a whole line (a long file
    name) stands on a line of its own, so it can still be copied whole.
    """
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= columns:
            out.append(line)
            continue
        match = _LIST_ITEM.match(line)
        assert match is not None  # the pattern matches the empty string
        lead = match.group(1) + match.group(2)
        hang = " " * min(len(lead), columns // 2)
        text = line[len(lead) :]
        fast = _words_wrapped(text, columns - len(lead), columns - len(hang))
        if fast is not None:
            out.append(lead + fast[0])
            out.extend(hang + rest for rest in fast[1:])
            continue
        wrapper = textwrap.TextWrapper(
            width=columns,
            initial_indent=lead,
            subsequent_indent=hang,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out.extend(wrapper.wrap(text) or [line[:columns]])
    return "\n".join(out)


#: Whitespace :mod:`textwrap` turns into spaces (and then splits words at).
_TEXTWRAP_SPACES = re.compile(r"[\t\n\x0b\x0c\r]")


def _words_wrapped(text: str, first: int, later: int) -> list[str] | None:
    """``text`` broken into lines as :mod:`textwrap` breaks it (at spaces, no word
    broken, the spaces at a break dropped), for the usual text: ASCII words separated
    by spaces, neither leading nor trailing; None for any other (a report has hundreds
    of lines to wrap, and a ``TextWrapper`` per line is slow).

    ``first`` and ``later`` are the widths of the first line and of the others.
    """
    if (
        not text
        or text[0] == " "
        or text[-1] == " "
        or first < 1
        or later < 1
        or not text.isascii()
        or _TEXTWRAP_SPACES.search(text)
    ):
        return None
    lines: list[str] = []
    start, end, width = 0, len(text), first
    while end - start > width:
        # The line ends with the last word that ends within the width, else with the
        # first word; the spaces after it are dropped, here and at the next start.
        cut = text.rfind(" ", start, start + width + 1)
        if cut < 0:
            cut = text.find(" ", start + width)
            if cut < 0:
                break
        after = cut
        while text[cut - 1] == " ":
            cut -= 1
        lines.append(text[start:cut])
        start, width = after + 1, later
        while text[start] == " ":
            start += 1
    lines.append(text[start:])
    return lines


def tier_style(text: str, tier: str) -> str:
    """``text`` in bold, in the tier's colour (see :data:`TIER_COLOURS`)."""
    return click.style(text, fg=TIER_COLOURS.get(tier), bold=True)


def heading(text: str, tier: str, columns: int) -> str:
    """A boxed heading for a referral: a rule, the text wrapped inside, a rule."""
    inner = max(MIN_WIDTH - 4, columns - 4)
    lines = textwrap.wrap(text, inner, break_on_hyphens=False)
    rule = "+" + "-" * (min(columns, max(len(x) for x in lines) + 4) - 2) + "+"
    body = [f"| {x.ljust(len(rule) - 4)} |" for x in lines]
    return "\n".join([rule, *body, rule])


def echo(
    text: str = "",
    *,
    err: bool = False,
    nl: bool = True,
    tier: str | None = None,
    bold: bool = False,
) -> None:
    """Print ``text`` wrapped to the width, styled when colour is on (see module doc).

    With ``tier``, the text is shown in bold in that tier's colour; with ``bold``, bold.
    """
    wrapped = wrap(text, width(err=err))
    if colour_on(err=err):
        if tier is not None:
            wrapped = tier_style(wrapped, tier)
        elif bold:
            wrapped = click.style(wrapped, bold=True)
    click.echo(wrapped, err=err, nl=nl, color=colour_on(err=err))


def format_report(text: str, *, tier: str | None = None, err: bool = False) -> str:
    """A rendered report for the terminal: wrapped, and (colour on) its ``TRIAGE:`` line
    in the tier's colour and its section headings (lines in capitals) in bold."""
    lines = wrap(text, width(err=err)).split("\n")
    if colour_on(err=err):
        for i, line in enumerate(lines):
            if line.startswith("TRIAGE:") and tier is not None:
                lines[i] = tier_style(line, tier)
            elif _is_heading(line):
                lines[i] = click.style(line, bold=True)
    return "\n".join(lines)


def echo_report(text: str, *, tier: str | None = None, err: bool = False) -> None:
    """Print :func:`format_report` of ``text``."""
    colour = colour_on(err=err)
    click.echo(format_report(text, tier=tier, err=err), err=err, nl=False, color=colour)


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and not line.startswith(" ") and all(c.isupper() for c in letters)


__all__ = [
    "DEFAULT_WIDTH",
    "TIER_COLOURS",
    "colour_on",
    "disable_colour",
    "echo",
    "echo_report",
    "format_report",
    "heading",
    "tier_style",
    "width",
    "wrap",
]
