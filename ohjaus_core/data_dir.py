"""Where the shipped data is: protocols, catalogue, region rules, demo region."""

from __future__ import annotations

from pathlib import Path

from .settings import settings


def shipped_data_dir() -> Path:
    """The data/ folder: protocols, catalogue, region rules, demo region.

    OHJAUS_SHIPPED_DATA when set; else the package's own `ohjaus_core/data` of an installed
    wheel (beside this module: importlib.resources gave the same folder, at 2 ms of imports
    at every start); else, in a source checkout (an editable install), the
    repository's top-level data/, which the wheel ships as that package.
    """
    configured = settings().shipped_data_path
    if configured:
        return configured
    return program_data_dir()


def program_data_dir() -> Path:
    """The data this program ships, whatever OHJAUS_SHIPPED_DATA says: what a region's own
    data folder is compared with."""
    packaged = Path(__file__).resolve().parent / "data"
    if (packaged / "protocols").is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data"


def shipped_protocol_ids() -> list[str]:
    """The ids of the protocols this program ships (a protocol's id is its file's stem;
    files starting with `_` are shared questions)."""
    folder = program_data_dir() / "protocols"
    return sorted(path.stem for path in folder.glob("*.toml") if not path.name.startswith("_"))
