"""How the central API runs: one typed object, built once where the server starts (`ohjaus
serve`, or asgi.py in each worker process of `serve --workers N`) and handed to create_app."""

from __future__ import annotations

from dataclasses import dataclass, field

from ohjaus_core.protocol import MAX_BODY_BYTES
from ohjaus_core.settings import settings

# Read once at start-up from the one settings object of every OHJAUS_* variable
# (ohjaus_core/settings.py, docs/settings.md).
# Read when a ServerSettings is made (the server starts), never at import: a bad value stops
# `ohjaus serve`, not the administrator's commands that import this module.


def _threads() -> int:
    return settings().threads


def _switch_interval() -> float:
    return settings().switch_seconds


def _rate_limit() -> str | None:
    return settings().rate_limit


@dataclass(frozen=True)
class ServerSettings:
    db_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = 1  # server processes (`serve --workers N`): each opens the database itself
    demo: bool = False  # the demo region: demo credentials enrol themselves
    upgrade: bool = False  # a database behind the code is upgraded at start (else refused)
    # Few threads for the (synchronous) routes: pushes run one at a time anyway, and dozens
    # of threads contending for the GIL slow the one holding the push lock.
    threads: int = field(default_factory=_threads)
    # "RATE/BURST" a second for each device and each address without a valid credential
    # (default 50/200); "0" turns it off (Gate.limiter_from).
    rate_limit: str | None = field(default_factory=_rate_limit)
    # Pushes run under a lock between database calls that let go of the GIL; a short switch
    # interval gives the lock holder the GIL back sooner when many requests wait.
    switch_interval: float = field(default_factory=_switch_interval)
    max_body_bytes: int = MAX_BODY_BYTES  # a larger request body is refused (413) unread

    @property
    def shown_db(self) -> str:
        """The database as it may be shown: no user name or password."""
        return self.db_url.split("@")[-1] if "@" in self.db_url else self.db_url
