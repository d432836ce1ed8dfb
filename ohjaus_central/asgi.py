"""The central API as an import string, for uvicorn's worker processes (`serve --workers N`):
each process opens the database named in OHJAUS_CENTRAL_DB itself."""

from __future__ import annotations

import sys

from ohjaus_core.settings import settings as environment

from .app import create_app
from .db import CentralStore
from .settings import ServerSettings

settings = ServerSettings(db_url=environment().central_db, demo=environment().central_demo_on)
sys.setswitchinterval(settings.switch_interval)  # as `serve` sets it in a single process (a new process does not inherit it)

app = create_app(CentralStore(settings.db_url, upgrade=False), settings)
