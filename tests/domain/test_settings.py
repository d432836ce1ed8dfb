"""One settings object (ohjaus_core/settings.py) for every OHJAUS_* variable, documented in
docs/settings.md: nothing else in the packages reads the environment."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ohjaus_core.settings import VARIABLES, Settings, settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ohjaus", "ohjaus_core", "ohjaus_tui", "ohjaus_central")


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path != ROOT / "ohjaus_core" / "settings.py":
                yield path, path.read_text("utf-8")


def test_only_the_settings_module_reads_the_environment():
    readers = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path, text in _sources()
        for match in re.finditer(r"os\.environ\.get\(|os\.getenv\(|environ\[\"OHJAUS_\w+\"\](?!\s*[,=])", text)
    ]
    assert readers == []


def test_every_variable_named_in_the_code_is_a_setting_and_documented():
    documented = (ROOT / "docs" / "settings.md").read_text("utf-8")
    named = {name for _path, text in _sources() for name in re.findall(r"\"(OHJAUS_[A-Z_]+)\"", text)}
    assert named <= set(VARIABLES.values())
    assert [name for name in VARIABLES.values() if f"`{name}`" not in documented] == []


def test_a_variable_set_after_start_is_read_with_its_default_and_fallbacks(monkeypatch):
    monkeypatch.delenv("OHJAUS_SYNC_INTERVAL", raising=False)
    monkeypatch.delenv("OHJAUS_DATA_DIR", raising=False)
    assert settings().sync_seconds == 60.0 and settings().data_dir_path is None
    monkeypatch.setenv("OHJAUS_SYNC_INTERVAL", "2")
    monkeypatch.setenv("OHJAUS_DATA_DIR", "/srv/ohjaus")
    assert settings().sync_seconds == 5.0 and settings().data_dir_path == Path("/srv/ohjaus")
    monkeypatch.setenv("OHJAUS_SYNC_INTERVAL", "often")
    assert settings().sync_seconds == 60.0


def test_the_servers_numbers_have_their_defaults_and_a_bad_one_is_refused():
    plain = Settings.from_environ({})
    assert (plain.threads, plain.auth_cache, plain.switch_seconds, plain.database) == (4, 5.0, 0.0005, None)
    tuned = Settings.from_environ({"OHJAUS_SERVER_THREADS": "8", "OHJAUS_DB": "sqlite:///x.db", "OHJAUS_DEVELOPER": "1"})
    assert (tuned.threads, tuned.database, tuned.developer_device) == (8, "sqlite:///x.db", True)
    with pytest.raises(ValueError):
        Settings.from_environ({"OHJAUS_SERVER_THREADS": "many"}).threads


def test_a_bad_server_tuning_value_stops_the_server_not_the_administrators_commands(monkeypatch):
    """OHJAUS_SERVER_THREADS is read when the server starts (its ServerSettings is made), not
    when the central package is imported by `ohjaus db`, `device`, `region` or `worker`."""
    import subprocess
    import sys

    env = {**os.environ, "OHJAUS_SERVER_THREADS": "many"}
    imported = subprocess.run(
        [sys.executable, "-c", "import ohjaus_central.serve, ohjaus_central.cli.admin"],
        env=env, capture_output=True, text=True,
    )
    assert imported.returncode == 0, imported.stderr
    from ohjaus_central.settings import ServerSettings

    monkeypatch.setenv("OHJAUS_SERVER_THREADS", "many")
    with pytest.raises(ValueError):
        ServerSettings()
