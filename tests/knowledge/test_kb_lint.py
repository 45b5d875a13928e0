"""`cramp kb lint`: quotes verbatim in their articles, claims that can fire, questions used."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, SEEDS

from cramp.cli import cli
from knowledge import KnowledgeBase, default_directory
from knowledge.lint import find_seed, lint_knowledge_base, normalise_quote, warning_on_no

FIXTURES = REPO / "tests" / "fixtures" / "kb-lint"
BROKEN = sorted(p.name for p in (FIXTURES / "broken").iterdir() if p.is_dir())


def needs_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"the articles are not beside the clone ({SEEDS} is missing)")


def compose(case: str | None, into: Path) -> None:
    """Lay out kb/ (base plus the case's files) and seeds/ under ``into``."""
    shutil.copytree(FIXTURES / "base", into / "kb")
    if case is not None:
        shutil.copytree(
            FIXTURES / "broken" / case,
            into / "kb",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("expected.txt"),
        )
    shutil.copytree(FIXTURES / "seeds", into / "seeds")


def lint_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_lint_is_clean_with_every_quote_verified_against_the_real_articles() -> None:
    needs_seeds()
    result = lint_knowledge_base(seeds=SEEDS)
    assert result.problems == ()
    assert result.kb is not None
    gaps = sum(1 for s in result.kb.sources.values() for g in s.gaps if g.quote is not None)
    quoted = sum(1 for c in result.kb.claims.values() if c.quote is not None)
    conditions = sum(1 for c in result.kb.claims.values() if c.condition_quote is not None)
    assert result.quotes_checked == quoted + conditions + gaps
    # The safety net summarises public pages: none of its claims is a quotation.
    assert all(c.quote is None for c in result.kb.sources["safety-net"].claims)


def test_cramp_kb_lint_with_sources_reports_the_quotes_it_verified() -> None:
    needs_seeds()
    code, out, err = lint_cli("kb", "lint", "--sources", str(SEEDS))
    assert (code, err) == (0, "")
    assert out.startswith("ok: 6 sources, ")
    assert "quotes verified" in out


def test_the_fixture_knowledge_base_lints_clean(tmp_path: Path, monkeypatch) -> None:
    compose(None, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, _ = lint_cli("--kb", "kb", "kb", "lint", "--sources", "seeds")
    assert code == 0, out
    assert "11 quotes verified" in out


@pytest.mark.parametrize("case", BROKEN)
def test_each_broken_fixture_is_rejected_with_its_positioned_message(
    case: str, tmp_path: Path, monkeypatch
) -> None:
    compose(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = lint_cli("--kb", "kb", "kb", "lint", "--sources", "seeds")
    expected = (FIXTURES / "broken" / case / "expected.txt").read_text().splitlines()
    assert code == 1
    assert out.splitlines() == expected
    assert err == f"cramp: {len(expected)} problem(s)\n"


def test_a_quote_that_is_not_verbatim_is_reported_at_its_path_line_and_column(
    tmp_path: Path, monkeypatch
) -> None:
    compose("quote-not-verbatim", tmp_path)
    monkeypatch.chdir(tmp_path)
    [problem] = lint_knowledge_base("kb", seeds="seeds").problems
    text = (tmp_path / "kb" / "sources" / "alpha.yaml").read_text().splitlines()
    assert (problem.path, problem.line, problem.col) == ("kb/sources/alpha.yaml", 46, 5)
    assert text[problem.line - 1].strip() == "quote: take a couple of days off from running"


def test_a_claim_whose_conditions_clash_with_a_precondition_is_reported(
    tmp_path: Path, monkeypatch
) -> None:
    compose("claim-never-fires", tmp_path)
    monkeypatch.chdir(tmp_path)
    # Without --sources the quotes are not checked, but fireability always is.
    [problem] = lint_knowledge_base("kb").problems
    assert "'alpha-bedding' can never fire" in problem.message
    assert "bedding is asked only if cramp_timing includes night" in problem.message


def test_quotes_are_compared_up_to_whitespace_and_typographic_quotes_only() -> None:
    assert normalise_quote("it’s  a\n“cramp”\t‘x’") == "it's a \"cramp\" 'x'"
    # Dashes, case and spelling are not normalised: a quote must be copied exactly.
    assert normalise_quote("dehydration—a") != normalise_quote("dehydration-a")
    assert normalise_quote("Cramp") != normalise_quote("cramp")


def test_the_safety_net_is_found_in_the_parent_of_the_seeds_directory(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "000.txt").write_text("article")
    (tmp_path / "SAFETY-NET.md").write_text("net")
    assert find_seed("000.txt", tmp_path / "seeds") == tmp_path / "seeds" / "000.txt"
    assert find_seed("SAFETY-NET.md", tmp_path / "seeds") == tmp_path / "SAFETY-NET.md"
    assert find_seed("missing.txt", tmp_path / "seeds") is None


def test_lint_without_sources_still_checks_every_claim_can_fire_and_every_question_is_used() -> (
    None
):
    code, out, _ = lint_cli("kb", "lint")
    assert code == 0
    assert "quotes verified" not in out


def test_an_invalid_knowledge_base_is_reported_by_lint_not_raised(
    tmp_path: Path, monkeypatch
) -> None:
    compose(None, tmp_path)
    (tmp_path / "kb" / "theories.yaml").write_text("theories: [{id: x}]\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = lint_cli("--kb", "kb", "kb", "lint")
    assert code == 1
    assert out.startswith("kb/theories.yaml:1:")


def test_a_question_whose_no_is_a_warning_sign_is_refused_in_a_checklist(
    tmp_path: Path, monkeypatch
) -> None:
    # An unticked box reads as no: "can you still tighten the calf" left unticked would
    # raise a suspected tear that "don't know" would not.
    kb = Path(shutil.copytree(default_directory(), tmp_path / "kb"))
    questions = kb / "questions.yaml"
    text = questions.read_text()
    grouped = "      - sudden_sharp_pain\n"
    assert grouped in text
    questions.write_text(text.replace(grouped, grouped + "      - calf_can_contract\n", 1))
    monkeypatch.chdir(tmp_path)
    [problem] = lint_knowledge_base("kb").problems
    line = questions.read_text().splitlines()[problem.line - 1]
    assert (problem.path, line.strip()) == ("kb/questions.yaml", "- calf_can_contract")
    assert "calf_can_contract: its no is a warning sign" in problem.message


def test_only_a_no_that_raises_a_warning_don_t_know_would_not_keeps_a_question_alone(
    kb: KnowledgeBase,
) -> None:
    # "Does the cramp ease when stretched" may be ticked: no and don't know raise the
    # same warning (a long cramp not known to ease).
    hazards = warning_on_no(kb)
    assert {"calf_can_contract", "could_continue"} <= set(hazards)
    assert "eases_with_stretch" not in hazards
    assert not set(hazards) & set(kb.checklist_of)
