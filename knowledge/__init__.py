"""The cramp knowledge base as data: schema, loader, conditions and profiles.

Nothing here imports experta; the engine in :mod:`expert` compiles what this loads.
"""

from .conditions import Condition
from .load import default_directory, load_knowledge_base
from .model import KnowledgeBase
from .problems import Problem, ProblemsError
from .profile import Profile, load_profile_text, parse_profile

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
