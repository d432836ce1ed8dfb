"""The central API as an import string, for uvicorn's worker processes (`serve --workers N`):
each process opens the database named in OHJAUS_CENTRAL_DB itself."""

from __future__ import annotations

import os

from .app import create_app
from .db import CentralStore

app = create_app(
    CentralStore(os.environ["OHJAUS_CENTRAL_DB"], upgrade=False), demo=os.environ.get("OHJAUS_CENTRAL_DEMO") == "1"
)
