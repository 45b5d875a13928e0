"""The compiled knowledge-base image: same diagnoses, invalidated by any change, and an
image that is corrupt, foreign or in a directory others can write is never trusted."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from cold_command import diagnose_in_new_process
from hypothesis import given, settings
from hypothesis import strategies as st

from cramp.authoring.runners import profiles
from cramp.cli import cli
from expert import diagnose
from knowledge import load_knowledge_base, load_profile_text, parse_profile
from knowledge.digest import default_directory
from knowledge.image import (
    MAGIC,
    ImageError,
    ImageStore,
    _parts,
    image_key,
    load_with_image,
    read_image,
    write_image,
)
from knowledge.records import Record
from knowledge.trust import TrustError, check_directory

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def _prepare(kb):
    """What ``cramp`` keeps in an image: the rules' index and the built engine."""
    from cramp.cli.support import prepare_image

    return prepare_image(kb)


@pytest.fixture(scope="module")
def from_image(tmp_path_factory):
    """The bundled knowledge base read back from an image written for it."""
    store = ImageStore(tmp_path_factory.mktemp("images"))
    root = default_directory()
    source = load_knowledge_base()
    key = image_key(root)
    write_image(store.path_for(key), source, key, _prepare(source))
    return read_image(store.path_for(key), key)


def test_an_image_is_streamed_whole_its_header_then_its_checksummed_body(tmp_path):
    """The body is pickled straight into the file and the header written over a
    placeholder: the file is a header line whose checksum is the body's, and
    ``write_image`` reports the bytes it wrote."""
    import hashlib
    import json

    kb = load_knowledge_base()
    path = tmp_path / "kb.image"
    written = write_image(path, kb, "k" * 64, _prepare(kb))
    data = path.read_bytes()
    magic, header, body = _parts(data)
    assert written == len(data) and magic == MAGIC
    assert json.loads(header)["sha256"] == hashlib.sha256(body).hexdigest()
    assert read_image(path, "k" * 64).questions.keys() == kb.questions.keys()


def _same(kb_a, kb_b, profile) -> None:
    assert diagnose(kb_a, profile).to_dict() == diagnose(kb_b, profile).to_dict()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_diagnoses_the_same_from_the_image(kb, from_image, example):
    from knowledge.yaml_io import read_yaml

    _same(kb, from_image, parse_profile(read_yaml(example).data, kb))


@settings(max_examples=60)
@given(data=st.data())
def test_generated_runners_diagnose_the_same_from_the_image(kb, from_image, data):
    _same(kb, from_image, data.draw(profiles(kb)))


def test_the_image_holds_records_not_models(from_image):
    question = next(iter(from_image.questions.values()))
    assert isinstance(question, Record)
    assert question.values  # the behaviour a question has beyond its fields
    assert "rulebook" in from_image._cache
    assert from_image._cache["rulebook"].kb is from_image


def test_the_image_holds_the_built_engine_and_diagnoses_use_it(from_image):
    from expert.engine import Reasoner
    from expert.persist import KEY

    assert isinstance(from_image._cache[KEY], bytes)
    reasoner = Reasoner.for_kb(from_image)
    assert reasoner.kb is from_image
    assert reasoner._engine.knowledge_base is from_image
    assert from_image._cache["engine_class"] is type(reasoner._engine)


def test_diagnoses_from_an_image_need_no_rule_specifications(from_image):
    # The kept engine and rulebook are all a diagnosis needs of the rules: making the
    # specifications again would cost more than reading them did.
    for example in EXAMPLES:
        diagnose(from_image, load_profile_text(example.read_bytes(), from_image, example.name))
    assert "rule_specs" not in from_image._cache


def test_a_command_from_an_image_imports_neither_pydantic_nor_the_loader(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "CRAMP_NO_CACHE": "", "CRAMP_CACHE_DIR": str(cache)}
    heavy = ["pydantic", "knowledge.load", "knowledge.schema"]
    example = str(EXAMPLES[0])
    first, loaded = diagnose_in_new_process(example, heavy, env)
    assert "pydantic" in loaded  # no image yet: validated from source
    second, loaded = diagnose_in_new_process(example, heavy, env)
    assert loaded == []
    assert second == first


