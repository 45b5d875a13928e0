"""The cramp knowledge base as data: schema, loader, conditions and profiles.

Nothing here imports experta; the engine in :mod:`expert` compiles what this loads.
The names below are imported on first use, so a command that needs one small module
of the package (its trusted-file checks, its values) does not load the rest.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .conditions import Condition
    from .digest import default_directory
    from .load import load_knowledge_base
    from .model import KnowledgeBase
    from .problems import Problem, ProblemsError
    from .profile import Profile, load_profile_text, parse_profile

#: Where each public name lives. The loader (pydantic, the schema) is imported only when
#: a knowledge base is loaded from source; one read from its image never needs it.
_HOMES = {
    "Condition": "conditions",
    "KnowledgeBase": "model",
    "Problem": "problems",
    "ProblemsError": "problems",
    "Profile": "profile",
    "default_directory": "digest",
    "load_knowledge_base": "load",
    "load_profile_text": "profile",
    "parse_profile": "profile",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "Condition",
    "KnowledgeBase",
    "Problem",
    "ProblemsError",
    "Profile",
    "default_directory",
    "load_knowledge_base",
    "load_profile_text",
    "parse_profile",
]
