"""The layers contract: cramp → explain → expert → knowledge, every import pointing down.

Every import counts, at module level or inside a function (where the heavy libraries
are imported late), and under ``TYPE_CHECKING`` too: a type-only import upwards is
still a dependency the layers do not allow.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Top to bottom: a package may import only the ones after it.
LAYERS = ("cramp", "explain", "expert", "knowledge")


def imported_modules(path: Path, package: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, module) of every import in a module of ``package``, relative ones resolved."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                out.append((node.lineno, ".".join((*base, *filter(None, [node.module])))))
            elif node.module:
                out.append((node.lineno, node.module))
    return out


def violations(root: Path) -> list[str]:
    """``path:line: package imports module`` for each import against the layers."""
    found = []
    for rank, layer in enumerate(LAYERS):
        for path in sorted((root / layer).rglob("*.py")):
            relative = path.relative_to(root)
            for line, module in imported_modules(path, relative.parent.parts):
                top = module.split(".")[0]
                if top in LAYERS and LAYERS.index(top) < rank:
                    found.append(f"{relative.as_posix()}:{line}: {layer} imports {module}")
    return found


def test_every_import_points_down_the_layers() -> None:
    assert violations(REPO) == []


def test_the_four_packages_are_the_layers() -> None:
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")}
    assert set(LAYERS) <= packages


def test_a_wrong_import_breaks_the_contract(tmp_path: Path) -> None:
    for layer in LAYERS:
        shutil.copytree(REPO / layer, tmp_path / layer)
    assert violations(tmp_path) == []
    # An upward import, hidden inside a function as the heavy ones are.
    (tmp_path / "knowledge" / "wrong.py").write_text(
        "def f():\n    from explain.render import render_text\n    return render_text\n"
    )
    # And a relative one that climbs out of its package.
    (tmp_path / "expert" / "also_wrong.py").write_text("from ..cramp import files\n")
    assert violations(tmp_path) == [
        "expert/also_wrong.py:1: expert imports cramp",
        "knowledge/wrong.py:2: knowledge imports explain.render",
    ]


def test_relative_imports_resolve_to_their_package() -> None:
    modules = dict(imported_modules(REPO / "expert" / "compile.py", ("expert",)))
    assert "expert.rules" in modules.values()