def _copy_kb(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_directory(), tmp_path / "kb"))


def _invoke(*args: str, cache: Path):
    return CliRunner().invoke(
        cli, ["--cache-dir", str(cache), *args], env={"CRAMP_NO_CACHE": ""}, catch_exceptions=False
    )


def test_a_changed_data_file_invalidates_the_image(tmp_path):
    root = _copy_kb(tmp_path)
    cache = tmp_path / "cache"
    before = image_key(root)
    assert _invoke("--kb", str(root), "kb", "build", cache=cache).exit_code == 0
    assert ImageStore(cache).path_for(before).is_file()

    advice = root / "advice.yaml"
    text = advice.read_text(encoding="utf-8")
    first_title = next(line for line in text.splitlines() if line.strip().startswith("title:"))
    changed = first_title.replace("title:", "title: Changed", 1)
    advice.write_text(text.replace(first_title, changed, 1), encoding="utf-8")
    after = image_key(root)
    assert after != before

    loads = []
    kb = load_with_image(
        root,
        ImageStore(cache),
        lambda: loads.append(1) or load_knowledge_base(root),
    )
    assert loads == [1]  # read from source, not from the stale image
    assert any(a.title.startswith("Changed") for a in kb.advice.values())
    assert ImageStore(cache).path_for(after).is_file()


def test_changed_code_of_the_pickled_packages_invalidates_the_image(tmp_path):
    """An edit or a checkout of the code that makes an image's objects, without a new
    version, gives a new key: the old pickle is never loaded into changed classes."""
    import expert.rules
    import knowledge.image

    root = _copy_kb(tmp_path)
    module = Path(expert.rules.__file__)
    info = module.stat()
    before = image_key(root)
    try:
        os.utime(module, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
        knowledge.image.module_stamp.cache_clear()
        assert image_key(root) != before
    finally:
        os.utime(module, ns=(info.st_atime_ns, info.st_mtime_ns))
        knowledge.image.module_stamp.cache_clear()
    assert image_key(root) == before


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[: len(data) // 2], "corrupt"),
        (lambda data: data[:-40] + bytes(40), "corrupt"),
        (lambda data: b"something else entirely\n", "not a cramp knowledge-base image"),
        (
            lambda data: data.replace(b'"format": 1', b'"format": 99', 1),
            "from another version",
        ),
        (
            lambda data: data.replace(b'"cramp": "', b'"cramp": "0.0.0-', 1),
            "from another version",
        ),
    ],
    ids=["cut-short", "bytes-zeroed", "not-an-image", "other-format", "other-version"],
)
def test_a_corrupt_or_foreign_image_is_rejected_with_a_warning_and_rebuilt(
    tmp_path, damage, reason
):
    root = _copy_kb(tmp_path)
    cache = tmp_path / "cache"
    example = str(EXAMPLES[0])
    clean = _invoke("--kb", str(root), "diagnose", example, cache=cache)
    assert clean.exit_code == 0 and clean.stderr == ""
    path = ImageStore(cache).path_for(image_key(root))
    path.write_bytes(damage(path.read_bytes()))

    result = _invoke("--kb", str(root), "diagnose", example, cache=cache)
    assert result.exit_code == 0
    assert result.stdout == clean.stdout
    warning = result.stderr.strip()
    assert warning.startswith("cramp: warning: ignoring the knowledge-base image"), warning
    assert reason in warning and "rebuilding it" in warning
    assert len(warning.splitlines()) == 1
    # Rebuilt: the next command reads it without a word.
    read_image(path, image_key(root))
    again = _invoke("--kb", str(root), "diagnose", example, cache=cache)
    assert again.stderr == "" and again.stdout == clean.stdout


LINES = st.lists(st.sampled_from([b"\n", b"a", b""]), max_size=6).map(b"".join)


