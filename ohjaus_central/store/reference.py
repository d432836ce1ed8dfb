"""The region's reference data (units, workers, professionals, slots, the catalogue) as
loaded by the demo and a region's import, and the region's own files as imported."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update

from ohjaus_core.protocol import RecordType
from ..batch import TAKEN, Batch, _json
from ..tables import record, region_file, slot_source
from .database import Database, now


@dataclass(frozen=True)
class Loaded:
    added: int
    changed: int
    kept_booked: int = 0

    @property
    def logged(self) -> int:
        return self.added + self.changed


@dataclass(frozen=True)
class Retired:
    retired: int
    booked_missing: int


class Reference:
    def __init__(self, db: Database) -> None:
        self.db = db

    def records(self, record_type: RecordType) -> dict[str, dict]:
        """The current version of every record of a type, by id."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(record.c.record_id, record.c.data).where(record.c.record_type == record_type.value)
            )
            return {record_id: json.loads(data) for record_id, data in rows}

    def unit_id(self, unit_code: str) -> str:
        """The id of the unit with this code; KeyError when there is none."""
        for record_id, unit in self.records(RecordType.UNIT).items():
            if unit["code"] == unit_code:
                return record_id
        raise KeyError(unit_code)

    def unit_codes(self) -> list[str]:
        return sorted(unit["code"] for unit in self.records(RecordType.UNIT).values())

    def load_reference(self, record_type: RecordType, rows: list[dict], *, follow_slots: bool = False) -> Loaded:
        """Add or update the region's units, workers, professionals and slots in one
        transaction; returns what was added and changed (each change is logged, and devices
        take it at their next pull). A slot's booking is the server's own and never reset by a
        reload. A slot already held is left as it is, unless `follow_slots` (a region's import,
        where the scheduling system's files are the truth): then a free one takes the file's
        time, length and mode (a retired one comes back), and a booked one is kept as it is
        and counted in `kept_booked`."""
        added = changed = kept_booked = 0
        with self.db.writing() as conn:
            batch = Batch(conn, None)
            batch.load({(record_type.value, row["id"]) for row in rows}, set(), set())
            for row in rows:
                current = batch.get(record_type, row["id"])
                if record_type == RecordType.SLOT:
                    if current is not None and not follow_slots:
                        continue
                    holder = json.loads(current["data"]).get("booked_contact_id") if current else None
                    if holder is not None and holder != TAKEN:
                        if _json({**row, "booked_contact_id": holder}) != current["data"]:
                            kept_booked += 1
                        continue
                    row = {**row, "booked_contact_id": None}
                elif record_type == RecordType.WORKER and current is not None:
                    # A removal or lock-out made on the server (set_worker_status) holds through
                    # a region's import and the demo's reload, whatever status the rows carry.
                    held = json.loads(current["data"]).get("status")
                    row = {**row, "status": held} if held else {k: v for k, v in row.items() if k != "status"}
                data = _json(row)
                if current is not None and current["data"] == data:
                    continue
                seq = batch.log(record_type, row["id"], data, None, None)
                batch.put(record_type, row["id"], data, seq)
                if current is None:
                    added += 1
                else:
                    changed += 1
            batch.flush()
        return Loaded(added, changed, kept_booked)

    def retire_slots(self, keep: set[str], after: datetime) -> Retired:
        """Free slots starting after `after` that are not in `keep` (a region's import: no
        longer in its scheduling system's files) are retired: held as taken by no one, so no
        device offers them and a booking into one is refused (`slot_taken`); an import that
        lists one again brings it back. A booked slot is never retired or removed: those
        missing from the files are counted in `booked_missing`. Returns the counts."""
        retired = booked_missing = 0
        with self.db.writing() as conn:
            rows = conn.execute(
                select(record.c.record_id, record.c.data).where(record.c.record_type == RecordType.SLOT.value)
            ).all()
            gone = []
            for record_id, data in rows:
                if record_id in keep:
                    continue
                slot = json.loads(data)
                if datetime.fromisoformat(slot["starts_at"]) <= after:
                    continue
                if slot.get("booked_contact_id") is None:
                    gone.append(slot)
                elif slot["booked_contact_id"] != TAKEN:
                    booked_missing += 1
            batch = Batch(conn, None)
            batch.load({(RecordType.SLOT.value, slot["id"]) for slot in gone}, set(), set())
            for slot in gone:
                text = _json({**slot, "booked_contact_id": TAKEN})
                seq = batch.log(RecordType.SLOT, slot["id"], text, None, None)
                batch.put(RecordType.SLOT, slot["id"], text, seq)
                retired += 1
            batch.flush()
        return Retired(retired, booked_missing)

    def slot_states(self) -> dict[str, str]:
        """Every slot's state: `free`, `booked` or `retired`."""
        states = {}
        for slot_id, slot in self.records(RecordType.SLOT).items():
            holder = slot.get("booked_contact_id")
            states[slot_id] = "free" if holder is None else "retired" if holder == TAKEN else "booked"
        return states

    # -- a region's own files ---------------------------------------------------------------

    def put_region_files(self, files: dict[str, bytes], sources: dict[str, str]) -> None:
        """The region's files as imported (replacing the ones before) and the scheduling
        system's id of each imported slot."""
        with self.db.engine.begin() as conn:
            conn.execute(delete(region_file))
            if files:
                imported_at = now()
                conn.execute(insert(region_file), [dict(name=n, content=c, imported_at=imported_at) for n, c in files.items()])
            held = dict(conn.execute(select(slot_source.c.slot_id, slot_source.c.source)).all())
            new = [dict(slot_id=k, source=v) for k, v in sources.items() if k not in held]
            moved = [dict(key_id=k, new_source=v) for k, v in sources.items() if k in held and held[k] != v]
            if new:
                conn.execute(insert(slot_source), new)
            if moved:
                conn.execute(
                    update(slot_source).where(slot_source.c.slot_id == bindparam("key_id")).values(source=bindparam("new_source")),
                    moved,
                )

    def region_files(self) -> dict[str, bytes]:
        with self.db.engine.connect() as conn:
            return {name: bytes(content) for name, content in conn.execute(select(region_file.c.name, region_file.c.content))}

    def slot_sources(self) -> dict[str, str]:
        with self.db.engine.connect() as conn:
            return dict(conn.execute(select(slot_source.c.slot_id, slot_source.c.source)).all())
