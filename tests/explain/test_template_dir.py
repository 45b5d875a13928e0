"""``cramp report --template-dir``: custom templates with the documented context."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cramp.cli import cli

REPO = Path(__file__).resolve().parents[2]
CLUB = REPO / "tests" / "fixtures" / "templates" / "club"
EXAMPLE = REPO / "examples" / "red-flag-calf-tear.yaml"


def report(*args: str):
    return CliRunner().invoke(cli, ["report", str(EXAMPLE), *args])


def test_a_custom_template_replaces_the_shipped_one_by_name() -> None:
    result = report("-o", "-", "--format", "md", "--template-dir", str(CLUB))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# Club report for ")
    assert lines[2].startswith("**Urgent**: ")  # the triage, from the documented context
    assert "not a diagnosis" in result.stdout
    shipped = report("-o", "-", "--format", "md")
    assert shipped.stdout != result.stdout


def test_a_custom_template_can_extend_the_shipped_one() -> None:
    custom = report("-o", "-", "--format", "html", "--template-dir", str(CLUB))
    shipped = report("-o", "-", "--format", "html")
    assert custom.exit_code == 0, custom.output
    assert custom.stdout == shipped.stdout


def test_a_file_report_uses_the_custom_template(tmp_path: Path) -> None:
    target = tmp_path / "club.md"
    result = report("-o", str(target), "--template-dir", str(CLUB))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("# Club report for ")


def test_a_broken_custom_template_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("{{ report.triage.title }\n{% for %}")
    result = report("-o", "-", "--format", "md", "--template-dir", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"cramp: --template-dir {tmp_path}: report.md.j2:1: ")
    assert len(result.stderr.splitlines()) == 1
    (tmp_path / "report.md.j2").write_text("{{ report.no_such_field }}")
    result = report("-o", "-", "--format", "md", "--template-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "the template failed" in result.stderr and "no_such_field" in result.stderr


def test_a_missing_template_dir_is_refused(tmp_path: Path) -> None:
    result = report("-o", "-", "--format", "md", "--template-dir", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
