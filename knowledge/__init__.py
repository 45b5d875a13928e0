"""The cramp knowledge base as data: schema, loader, conditions and profiles.

Nothing here imports experta; the engine in :mod:`expert` compiles what this loads.
"""

from typing import TYPE_CHECKING, Any

from .conditions import Condition
from .digest import default_directory
from .model import KnowledgeBase
from .problems import Problem, ProblemsError
from .profile import Profile, load_profile_text, parse_profile

if TYPE_CHECKING:
    from .load import load_knowledge_base


def __getattr__(name: str) -> Any:
    # The loader (pydantic, the schema) is imported only when a knowledge base is loaded
    # from source; one read from its compiled image never needs it.
    if name == "load_knowledge_base":
        from .load import load_knowledge_base

        return load_knowledge_base
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
