"""The inference side: compile a knowledge base to experta, run it, conclude.

>>> from knowledge import load_knowledge_base, parse_profile
>>> from expert import diagnose
>>> kb = load_knowledge_base()
>>> diagnosis = diagnose(kb, parse_profile({"cramp_timing": ["night"]}, kb))
>>> diagnosis.triage.tier
'self_care'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine imports experta; keep `import expert` itself light
    from knowledge import KnowledgeBase, Profile

    from .conclusions import Diagnosis

__all__ = ["diagnose"]


def diagnose(kb: KnowledgeBase, profile: Profile) -> Diagnosis:
    """Run the engine on one profile and return its diagnosis."""
    from .conclusions import diagnose_run
    from .engine import Reasoner

    return diagnose_run(kb, Reasoner.for_kb(kb).run(profile))
