"""Where cramp keeps what it compiles between commands, and how to turn that off."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["NO_CACHE_VARIABLE", "caching_disabled", "default_cache_directory"]

#: Set to 1 (or any value but 0 and empty) to neither read nor write compiled caches.
NO_CACHE_VARIABLE = "CRAMP_NO_CACHE"


def default_cache_directory() -> Path:
    """``$XDG_CACHE_HOME/cramp``, or ``~/.cache/cramp`` when that is not set."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # the XDG spec: relative paths are ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cramp"


def caching_disabled() -> bool:
    """Whether ``$CRAMP_NO_CACHE`` turns compiled caches off."""
    return os.environ.get(NO_CACHE_VARIABLE, "") not in ("", "0")
