"""Every OHJAUS_* environment variable, read in one place (docs/settings.md is their table).

`settings()` reads the environment each time it is called (a dozen dictionary look-ups), so a
variable set by a test, a service unit or `ohjaus serve` for its worker processes is seen by the
next reader. The object (immutable) keeps each variable's text as it was given; the properties turn it into
what the readers use, each with its default and the same handling of a bad value as before
(a bad number for the server's tuning stops the server; a bad sync interval falls back).
A device's own settings (its unit, registers, language, idle lock, server) are rows of its
store, not variables: docs/settings.md lists them too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

# field -> the environment variable it is read from
VARIABLES = {
    "lang": "OHJAUS_LANG",
    "shipped_data": "OHJAUS_SHIPPED_DATA",
    "data_dir": "OHJAUS_DATA_DIR",
    "key_dir": "OHJAUS_KEY_DIR",
    "cache_dir": "OHJAUS_CACHE_DIR",
    "idle_lock": "OHJAUS_IDLE_LOCK",
    "sync_interval": "OHJAUS_SYNC_INTERVAL",
    "developer": "OHJAUS_DEVELOPER",
    "db": "OHJAUS_DB",
    "central_db": "OHJAUS_CENTRAL_DB",
    "central_demo": "OHJAUS_CENTRAL_DEMO",
    "server_threads": "OHJAUS_SERVER_THREADS",
    "rate_limit": "OHJAUS_RATE_LIMIT",
    "auth_cache_seconds": "OHJAUS_AUTH_CACHE_SECONDS",
    "switch_interval": "OHJAUS_SWITCH_INTERVAL",
}


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


class Settings(NamedTuple):
    """The variables' texts (None: not set), frozen; read them through the properties. A
    NamedTuple, not a dataclass: `ohjaus --version` would wait for dataclasses' imports."""

    lang: str | None = None
    shipped_data: str | None = None
    data_dir: str | None = None
    key_dir: str | None = None
    cache_dir: str | None = None
    idle_lock: str | None = None
    sync_interval: str | None = None
    developer: str | None = None
    db: str | None = None
    central_db: str | None = None
    central_demo: str | None = None
    server_threads: str | None = None
    rate_limit: str | None = None
    auth_cache_seconds: str | None = None
    switch_interval: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        return cls(*(environ.get(VARIABLES[name]) for name in cls._fields))

    # -- both sides ------------------------------------------------------------------------

    @property
    def shipped_data_path(self) -> Path | None:
        """The data folder in use instead of the installed one (protocols, services, region)."""
        return _path(self.shipped_data)

    # -- the device ------------------------------------------------------------------------

    @property
    def data_dir_path(self) -> Path | None:
        return _path(self.data_dir)

    @property
    def key_dir_path(self) -> Path | None:
        return _path(self.key_dir)

    @property
    def cache_dir_path(self) -> Path | None:
        return _path(self.cache_dir)

    @property
    def sync_seconds(self) -> float:
        """Seconds between background sync rounds: 60 by default (or on a bad value), 5 at least."""
        try:
            return max(5.0, float(self.sync_interval if self.sync_interval is not None else "60"))
        except ValueError:
            return 60.0

    @property
    def developer_device(self) -> bool:
        """A developer's device: Textual's own commands (screenshot, theme) in the palette."""
        return self.developer == "1"

    # -- the central API -------------------------------------------------------------------

    @property
    def database(self) -> str | None:
        """The central API's database URL when `--db` is not given."""
        return self.db or None

    @property
    def central_demo_on(self) -> bool:
        return self.central_demo == "1"

    @property
    def threads(self) -> int:
        """Threads a server process runs the database's work in (default 4)."""
        return int(self.server_threads if self.server_threads is not None else "4")

    @property
    def auth_cache(self) -> float:
        """Seconds a checked credential is remembered (default 5): a revocation's delay."""
        return float(self.auth_cache_seconds if self.auth_cache_seconds is not None else "5")

    @property
    def switch_seconds(self) -> float:
        """The interpreter's thread switch interval in a server process (default 0.0005)."""
        return float(self.switch_interval if self.switch_interval is not None else "0.0005")


def settings() -> Settings:
    """The environment's settings now."""
    return Settings.from_environ()
