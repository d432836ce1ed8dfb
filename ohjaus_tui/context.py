"""What every screen works with: the store, the shipped data, the signed-in worker, the clock."""

from __future__ import annotations

import os
from importlib import resources
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .domain import clock as clock_module
from .domain.catalogue import Service, load_catalogue
from .domain.clock import local
from .domain.deadlines import RegionRules, load_region_rules
from .domain.protocols import Protocol, load_protocols

if TYPE_CHECKING:
    from .domain.viewer import Viewer
    from .store.models import Unit, Worker
    from .store.store import Store


def shipped_data_dir() -> Path:
    """The data/ folder: protocols, catalogue, region rules, demo region.

    OHJAUS_SHIPPED_DATA when set; else the package's own `ohjaus_tui/data` of an installed
    wheel (importlib.resources); else, in a source checkout (an editable install), the
    repository's top-level data/, which the wheel ships as that package.
    """
    configured = os.environ.get("OHJAUS_SHIPPED_DATA")
    if configured:
        return Path(configured)
    packaged = Path(str(resources.files("ohjaus_tui"))) / "data"
    if (packaged / "protocols").is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Shipped:
    protocols: list[Protocol]
    catalogue: list[Service]
    region: RegionRules

    def protocol(self, protocol_id: str) -> Protocol | None:
        return next((p for p in self.protocols if p.id == protocol_id), None)

    def service(self, code: str) -> Service | None:
        return next((s for s in self.catalogue if s.code == code), None)


def load_shipped(root: Path | None = None) -> Shipped:
    """Load and validate every shipped data file; a broken one raises DataFileError."""
    root = root or shipped_data_dir()
    return Shipped(
        protocols=load_protocols(root / "protocols"),
        catalogue=load_catalogue(root / "services.toml"),
        region=load_region_rules(root / "region.toml"),
    )


class Context:
    """The application's shared state. The store (SQLModel) may open in the background:
    the sign-in screen does not need it, and importing the ORM is most of start-up time."""

    def __init__(
        self,
        *,
        shipped: Shipped,
        store: "Store | None" = None,
        data_dir: Path | None = None,
        clock: Callable[[], datetime] = clock_module.now,
        demo: bool = False,
    ) -> None:
        if store is None and data_dir is None:
            raise ValueError("a store or a data directory is needed")
        self.shipped = shipped
        self.data_dir: Path = data_dir or store.data_dir  # type: ignore[union-attr]
        self.clock = clock
        self.demo = demo
        self.worker: "Worker | None" = None
        self.unit: "Unit | None" = None
        self.viewer: "Viewer | None" = None  # the signed-in worker's register and role
        self.locked = False
        self.worklist_trail = None  # screens.audit.ViewTrail of the home lists, per sign-in
        self._store = store
        self._opening: Future | None = None
        if store is not None:
            self.use_region_catalogue(store)

    def open_store_in_background(self) -> None:
        if self._store is None and self._opening is None:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
            self._opening = executor.submit(self._open_store)
            executor.shutdown(wait=False)

    def _open_store(self) -> "Store":
        from .store.store import Store

        store = Store(self.data_dir)
        self.use_region_catalogue(store)
        return store

    def use_region_catalogue(self, store: "Store | None" = None) -> None:
        """The region's catalogue, when one came by sync from its import, replaces the data
        folder's (at the store's opening and after every sync that pulled something)."""
        services = (store or self.store).region_catalogue()
        if services is not None:
            self.shipped = replace(self.shipped, catalogue=services)

    @property
    def store(self) -> "Store":
        if self._store is None:
            self._store = self._opening.result() if self._opening else self._open_store()
        return self._store

    def now(self) -> datetime:
        return local(self.clock()).replace(microsecond=0)
