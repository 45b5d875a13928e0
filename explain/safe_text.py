"""Make runner-supplied text safe for the medium it is shown in."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC included) except tab and newline; these are what
# terminal escape sequences are made of.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_terminal(text: object) -> str:
    """Strip control characters so text cannot move the cursor, recolour or retitle."""
    return _CONTROL.sub("", str(text))
