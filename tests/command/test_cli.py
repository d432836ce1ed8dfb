"""The `ohjaus` command: demo directories, export, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ohjaus.cli import main
from ohjaus_tui.context import shipped_data_dir


def ohjaus(*args: str, env_extra: dict | None = None, input_text: str = "") -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "OHJAUS_LANG": "en", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "ohjaus", *args], capture_output=True, text=True, env=env, timeout=120,
        input=input_text,
    )


@pytest.mark.parametrize(("argv", "starts_app"), [
    ([], True), (["--demo"], True), (["--demo", "--data-dir", "d"], True), (["--data-dir=d", "--lang", "sv"], True),
    (["--data-dir", "demo"], True), (["--data-dir=d", "--lang=en", "--demo", "--demo"], True),
    (["--data-dir", "a", "--data-dir=b"], True), (["--data-dir", "a=b"], True),
    (["demo", "--data-dir", "d"], False), (["--demo", "check"], False), (["--dem"], False),
    (["--lang", "sv", "worker", "enrol", "--data-dir", "d", "u"], False),
])
def test_the_application_start_reads_its_options_as_the_whole_parser_does(argv, starts_app):
    """Start-up (issue 18): the application's own options without building every command's
    parser (app_options); the same answer as the whole parser, a command or an abbreviation
    still goes to it."""
    from ohjaus.cli import app_options, build_parser, parse_args

    assert (app_options(argv) is not None) is starts_app
    assert vars(parse_args(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [
    ["--lang", "xx"], ["--data-dir"], ["--bogus"], ["--demo", "-h"], ["--lang=xx"], ["--demo=1"],
    ["--data-dir", "--demo"], ["--lang"], ["--data-dir=d", "--version"], ["--lang", "fi", "--", "--demo"],
])
def test_a_wrong_or_help_command_line_gets_the_whole_parsers_answer(argv, capsys):
    from ohjaus.cli import build_parser, parse_args

    with pytest.raises(SystemExit) as fast:
        parse_args(argv)
    answer = capsys.readouterr()
    with pytest.raises(SystemExit) as whole:
        build_parser().parse_args(argv)
    assert fast.value.code == whole.value.code and capsys.readouterr() == answer


def test_demo_makes_a_device_directory_with_signed_contacts(tmp_path):
    result = ohjaus("demo", "--data-dir", str(tmp_path / "dev"), "--contacts", "12", "--clients", "30")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "export.jsonl"
    exported = ohjaus(
        "export", "--data-dir", str(tmp_path / "dev"), "--worker", "esihenkilo1", "--out", str(out),
        "--purpose", "test", input_text="demo1234\n",
    )
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    types = {r["type"] for r in records}
    assert {"unit", "worker", "client", "contact", "assessment", "segment", "outcome", "slot"} <= types
    contacts = [r for r in records if r["type"] == "contact"]
    # The export holds the team lead's register only (health care).
    assert contacts and all(c["status"] == "signed" and c["sector"] == "health" for c in contacts)
    assert all("id" in r for r in records)
    clients = [r for r in records if r["type"] == "client"]
    assert clients and {c["id"] for c in clients} >= {c["client_id"] for c in contacts if c["client_id"]}
    # Synthetic identity codes only: individual numbers 900-999 (not in the population register).
    assert all(900 <= int(c["identity_code"][7:10]) <= 999 for c in clients)


def test_demo_refuses_a_directory_that_already_holds_data(tmp_path):
    assert ohjaus("demo", "--data-dir", str(tmp_path), "--contacts", "0", "--clients", "5").returncode == 0
    again = ohjaus("demo", "--data-dir", str(tmp_path), "--contacts", "0", "--clients", "5")
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "already holds" in again.stderr


def test_demo_with_an_unknown_unit_says_which_units_exist(tmp_path):
    result = ohjaus("demo", "--data-dir", str(tmp_path / "x"), "--unit", "NOPE")
    assert result.returncode == 2
    assert "NOPE" in result.stderr and "JL-KESK" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_of_a_missing_directory_is_one_line(tmp_path):
    result = ohjaus("export", "--data-dir", str(tmp_path / "missing"), "--worker", "x", "--out", str(tmp_path / "o"), "--purpose", "p")
    assert result.returncode == 2 and "missing" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def broken_data(tmp_path) -> Path:
    copy = tmp_path / "shipped"
    shutil.copytree(shipped_data_dir(), copy)
    path = copy / "protocols" / "chest_pain.toml"
    lines = path.read_text("utf-8").splitlines()
    lines[5] = "this is = = not toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return copy


def test_a_broken_data_file_stops_start_up_with_its_file_and_line(broken_data, tmp_path):
    result = ohjaus("--data-dir", str(tmp_path / "d"), env_extra={"OHJAUS_SHIPPED_DATA": str(broken_data)})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "chest_pain.toml:6" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_region_s_catalogue_with_an_unknown_need_domain_stops_check_and_start_up(tmp_path):
    """A region installing from the wheel with its own data folder adds a service for a need
    domain it spells wrong: `ohjaus check` and the start both name the file and line in one
    line, and nothing starts on a catalogue that would never offer the service first."""
    copy = tmp_path / "shipped"
    shutil.copytree(shipped_data_dir(), copy)
    path = copy / "services.toml"
    text = path.read_text("utf-8")
    path.write_text(text.replace('domains = ["substance_use"]', 'domains = ["substance-use"]', 1), "utf-8")
    line = text[: text.index('domains = ["substance_use"]')].count("\n") + 1
    env = {"OHJAUS_SHIPPED_DATA": str(copy), "OHJAUS_LANG": "en"}
    for argv in (("check",), ("--data-dir", str(tmp_path / "d"))):
        result = ohjaus(*argv, env_extra=env)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert f"services.toml:{line}: 'substance-use' in domains is not the social protocol's" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_region_s_catalogue_without_a_duty_s_receiver_stops_check_and_start_up(tmp_path):
    """A region's own catalogue without the shelter: the safety response would be offered
    only to the others, silently. `ohjaus check` and the start name the file, the duty and the
    missing service in one line."""
    from tests.domain.test_catalogue import without_service

    copy = tmp_path / "shipped"
    shutil.copytree(shipped_data_dir(), copy)
    path = copy / "services.toml"
    path.write_text(without_service(path.read_text("utf-8"), "shelter"), "utf-8")
    env = {"OHJAUS_SHIPPED_DATA": str(copy), "OHJAUS_LANG": "en"}
    for argv in (("check",), ("--data-dir", str(tmp_path / "d"))):
        result = ohjaus(*argv, env_extra=env)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert "services.toml: the social protocol's duty 'immediate_safety_response' is made to the service 'shelter'" in result.stderr
        assert "Traceback" not in result.stderr


def test_an_unwritable_data_directory_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = ohjaus("--data-dir", str(blocker / "data"))
    assert result.returncode == 2
    assert "cannot be written" in result.stderr and "Traceback" not in result.stderr
