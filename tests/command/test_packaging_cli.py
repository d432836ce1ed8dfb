"""What a region's IT meets first: the package, --version, --help in the chosen language, and
CSV files that a spreadsheet opens safely (issue 17)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ohjaus_core.domain.spreadsheet import safe_cell, safe_row
from ohjaus_tui.report_text import render_csv

ROOT = Path(__file__).resolve().parents[2]


def ohjaus(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ohjaus", *args], capture_output=True, text=True,
        cwd=ROOT, env=env, timeout=120,
    )


def test_every_package_directory_is_listed_for_the_wheel():
    """A subpackage left out of pyproject's list would be missing from the installed program."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for package in ("ohjaus", "ohjaus_core", "ohjaus_tui", "ohjaus_central")
        for path in (ROOT / package).rglob("__init__.py")
    }
    assert found | {"ohjaus_core.data"} == set(config["packages"])
    assert config["package-dir"] == {"ohjaus_core.data": "data"}


def test_version():
    result = ohjaus("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("ohjaus ") and result.stdout.split()[1][0].isdigit()


@pytest.mark.parametrize(
    ("lang", "usage", "option_help"),
    [
        ("en", "usage: ohjaus demo", "show this help message and exit"),
        ("fi", "käyttö: ohjaus demo", "näytä tämä ohje ja lopeta"),
        ("sv", "användning: ohjaus demo", "visa denna hjälp och avsluta"),
    ],
)
def test_help_speaks_the_chosen_language_and_names_no_internal_fields(lang, usage, option_help):
    result = ohjaus("--lang", lang, "demo", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(usage)
    assert option_help in result.stdout
    assert "DEMO_DIR" not in result.stdout and "--data-dir" in result.stdout


def test_every_option_of_every_command_has_a_help_text():
    import argparse

    from ohjaus.cli import build_parser

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction):
                yield path, action

    missing = [f"{path} {a.option_strings or a.dest}" for path, a in walk(build_parser(), "ohjaus") if not a.help]
    assert missing == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=HYPERLINK(\"http://x\",\"click\")", "'=HYPERLINK(\"http://x\",\"click\")"),
        ("+358401234567", "'+358401234567"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Virtanen", "Virtanen"),
        ("", ""),
        (3, 3),
    ],
)
def test_a_cell_that_would_be_a_formula_is_text(value, shown):
    assert safe_cell(value) == shown


def test_an_export_opens_in_a_finnish_spreadsheet_with_no_formula(data_dir, tmp_path, monkeypatch):
    from ohjaus.cli import main
    from ohjaus_tui.demo import DEMO_PASSPHRASE

    out = tmp_path / "e.csv"
    monkeypatch.setattr("sys.stdin", io.StringIO(DEMO_PASSPHRASE + "\n"))
    args = ["export", "--data-dir", str(data_dir), "--worker", "esihenkilo1", "--out", str(out),
            "--purpose", "p", "--format", "csv"]
    assert main(args) == 0
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))  # the byte-order mark
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["type", "id"]
    cells = [cell for row in rows[1:] for cell in row]
    assert any(cell.startswith("'+358") for cell in cells)  # phone numbers are text
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
