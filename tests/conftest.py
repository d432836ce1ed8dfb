"""Shared fixtures: a demo data directory made once, copied for every test; a fixed clock."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

# Device keys go to a key directory of this test session, never the user's real one; set at
# import so that every child process (crash workers, `ohjaus`, the central server) inherits it.
# A child that imports this module (the crash workers do) keeps the session's directory.
if "OHJAUS_TEST_KEY_DIR" not in os.environ:
    _KEYS = tempfile.TemporaryDirectory(prefix="ohjaus-test-keys-")
    os.environ["OHJAUS_TEST_KEY_DIR"] = os.environ["OHJAUS_KEY_DIR"] = _KEYS.name

import pytest

from ohjaus_tui.app import OhjausApp
from ohjaus_tui.context import Context, load_shipped
from ohjaus_tui.demo import make_demo
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.i18n import set_language
from ohjaus_tui.store.directory import connect
from ohjaus_tui.store.store import Store

# The text cursor never blinks in tests: a snapshot taken on a loaded machine fell on the
# blink's hidden half now and then (an Input or TextArea cursor, half a second apart).
from textual.widgets import Input, TextArea  # noqa: E402


def _cursor_stays(widget) -> None:
    widget._cursor_visible = True


Input._toggle_cursor = _cursor_stays  # type: ignore[method-assign]
TextArea._toggle_cursor_blink_visible = _cursor_stays  # type: ignore[method-assign]

# A Wednesday morning; every test and snapshot sees the same day.
FIXED_NOW = datetime(2026, 11, 25, 9, 0, tzinfo=HELSINKI)
DEMO_SEED = 7


@pytest.fixture(autouse=True)
def english_messages():
    """Tests read messages by their English ids; snapshot tests switch to Finnish themselves."""
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(scope="session")
def shipped():
    return load_shipped()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, shipped) -> Path:
    directory = tmp_path_factory.mktemp("demo-template")
    make_demo(directory, clients=80, contacts=40, seed=DEMO_SEED, today=FIXED_NOW.date(), shipped=shipped)
    # Screen tests run without a central API (a demo server on this machine must not see
    # them); the sync tests connect their own devices.
    connection = connect(directory)
    with connection:
        connection.execute("DELETE FROM setting WHERE key IN ('sync_server', 'sync_token')")
    connection.close()
    return directory


@pytest.fixture
def data_dir(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(demo_template, target)
    return target


@pytest.fixture
def store(data_dir: Path):
    store = Store(data_dir)
    yield store
    store.close()


def build_app(data_dir: Path, shipped=None) -> OhjausApp:
    ctx = Context(data_dir=data_dir, shipped=shipped or load_shipped(), clock=lambda: FIXED_NOW, demo=True)
    return OhjausApp(ctx)


@pytest.fixture
def app(data_dir: Path, shipped) -> OhjausApp:
    return build_app(data_dir, shipped)


# -- sync: a real central server per test (SQLite, and PostgreSQL when reachable) --------------


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    from .sync_helpers import PG_ENV, postgres_url, reset_database

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}"
    url = postgres_url()
    if url is None:
        pytest.skip(f"no PostgreSQL reachable: set {PG_ENV} to a database URL (.ci/run does)")
    reset_database(url)
    return url


@pytest.fixture
def server(db_url: str, tmp_path: Path):
    from .sync_helpers import CentralServer

    central = CentralServer(db_url, tmp_path / "server.log").start()
    yield central
    central.stop()


@pytest.fixture(scope="session")
def device_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("device-templates")


@pytest.fixture
def devices(device_templates: Path, tmp_path: Path, server):
    """make(name, unit=..., registers=...) -> a device connected to `server`."""
    from .sync_helpers import new_device

    made = []

    def make(name: str, unit: str = "JL-KESK", registers=("health", "social"), **kwargs):
        device = new_device(device_templates, tmp_path / name, server.url, unit, tuple(registers), **kwargs)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()
