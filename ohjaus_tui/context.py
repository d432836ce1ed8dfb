"""What every screen works with: the store, the shipped data, the signed-in worker, the clock."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .domain import clock
from .domain.clock import local
from .domain.catalogue import Service, load_catalogue
from .domain.deadlines import RegionRules, load_region_rules
from .domain.protocols import Protocol, load_protocols
from .store.models import Unit, Worker
from .store.store import Store


def shipped_data_dir() -> Path:
    """The data/ folder: protocols, catalogue, region rules, demo region."""
    configured = os.environ.get("OHJAUS_SHIPPED_DATA")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "data"


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


@dataclass
class Context:
    store: Store
    shipped: Shipped
    clock: Callable[[], datetime] = clock.now
    demo: bool = False
    worker: Worker | None = None
    unit: Unit | None = None
    extra: dict = field(default_factory=dict)

    def now(self) -> datetime:
        return local(self.clock()).replace(microsecond=0)
