"""cramp: an expert system, with explanations, about leg cramps in runners.

The application on top of three libraries: :mod:`knowledge` (the knowledge base as
data), :mod:`expert` (the engine) and :mod:`explain` (explanations and reports). It
holds the command line, sessions, file writing, batch runs and the authoring suite,
and this small facade for library users:

>>> import cramp
>>> kb = cramp.load_knowledge_base()
>>> diagnosis = cramp.diagnose(kb, {"cramp_timing": ["night"]})
>>> diagnosis.triage.tier
'self_care'
>>> consultation = cramp.Consultation(kb)
>>> question = consultation.next_question()  # warning signs are asked about first

``cramp.write_report(kb, profile, "report.html")`` writes a report (Markdown, HTML or
JSON, chosen by the file's extension).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine imports experta; keep `import cramp` itself light
    from expert.conclusions import Diagnosis
    from expert.consultation import Consultation
    from knowledge import KnowledgeBase, Profile

    from .report import write_report

__all__ = ["Consultation", "diagnose", "load_knowledge_base", "write_report"]


def load_knowledge_base(directory: str | None = None) -> KnowledgeBase:
    """The knowledge base at ``directory`` (the bundled one by default), validated.

    Raises :class:`knowledge.ProblemsError` listing every problem of an invalid one.
    """
    from knowledge import load_knowledge_base as load

    return load(directory)


def diagnose(kb: KnowledgeBase, answers: Profile | Mapping[str, Any]) -> Diagnosis:
    """Reason about a runner's answers (a profile, or a mapping of question id to answer)."""
    from expert import diagnose as run
    from knowledge import Profile, parse_profile

    profile = answers if isinstance(answers, Profile) else parse_profile(dict(answers), kb)
    return run(kb, profile)


def __getattr__(name: str) -> Any:
    # Imported when first used, so that `import cramp` stays light.
    if name == "Consultation":
        from expert.consultation import Consultation

        return Consultation
    if name == "write_report":
        from .report import write_report

        return write_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