@given(st.binary(max_size=40) | LINES)
def test_an_image_is_split_into_its_lines_as_partition_splits_it(data):
    # Read in place (the body a memoryview), the parts are those two partitions give.
    magic, _, rest = data.partition(b"\n")
    header, _, body = rest.partition(b"\n")
    assert _parts(data) == (magic, header, body)


def test_an_image_in_a_directory_others_can_write_is_never_read(tmp_path):
    cache = tmp_path / "cache"
    assert _invoke("kb", "build", cache=cache).exit_code == 0
    cache.chmod(0o777)
    with pytest.raises(TrustError, match="others can write to it"):
        check_directory(cache)
    result = _invoke("diagnose", str(EXAMPLES[0]), cache=cache)
    assert result.exit_code == 0
    assert "not using compiled knowledge-base images" in result.stderr
    assert "others can write to it" in result.stderr


def test_an_image_that_is_a_link_is_not_followed(tmp_path):
    cache = tmp_path / "cache"
    assert _invoke("kb", "build", cache=cache).exit_code == 0
    key = image_key(default_directory())
    path = ImageStore(cache).path_for(key)
    moved = tmp_path / "elsewhere.image"
    path.rename(moved)
    path.symlink_to(moved)
    with pytest.raises(ImageError):
        read_image(path, key)


def test_kb_build_writes_an_owner_only_image_and_no_cache_turns_images_off(tmp_path):
    cache = tmp_path / "cache"
    result = _invoke("kb", "build", cache=cache)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("wrote ") and "knowledge base version" in result.stdout
    (image,) = cache.glob("kb-*.image")
    assert image.read_bytes().startswith(MAGIC + b"\n")
    assert image.stat().st_mode & 0o077 == 0
    header = json.loads(image.read_bytes().split(b"\n")[1])
    assert header["key"] == image_key(default_directory())

    off = tmp_path / "off"
    runner = CliRunner()
    env = {"CRAMP_NO_CACHE": "1"}
    done = runner.invoke(cli, ["--cache-dir", str(off), "diagnose", str(EXAMPLES[0])], env=env)
    assert done.exit_code == 0 and not off.exists()
    refused = runner.invoke(cli, ["--cache-dir", str(off), "kb", "build"], env=env)
    assert refused.exit_code == 2
    assert refused.stderr == (
        "cramp: compiled images are turned off by $CRAMP_NO_CACHE; unset it to build one\n"
    )


def test_kb_test_and_lint_validate_from_source_even_with_an_image(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    assert _invoke("kb", "build", cache=cache).exit_code == 0

    def no_image(*args, **kwargs):
        raise AssertionError("a checking command read the image")

    monkeypatch.setattr("knowledge.image.read_image", no_image)
    assert _invoke("kb", "lint", cache=cache).exit_code == 0
    result = _invoke("kb", "test", "--only", "engines-agree", "--examples", "5", cache=cache)
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [("kb", "graph"), ("kb", "coverage"), ("kb", "docs", "-o", "-")],
    ids=["graph", "coverage", "docs"],
)
def test_commands_that_do_not_reason_read_an_image_but_write_none(tmp_path, monkeypatch, args):
    # Writing an image builds the engine, which such a command never needs: at the
    # loader's limits that would take as much memory again as the knowledge base.
    cache = tmp_path / "cache"
    result = _invoke(*args, cache=cache)
    assert result.exit_code == 0, result.stderr
    assert not list(cache.glob("kb-*.image"))
    assert _invoke("kb", "build", cache=cache).exit_code == 0
    read = []
    monkeypatch.setattr(
        "knowledge.image.read_image", lambda *a, **k: read.append(a) or read_image(*a, **k)
    )
    again = _invoke(*args, cache=cache)
    assert again.exit_code == 0 and again.stdout == result.stdout
    assert len(read) == 1


def test_the_process_that_writes_an_image_reasons_as_one_that_reads_it(tmp_path):
    cache = tmp_path / "cache"
    first = _invoke("diagnose", str(EXAMPLES[0]), "--format", "json", cache=cache)
    (image,) = cache.glob("kb-*.image")
    second = _invoke("diagnose", str(EXAMPLES[0]), "--format", "json", cache=cache)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert image.is_file()
