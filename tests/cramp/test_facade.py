"""The ``cramp`` facade for library users: small, light to import, and the real thing."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import cramp
from expert import diagnose
from knowledge import parse_profile


def test_import_cramp_loads_no_engine_or_loader() -> None:
    code = (
        "import sys, cramp; "
        "print([m for m in ('experta', 'pydantic', 'jinja2', 'networkx') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_facade_gives_what_the_packages_give(kb, tmp_path: Path) -> None:
    answers = {"cramp_timing": ["night"], "sudden_sharp_pain": "no"}
    loaded = cramp.load_knowledge_base()
    assert loaded.content_hash == kb.content_hash
    through_facade = cramp.diagnose(kb, answers)
    direct = diagnose(kb, parse_profile(answers, kb))
    assert through_facade.to_dict() == direct.to_dict()
    assert cramp.diagnose(kb, parse_profile(answers, kb)).to_dict() == direct.to_dict()

    consultation = cramp.Consultation(kb)
    assert consultation.next_question() is not None
    written = cramp.write_report(kb, parse_profile(answers, kb), tmp_path / "r.md")
    assert written.read_text(encoding="utf-8").startswith("# ")
    assert sorted(cramp.__all__) == [
        "Consultation",
        "diagnose",
        "load_knowledge_base",
        "write_report",
    ]


def test_the_facade_docstring_example_runs() -> None:
    assert doctest.testmod(cramp).failed == 0
