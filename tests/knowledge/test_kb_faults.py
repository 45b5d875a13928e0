"""Knowledge-base faults: a knowledge base that fails validation is never used in part;
every command refuses to run with it, naming every problem; a damaged installation
(files deleted, truncated, unreadable, replaced) is a clear message, never a traceback."""

from __future__ import annotations

import builtins
import random
import shutil
from pathlib import Path

import pytest
from reliability_support import REPO, invoke

import knowledge.load
from knowledge import ProblemsError, default_directory, load_knowledge_base
from knowledge.mutations import MUTATIONS
from knowledge.red_flags import RED_FLAG_TABLE

EXAMPLE = REPO / "knowledge" / "examples" / "long-hot-run.yaml"
#: The files the loader reads: the red-flag table and the mutation suite sit beside them
#: as checks of the knowledge, not knowledge (their own tests cover them).
DATA_FILES = sorted(
    p.relative_to(default_directory()).as_posix()
    for p in default_directory().rglob("*.yaml")
    if p.name not in (RED_FLAG_TABLE, MUTATIONS)
)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled knowledge base."""
    root = tmp_path / "kb"
    shutil.copytree(default_directory(), root)
    return root


def refused(args: list[str], *, env: dict[str, str] | None = None) -> list[str]:
    """Run a command that must refuse the knowledge base; return its problem lines."""
    result = invoke(args, env=env)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "cramp: the knowledge base is invalid and was not loaded:"
    assert all(line.startswith("cramp: ") for line in lines)
    return lines[1:]


COMMANDS = [
    ["diagnose", str(EXAMPLE)],
    ["report", str(EXAMPLE), "-o", "-", "--format", "md"],
    ["explain", str(EXAMPLE), "triage"],
    ["ask", "--new", "--session", "/nonexistent-dir/s.yaml"],
    ["demo"],
    ["kb", "questions"],
    ["kb", "graph"],
    ["kb", "docs"],
    ["kb", "coverage"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_refuses_an_invalid_knowledge_base_naming_every_problem(
    copy: Path, args: list[str]
) -> None:
    theories = copy / "theories.yaml"
    theories.write_text(theories.read_text().replace("id: dehydration", "id: Dehydration", 1))
    advice = copy / "advice.yaml"
    advice.write_text(advice.read_text().replace("    phase: now\n", "    phase: later\n", 1))
    source = copy / "sources" / "steve.yaml"
    source.write_text(source.read_text().replace("kind: cause", "kind: cuase", 1))
    lines = refused(["--kb", str(copy), *args])
    text = "\n".join(lines)
    assert "theories.yaml:" in text and "'Dehydration' is not a valid id" in text
    assert "advice.yaml:" in text and "'later' is not one of" in text
    assert "sources/steve.yaml:" in text and "'cuase' is not one of" in text
    assert "(did you mean 'cause'?)" in text
    assert lines[-1].endswith(
        "fix these, or leave out --kb (and $CRAMP_KB) for the bundled knowledge base"
    )


def test_an_invalid_knowledge_base_never_loads_in_part(copy: Path) -> None:
    # One bad source among six: nothing is returned, not the five good ones.
    source = copy / "sources" / "rodmell.yaml"
    source.write_text(source.read_text() + "\nunexpected_field: 1\n")
    with pytest.raises(ProblemsError) as caught:
        load_knowledge_base(copy)
    assert [p.message for p in caught.value.problems] == [
        "unknown field 'unexpected_field'; allowed: "
        + ", ".join(knowledge.load.Source.model_fields)
    ]


def test_the_knowledge_base_named_by_cramp_kb_is_checked_the_same_way(copy: Path) -> None:
    (copy / "questions.yaml").unlink()
    lines = refused(["diagnose", str(EXAMPLE)], env={"CRAMP_KB": str(copy)})
    assert any(line.endswith("questions.yaml:1:1: missing file") for line in lines)


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_deleted_data_file_is_named(copy: Path, name: str) -> None:
    (copy / name).unlink()
    lines = refused(["--kb", str(copy), "diagnose", str(EXAMPLE)])
    if name.startswith("sources/"):
        source = Path(name).stem
        assert any(
            f"required source {source!r} is missing (no file in sources/ defines it)" in line
            for line in lines
        ), lines
    else:
        assert any(line.endswith(f"{name}:1:1: missing file") for line in lines)


def test_deleting_the_safety_net_is_refused_not_run_without_it(copy: Path) -> None:
    # Bug: with sources/safety-net.yaml gone, every command ran, with no red flag at all.
    (copy / "sources" / "safety-net.yaml").unlink()
    lines = refused(["--kb", str(copy), "diagnose", str(EXAMPLE)])
    manifest = (copy / "knowledge-base.yaml").read_text().splitlines()
    line = manifest.index("  - safety-net") + 1  # where the requirement is written
    assert any(
        found.endswith(
            f"knowledge-base.yaml:{line}:5: required source 'safety-net' is missing "
            "(no file in sources/ defines it); the knowledge base is incomplete"
        )
        for found in lines
    ), lines


@pytest.mark.parametrize("name", DATA_FILES)
@pytest.mark.parametrize("keep", [0.0, 0.37, 0.5, 0.93])
def test_a_truncated_data_file_is_refused_not_a_traceback(
    copy: Path, name: str, keep: float
) -> None:
    path = copy / name
    data = path.read_bytes()
    cut = int(len(data) * keep)
    if cut and data[cut - 1 : cut] == b"\n":
        cut -= 1  # a cut at a line end is the one case only an install record can tell
    path.write_bytes(data[:cut])
    with pytest.raises(ProblemsError) as caught:
        load_knowledge_base(copy)
    assert caught.value.problems
    for problem in caught.value.problems:
        assert "\n" not in str(problem)


def test_a_file_cut_short_mid_line_is_named_as_cut_short(copy: Path) -> None:
    # Bug: a copy of safety-net.yaml cut at half its length loaded without the claims
    # after the cut (the cut text was still valid YAML).
    path = copy / "sources" / "safety-net.yaml"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    lines = refused(["--kb", str(copy), "diagnose", str(EXAMPLE)])
    assert any(
        "safety-net.yaml:" in line
        and "does not end with a line break, so it may have been cut short" in line
        for line in lines
    ), lines


def test_an_installed_file_deleted_or_changed_is_named_from_the_install_record(
    tmp_path: Path,
) -> None:
    # A wheel's RECORD holds each file's hash: any change, even a clean cut, is caught.
    import base64
    import hashlib

    site = tmp_path / "site"
    data = site / "knowledge" / "data"
    shutil.copytree(default_directory(), data)
    rows = []
    for path in sorted(data.rglob("*.yaml")):
        digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest())
        rows.append(f"{path.relative_to(site).as_posix()},sha256={digest.rstrip(b'=').decode()},1")
    record = site / "cramp_expert-0.1.0.dist-info" / "RECORD"
    record.parent.mkdir()
    record.write_text("\n".join([*rows, "knowledge/__init__.py,sha256=x,1", ""]))
    package = site / "knowledge"
    assert knowledge.load.installed_damage(data, package) == []
    safety = data / "sources" / "safety-net.yaml"
    text = safety.read_bytes()
    safety.write_bytes(text[: text.index(b"\n  - id: safety-rhabdomyolysis") + 1])
    (data / "theories.yaml").unlink()
    problems = [str(p) for p in knowledge.load.installed_damage(data, package)]
    assert problems == [
        f"{safety}:1:1: installed file has changed since installation",
        f"{data / 'theories.yaml'}:1:1: installed file is missing",
    ]
    # A checkout or an editable install has no record of its data: nothing to check.
    assert knowledge.load.installed_damage(default_directory()) == []


@pytest.mark.parametrize("seed", range(6))
def test_random_damage_to_a_data_file_is_refused_or_harmless(copy: Path, seed: int) -> None:
    rng = random.Random(seed)
    name = rng.choice(DATA_FILES)
    path = copy / name
    data = bytearray(path.read_bytes())
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path.write_bytes(bytes(data))
    try:
        load_knowledge_base(copy)  # damage inside a quote or a comment can be harmless
    except ProblemsError as exc:
        assert exc.problems


def test_binary_garbage_instead_of_a_data_file_is_named(copy: Path) -> None:
    (copy / "questions.yaml").write_bytes(random.Random(1).randbytes(3000))
    lines = refused(["--kb", str(copy), "diagnose", str(EXAMPLE)])
    assert any("questions.yaml:" in line and "not UTF-8 text" in line for line in lines)


def test_a_data_file_replaced_by_a_directory_is_named(copy: Path) -> None:
    (copy / "sources" / "steve.yaml").unlink()
    (copy / "sources" / "steve.yaml").mkdir()
    lines = refused(["--kb", str(copy), "kb", "questions"])
    assert any(line.endswith("steve.yaml:1:1: is a directory, expected a file") for line in lines)


def test_a_huge_data_file_is_refused_unread(copy: Path) -> None:
    with (copy / "theories.yaml").open("r+b") as handle:
        handle.truncate(20_000_000)
    lines = refused(["--kb", str(copy), "kb", "questions"])
    assert any(
        "theories.yaml:1:1: too large (20,000,000 bytes); a knowledge-base file is at most 10 MB"
        in line
        for line in lines
    )


def test_an_unreadable_data_file_is_named(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated at open(), so the test also holds when run as root.
    target = copy / "advice.yaml"
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file) == str(target):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    lines = refused(["--kb", str(copy), "kb", "questions"])
    assert any(
        line.endswith("advice.yaml:1:1: cannot read file: Permission denied") for line in lines
    )


def test_a_missing_sources_directory_is_named(copy: Path) -> None:
    shutil.rmtree(copy / "sources")
    lines = refused(["--kb", str(copy), "kb", "questions"])
    assert any(line.endswith("sources:1:1: no source files (sources/*.yaml)") for line in lines)


def test_a_missing_knowledge_base_directory_is_named(tmp_path: Path) -> None:
    lines = refused(["--kb", str(tmp_path / "nowhere"), "kb", "questions"])
    assert lines[0].endswith("nowhere:1:1: knowledge base directory not found")


def test_a_file_given_as_the_knowledge_base_is_named(tmp_path: Path) -> None:
    lines = refused(["--kb", str(EXAMPLE), "kb", "questions"])
    assert lines[0].endswith("is a file; a knowledge base is a directory of YAML files")


def test_a_missing_installed_knowledge_base_says_to_reinstall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if knowledge/data had been deleted from the installed package.
    import knowledge.digest

    for module in (knowledge.load, knowledge.digest):  # for the loader and for the image
        monkeypatch.setattr(module, "default_directory", lambda: tmp_path / "data")
    lines = refused(["diagnose", str(EXAMPLE)])
    assert lines[0].endswith("data:1:1: knowledge base directory not found")
    assert lines[-1].endswith(
        "the knowledge base installed with cramp is damaged; reinstall cramp-expert"
    )


def test_a_web_address_in_the_knowledge_base_must_be_http(copy: Path) -> None:
    # Reports link to these; a javascript: or quote-breaking address must never load.
    path = copy / "sources" / "safety-net.yaml"
    text = path.read_text()
    assert "url: https://www.nhs.uk/conditions/leg-cramps/" in text
    path.write_text(
        text.replace(
            "url: https://www.nhs.uk/conditions/leg-cramps/", 'url: "javascript:alert(1)"', 1
        )
    )
    lines = refused(["--kb", str(copy), "kb", "questions"])
    assert any(
        "url: 'javascript:alert(1)' is not a web address (http:// or https://" in line
        for line in lines
    )
