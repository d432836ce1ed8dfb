"""The central API as an import string, for uvicorn's worker processes (`serve --workers N`):
each process opens the database named in OHJAUS_CENTRAL_DB itself."""

from __future__ import annotations

import sys

from ohjaus_core.settings import settings

from .app import create_app
from .db import CentralStore
from .serve import SWITCH_INTERVAL

sys.setswitchinterval(SWITCH_INTERVAL)  # as `serve` sets it in a single process (a new process does not inherit it)

app = create_app(
    CentralStore(settings().central_db, upgrade=False), demo=settings().central_demo_on
)
