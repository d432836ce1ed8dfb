"""Shared fixtures: a demo data directory made once, copied for every test; a fixed clock."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from ohjaus_tui.app import OhjausApp
from ohjaus_tui.context import Context, load_shipped
from ohjaus_tui.demo import make_demo
from ohjaus_tui.domain.clock import HELSINKI
from ohjaus_tui.i18n import set_language
from ohjaus_tui.store.store import Store

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
