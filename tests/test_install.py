"""A built wheel installed with plain pip into a fresh virtual environment works.

This is the path of people without uv: pip installs experta with its old pins
(frozendict 1.2, schema 0.6.7), which is exactly what the compatibility step is for.
Needs network access to the package index; CI has it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel built from this checkout installed by pip."""
    work = tmp_path_factory.mktemp("install")
    source = work / "src"
    # Build from a copy so the checkout's .venv and caches stay out of the build.
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "dist", ".*_cache"),
        symlinks=True,
    )
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    built = run(
        [str(python), "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"), str(source)]
    )
    assert built.returncode == 0, built.stderr
    wheel = next((work / "dist").glob("cramp_expert-*.whl"))
    got = run([str(python), "-m", "pip", "install", str(wheel)])
    assert got.returncode == 0, got.stderr
    return env_dir


def test_pip_installs_experta_with_its_old_pins(installed):
    out = run([str(installed / "bin" / "python"), "-m", "pip", "list", "--format=freeze"]).stdout
    assert "frozendict==1.2" in out
    assert "experta==1.9.4" in out


def test_cramp_demo_works_from_the_installed_wheel(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CRAMP_KB")}
    result = run([str(installed / "bin" / "cramp"), "demo"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Worked consultation:" in result.stdout
    assert "TRIAGE:" in result.stdout


def test_the_wheel_ships_the_knowledge_base_examples_and_templates(installed, tmp_path):
    code = (
        "from knowledge import load_knowledge_base; from knowledge.bundled import example_names;"
        "import explain.render as r; kb = load_knowledge_base();"
        "print(len(kb.claims) > 0, len(example_names()) >= 3,"
        " r.environment().get_template('diagnosis.txt.j2') is not None)"
    )
    result = run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path)
    assert result.stdout.strip() == "True True True", result.stderr


def test_the_installed_package_does_not_import_from_the_checkout(installed, tmp_path):
    code = "import knowledge; print(knowledge.__file__)"
    result = run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path)
    assert str(installed) in result.stdout
    assert sys.prefix != str(installed)


def test_a_damaged_installed_knowledge_base_is_refused_with_a_reinstall_hint(installed, tmp_path):
    # Cut exactly between two claims: still valid YAML, so only the wheel's RECORD
    # (the hash of every installed file) can tell; nothing may run without those claims.
    code = "import knowledge; print(knowledge.default_directory())"
    python = str(installed / "bin" / "python")
    data = Path(run([python, "-c", code], cwd=tmp_path).stdout.strip())
    safety = data / "sources" / "safety-net.yaml"
    whole = safety.read_bytes()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CRAMP_KB")}
    try:
        safety.write_bytes(whole[: whole.index(b"\n  - id: safety-rhabdomyolysis") + 1])
        result = run([str(installed / "bin" / "cramp"), "demo"], cwd=tmp_path, env=env)
    finally:
        safety.write_bytes(whole)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.splitlines()
    assert lines[1] == f"cramp: {safety}:1:1: installed file has changed since installation"
    assert lines[-1].endswith(
        "the knowledge base installed with cramp is damaged; reinstall cramp-expert"
    )
    assert "Traceback" not in result.stderr
