"""experta imports on Python 3.11+ through one module, and only where it is needed."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def test_experta_imports_and_leaves_no_collections_alias_behind():
    out = run_python(
        "import collections, expert._experta as x; "
        "print(hasattr(collections, 'Mapping'), x.KnowledgeEngine.__name__)"
    )
    assert out == "False KnowledgeEngine"


def test_the_environment_has_the_frozendict_that_experta_pins():
    # The same resolution plain `pip install .` makes; the compatibility step exists for it.
    assert version("frozendict") == "1.2"
    assert version("experta") == "1.9.4"


def test_only_the_compatibility_module_imports_experta():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    statement = re.compile(r"^\s*(from|import)\s+experta\b", re.MULTILINE)
    importers = sorted(
        str(p.relative_to(root))
        for package in ("expert", "knowledge", "explain")
        for p in (root / package).rglob("*.py")
        if statement.search(p.read_text())
    )
    assert importers == ["expert/_experta.py"]


def test_the_knowledge_package_and_the_cli_module_do_not_import_heavy_modules():
    out = run_python(
        "import sys, knowledge, cramp.cli; "
        "print(sorted(m for m in ('experta', 'networkx', 'jinja2', 'pydantic')"
        " if m in sys.modules))"
    )
    assert out in ("['pydantic']", "[]")
    out = run_python(
        "import sys, cramp.cli; "
        "print(sorted(m for m in ('experta', 'networkx', 'jinja2', 'pydantic', 'yaml')"
        " if m in sys.modules))"
    )
    assert out == "[]"


def test_importing_the_engine_leaves_the_callers_logging_alone():
    # experta runs logging.basicConfig() at import; a library must not configure logging.
    out = run_python(
        "import logging; before = list(logging.root.handlers); "
        "import expert.engine, expert._experta; "
        "print(logging.root.handlers == before, len(logging.root.handlers))"
    )
    assert out == "True 0"


def test_an_application_handler_set_before_import_is_kept():
    out = run_python(
        "import logging; h = logging.StreamHandler(); logging.root.addHandler(h); "
        "import expert._experta; print(logging.root.handlers == [h])"
    )
    assert out == "True"
