"""`ohjaus region import` and `export`: a region's own folder (docs/region.md) on its server.

The import goes through the same path as the demo region of `serve --demo`
(`CentralStore.load_reference`): every added or changed unit, worker, professional and slot is
a change-log entry, and devices take it at their next pull. Ids are UUIDv5 of the codes (as
the demo's), so the same folder imported again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.region_files import (
    SERVICES_FILE,
    SLOTS_FOLDER,
    RegionFolder,
    SlotRow,
    default_source,
    write_slots_csv,
    write_slots_ics,
)
from ohjaus_core.protocol import RecordType
from ohjaus_core.reference import catalogue_record
from ohjaus_core.reference import ref_id, region_rows
from .batch import TAKEN as TAKEN_BY_NOBODY  # a retired slot's holder (CentralStore.retire_slots)

CHUNK = 1000  # slots in one transaction (and one step of the progress bar)

# A step's name (for the progress bar) and how many of its rows are done.
Progress = Callable[[str, int, int], None]


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    retired: int = 0


@dataclass
class ImportReport:
    counts: dict[str, Counts] = field(default_factory=dict)
    kept_booked: int = 0  # booked slots whose file version differs: kept as booked
    booked_missing: int = 0  # booked future slots no longer in the files: kept
    not_in_files: dict[str, int] = field(default_factory=dict)  # units, workers, professionals kept
    services: int = 0
    catalogue_changed: bool = False  # the region's services.toml new or changed: sent to the devices

    @property
    def changes(self) -> int:
        return sum(c.added + c.changed + c.retired for c in self.counts.values()) + self.catalogue_changed


def slot_rows(folder: RegionFolder) -> list[dict]:
    """The folder's slots as the central store keeps a slot (a `records.Slot` as JSON; built as
    plain rows: a model object each took most of a 10,000-slot import's time)."""
    ids = {p.code: (ref_id("professional", p.code), ref_id("unit", p.unit)) for p in folder.professionals}
    return [
        {
            "id": ref_id("slot", slot.source), "professional_id": ids[slot.professional][0],
            "unit_id": ids[slot.professional][1], "starts_at": slot.starts_at.isoformat(), "minutes": slot.minutes,
            "mode": slot.mode, "booked_contact_id": None, "taken_elsewhere": False,
        }
        for slot in folder.slots
    ]


def import_region(store, folder: RegionFolder, now: datetime, progress: Progress | None = None) -> ImportReport:
    """Load a region's folder into the central store; see the module's doc."""
    report = ImportReport(services=len(folder.services))
    units, workers, professionals = region_rows(folder)
    slots = slot_rows(folder)
    steps = (
        (RecordType.UNIT, units), (RecordType.WORKER, workers),
        (RecordType.PROFESSIONAL, professionals), (RecordType.SLOT, slots),
    )
    for record_type, rows in steps:
        counts = report.counts.setdefault(record_type.value, Counts())
        held = set(store.records(record_type)) if record_type != RecordType.SLOT else set()
        for start in range(0, max(len(rows), 1), CHUNK):
            chunk = [row if isinstance(row, dict) else row.model_dump(mode="json") for row in rows[start : start + CHUNK]]
            loaded = store.load_reference(record_type, chunk, follow_slots=True)
            counts.added += loaded.added
            counts.changed += loaded.changed
            report.kept_booked += loaded.kept_booked
            if progress:
                progress(record_type.value, min(start + CHUNK, len(rows)), len(rows))
        if record_type != RecordType.SLOT:
            report.not_in_files[record_type.value] = len(held - {row.id for row in rows})
    catalogue = folder.files.get(SERVICES_FILE)
    if catalogue is not None:  # checked by read_region_folder; devices take it at their next pull
        loaded = store.load_reference(RecordType.CATALOGUE, [catalogue_record(catalogue.decode("utf-8"))])
        report.catalogue_changed = bool(loaded.added or loaded.changed)
    retired = store.retire_slots({row["id"] for row in slots}, now)
    report.counts[RecordType.SLOT.value].retired = retired.retired
    report.booked_missing = retired.booked_missing
    store.put_region_files(folder.files, {ref_id("slot", s.source): s.source for s in folder.slots})
    return report


def export_region(store, target: Path, now: datetime, slot_format: str = "ics") -> tuple[list[Path], int]:
    """Write the region's files as last imported and the server's slots from a week back on
    (free and booked, not retired) as `slots/slots.ics` (or `.csv`, with a `booked` column),
    which the import reads back to the same slots. Returns the files written and the number
    of slots."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in sorted(store.region_files().items()):
        path = target / name
        path.write_bytes(content)
        written.append(path)
    professionals = {row_id: row["code"] for row_id, row in store.records(RecordType.PROFESSIONAL).items()}
    sources = store.slot_sources()
    rows: list[tuple[SlotRow, bool]] = []
    since = now - timedelta(days=7)
    for slot_id, slot in store.records(RecordType.SLOT).items():
        holder = slot.get("booked_contact_id")
        starts = datetime.fromisoformat(slot["starts_at"]).astimezone(HELSINKI)
        if holder == TAKEN_BY_NOBODY or starts < since or slot["professional_id"] not in professionals:
            continue
        code = professionals[slot["professional_id"]]
        source = sources.get(slot_id, default_source(code, starts))
        rows.append((SlotRow(source, code, starts, slot["minutes"], slot["mode"], target, None), holder is not None))
    rows.sort(key=lambda item: (item[0].starts_at, item[0].professional))
    (target / SLOTS_FOLDER).mkdir(exist_ok=True)
    path = target / SLOTS_FOLDER / f"slots.{slot_format}"
    path.write_bytes(write_slots_csv(rows) if slot_format == "csv" else write_slots_ics(rows, "ohjaus"))
    written.append(path)
    return written, len(rows)

