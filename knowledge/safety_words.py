"""Words that make advice unsafe whatever its tags: telling a runner to drink, or to stop
a medicine.

Advice that tells the runner to drink must carry the ``drinking`` tag, so that the
findings that forbid drinking (signs of low blood sodium) withhold it; no advice may
tell a runner to stop a medicine, which is for their doctor. ``cramp kb lint`` checks
every piece of advice; ``cramp kb test`` checks the advice each runner is shown.
"""

from __future__ import annotations

import re

__all__ = ["DRINKING", "STOP_MEDICINE", "says_to_drink", "stops_a_medicine"]

#: Advice that tells the runner to drink: never for signs of over-hydration.
DRINKING = re.compile(r"\b(drink\w*|hydrat\w*|water|fluids?|sip\w*)\b", re.IGNORECASE)
#: A medicine named in a sentence.
_MEDICINE = re.compile(
    r"\b(medic\w*|tablets?|pills?|drugs?|statins?|diuretics?|inhalers?|prescri\w*)\b",
    re.IGNORECASE,
)
#: Stopping something, unless the sentence says never to ("never stop", "don't stop").
_STOP = re.compile(
    r"(?<!never )(?<!not )(?<!don't )(?<!don’t )"
    r"\b(stop|stopping|quit|discontinue|cease|come off|skip|give up)\b",
    re.IGNORECASE,
)
#: Kept for callers that search one phrase: a stop verb, then a medicine.
STOP_MEDICINE = re.compile(_STOP.pattern + r"[^.]*" + _MEDICINE.pattern, re.IGNORECASE)


def says_to_drink(text: str) -> bool:
    """Whether ``text`` talks about drinking (water, fluids, hydration)."""
    return DRINKING.search(text) is not None


def stops_a_medicine(text: str) -> str | None:
    """The sentence of ``text`` telling the runner to stop a medicine, or None.

    Sentence by sentence, in either order and through a pronoun: "If a statin gives you
    cramps, stop taking it" stops a medicine as surely as "stop your statin".
    """
    for sentence in re.split(r"(?<=[.!?;])\s+", text):
        if _STOP.search(sentence) and _MEDICINE.search(sentence):
            return sentence.strip()
    return None
