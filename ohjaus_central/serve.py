"""`ohjaus serve`: open the central store, load the demo region when asked, run uvicorn."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

from ohjaus_core.i18n import _
from ohjaus_core.protocol import RecordType
from ohjaus_core.settings import settings
from .settings import ServerSettings


def default_db_url() -> str:
    """OHJAUS_DB when set (a container's or a service unit's environment keeps the password out
    of the command line), else a SQLite file in the user data directory."""
    configured = settings().database
    if configured:
        return configured
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("ohjaus", appauthor=False)) / "central"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'central.db'}"


def open_central(db_url: str, *, upgrade: bool = False):
    """The central store; without `upgrade`, a database behind this code's schema is refused
    (SchemaBehind, one line naming `ohjaus db upgrade`)."""
    from .db import CentralStore

    if not (db_url.startswith("sqlite:///") or db_url.startswith("postgresql")):
        raise ValueError(_("--db takes sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB"))
    return CentralStore(db_url, upgrade=upgrade)


def load_demo_region(store, today: date | None = None) -> int:
    """The demo region's units, workers, professionals and slots, as `ohjaus demo` makes
    them; run at every start so the slots reach as far ahead as a new demo device's."""
    from ohjaus_core.data_dir import shipped_data_dir
    from ohjaus_core.reference import demo_reference
    from ohjaus_core.domain.demo_region import load_demo_region as load_region

    region = load_region(shipped_data_dir() / "demo")
    units, workers, professionals, slots = demo_reference(region, today or date.today())
    logged = 0
    for record_type, rows in (
        (RecordType.UNIT, units),
        (RecordType.WORKER, workers),
        (RecordType.PROFESSIONAL, professionals),
        (RecordType.SLOT, slots),
    ):
        logged += store.load_reference(record_type, [row.model_dump(mode="json") for row in rows]).logged
    return logged


def serve(db_url: str, host: str, port: int, demo: bool, workers: int = 1, upgrade: bool = False) -> int:
    """A region's database is upgraded as a step of its own (`ohjaus db upgrade`, after a
    backup), so the server refuses one behind the code unless told `upgrade`; the demo's
    database is throwaway and is upgraded at every start."""
    return run(ServerSettings(db_url=db_url, host=host, port=port, demo=demo, workers=workers, upgrade=upgrade))


def run(settings: ServerSettings) -> int:
    """The central API as `settings` say, until Ctrl+C."""
    import uvicorn

    from .app import create_app

    store = open_central(settings.db_url, upgrade=settings.upgrade or settings.demo)
    if settings.demo:
        load_demo_region(store)
    print(
        _("ohjaus central API on http://{host}:{port} (database {db}{demo}); Ctrl+C stops it.").format(
            host=settings.host, port=settings.port, db=settings.shown_db, demo=_(", demo region") if settings.demo else ""
        ),
        file=sys.stderr,
        flush=True,
    )
    # Pushes run one at a time under a lock, between database calls that let go of the GIL;
    # a short switch interval gives the lock holder the GIL back sooner when many requests
    # wait (p95 under load, bench/sync_load.py).
    sys.setswitchinterval(settings.switch_interval)
    listen = dict(host=settings.host, port=settings.port, log_level="warning", access_log=False)
    if settings.workers > 1:
        # Several processes (cores): each opens the database itself; pushes stay one at a
        # time across them (SQLite's write lock, PostgreSQL's advisory lock).
        store.close()
        os.environ["OHJAUS_CENTRAL_DB"], os.environ["OHJAUS_CENTRAL_DEMO"] = settings.db_url, "1" if settings.demo else "0"
        uvicorn.run("ohjaus_central.asgi:app", workers=settings.workers, **listen)
        return 0
    uvicorn.run(create_app(store, settings), **listen)
    return 0
