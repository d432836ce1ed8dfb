"""A region's day one as an administrator walks it from the installed program (task wheel2,
scripts/region_check.sh runs the same from the wheel): its own data folder checked, a new
workstation connected, the region's catalogue imported on the central API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ohjaus.cli import main
from ohjaus_tui.context import shipped_data_dir
from ohjaus_tui.store.store import Store

from .test_cli import ohjaus

REGION = Path(__file__).parent.parent / "data" / "region_kaarna"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def region_data(tmp_path: Path) -> Path:
    copy = tmp_path / "region-data"
    shutil.copytree(shipped_data_dir(), copy)
    return copy


def test_check_names_the_clinician_who_reviewed_a_protocol(tmp_path):
    """docs/protocols.md: a region's clinician fills reviewed_by/reviewed_on; `ohjaus check`
    is where the region sees each protocol's status, so the review is on its line."""
    data = region_data(tmp_path)
    path = data / "protocols" / "chest_pain.toml"
    text = path.read_text("utf-8").replace('reviewed_by = ""', 'reviewed_by = "LL Kaisa Kaarna"', 1)
    path.write_text(text.replace('reviewed_on = ""', 'reviewed_on = "2026-12-01"', 1), "utf-8")
    path = data / "protocols" / "ear.toml"
    path.write_text(path.read_text("utf-8").replace('reviewed_by = ""', 'reviewed_by = "LL Eero Esko"', 1), "utf-8")
    result = ohjaus("check", str(data))
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ") and " v" in line}
    assert "draft, not approved; reviewed 2026-12-01 by LL Kaisa Kaarna;" in lines["chest_pain"]
    assert "reviewed by LL Eero Esko;" in lines["ear"]
    assert "reviewed" not in lines["skin"]


def test_a_data_folder_without_its_protocols_is_refused_in_one_line(tmp_path):
    """An editor's copy that lost the protocols (an empty folder, or none) passed `check` with
    "0 protocols: OK", and the device would start with nothing to assess with."""
    data = region_data(tmp_path)
    for path in (data / "protocols").glob("*.toml"):
        path.unlink()
    for _ in range(2):
        for argv in (("check", str(data)), ("--data-dir", str(tmp_path / "d"))):
            result = ohjaus(*argv, env_extra={"OHJAUS_SHIPPED_DATA": str(data)})
            assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
            assert result.stderr.startswith(f"ohjaus: {data / 'protocols'}: no ")
            assert "Traceback" not in result.stderr
        shutil.rmtree(data / "protocols", ignore_errors=True)  # then no folder at all


def test_a_reader_that_stops_early_is_no_internal_error(tmp_path):
    """`ohjaus check | head -1` (how a script finds the installed data folder) ended with
    "stopped because of an internal error (BrokenPipeError)" and an error log. The reader here
    has gone before the first line is written, so the pipe is broken whatever the load."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ohjaus", "--lang", "en", "check"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
        )
    finally:
        os.close(write_end)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 141  # as a program stopped by SIGPIPE, for a shell's pipefail


def test_connect_makes_a_new_workstation_s_data_directory(capsys, server, tmp_path):
    """A workstation's first command (README: device add, then connect): there was no way to
    make its data directory without opening the application first ("No data directory")."""
    code, token, _err = run(capsys, "device", "--db", server.db_url, "add", "--unit", "JL-KESK", "--register", "social")
    assert code == 0
    new = tmp_path / "desk"
    code, out, err = run(capsys, "connect", "--data-dir", str(new), "--server", server.url, "--token", token.strip())
    assert code == 0, err
    assert server.url in out and str(new) in err
    code, out, err = run(capsys, "sync", "--data-dir", str(new))
    assert code == 0, err
    store = Store(new)
    try:
        assert store.setting("unit") == "JL-KESK" and store.setting("registers") == "social"
        assert store.workers()  # the region's workers came with the first sync
    finally:
        store.close()
    # A directory that holds something else is not made into a device.
    other = tmp_path / "home"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    code, _out, err = run(capsys, "connect", "--data-dir", str(other), "--server", server.url, "--token", token.strip())
    assert code == 2 and "No data directory" in err and not (other / "ohjaus.db").exists()


def test_a_data_folder_without_the_social_protocol_is_refused_so_no_domain_goes_unchecked(tmp_path):
    """Without social_service_need.toml the catalogue's need domains were never checked: a
    service with a misspelt domain passed `check` ("36 protocols ... OK") and the start."""
    data = region_data(tmp_path)
    (data / "protocols" / "social_service_need.toml").unlink()
    path = data / "services.toml"
    path.write_text(path.read_text("utf-8").replace('domains = ["substance_use"]', 'domains = ["substance-use"]', 1), "utf-8")
    for argv in (("check", str(data)), ("--data-dir", str(tmp_path / "d"))):
        result = ohjaus(*argv, env_extra={"OHJAUS_SHIPPED_DATA": str(data)})
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"ohjaus: {data / 'protocols'}: no social protocol")


def test_a_central_database_that_cannot_be_opened_is_named_with_its_reason(capsys, tmp_path):
    """A wrong password or database name on the central API's machine read as a device's
    "The local store in - could not be read: its file is damaged (OperationalError)"."""
    import os

    urls = [f"sqlite:///{tmp_path / 'no' / 'such' / 'central.db'}"]
    if os.environ.get("OHJAUS_TEST_PG"):
        base = os.environ["OHJAUS_TEST_PG"].rsplit("/", 1)[0]
        urls.append(base.replace(":ohjaus@", ":not-the-password@", 1) + "/ohjaus_test")
        urls.append(base + "/no_such_database_here")
    for url in urls:
        for argv in (["region", "--db", url, "import", str(REGION)], ["serve", "--db", url], ["device", "--db", url, "list"]):
            code, out, err = run(capsys, "--lang", "en", *argv)
            assert code == 2 and err.count("\n") == 1, err
            assert err.startswith("ohjaus: The central database ") and " cannot be opened: " in err, err
            assert "local store" not in err and "not-the-password" not in err


def test_a_shipped_protocol_deleted_is_named_and_refused_unless_the_region_accepts_it(tmp_path):
    """A region's copy of data/ that lost one shipped protocol passed `check`: only the count
    (36 protocols instead of 37) showed it, and the nurses would have had no questions for that
    complaint. Now it is refused naming the protocol; a region that means it says so."""
    data = region_data(tmp_path)
    (data / "protocols" / "skin.toml").unlink()
    result = ohjaus("check", str(data))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr == (
        f"ohjaus: {data / 'protocols'}: lacks 1 of the shipped protocols: skin; "
        "if the region means it, check with --accept-missing skin\n"
    )
    accepted = ohjaus("check", str(data), "--accept-missing", "skin")
    assert accepted.returncode == 0, accepted.stderr
    lines = accepted.stdout.splitlines()
    assert lines[0].endswith(": OK") and f"{data}: " in lines[0]  # scripts read the first line
    assert lines[1] == "Left out on purpose (--accept-missing): 1 of the shipped protocols: skin"
    finnish = ohjaus("check", str(data), env_extra={"OHJAUS_LANG": "fi"})
    assert finnish.returncode == 2 and "toimitetuista arviointiohjeista puuttuu 1: skin" in finnish.stderr
    swedish = ohjaus("check", str(data), env_extra={"OHJAUS_LANG": "sv"})
    assert swedish.returncode == 2 and "saknar 1 av de levererade bedömningsprotokollen: skin" in swedish.stderr
    wrong = ohjaus("check", str(data), "--accept-missing", "skn")
    assert wrong.returncode == 2 and "not a shipped protocol: skn" in wrong.stderr
    # The folder in use is the region's own: still compared with what the program ships.
    in_use = ohjaus("check", env_extra={"OHJAUS_SHIPPED_DATA": str(data)})
    assert in_use.returncode == 2 and "lacks 1 of the shipped protocols: skin" in in_use.stderr
