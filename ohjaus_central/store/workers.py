"""Workers on the server: their one-time enrolment codes, their first sign-in on a device
(the verifier the device made), and their status (active, locked out, removed)."""

from __future__ import annotations

import hmac
import json
import secrets

from sqlalchemy import delete, insert, select, update

from ohjaus_core.domain.credentials import DEFAULT_COST, Verifier, needs_upgrade
from ohjaus_core.protocol import Enrolment, RecordType
from ..batch import Batch, _json
from ..tables import enrolment, record
from .credentials import Device
from .database import Database, now, token_hash
from .reference import Loaded, Reference

WORKER_ACTIVE = "active"
WORKER_STATUSES = (WORKER_ACTIVE, "locked", "removed")  # a worker record's `status` (absent: active)

# One-time enrolment codes: 12 of these 31 letters and digits (no 0/O, 1/I/L), about 59 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class EnrolRefused(Exception):
    def __init__(self, status: int, problem: str) -> None:
        super().__init__(problem)
        self.status, self.problem = status, problem


def _code(text: str) -> str:
    """A code as typed: case, spaces and dashes do not matter."""
    return "".join(text.split()).replace("-", "").upper()


class Workers:
    def __init__(self, db: Database, reference: Reference) -> None:
        self.db, self.reference = db, reference

    def worker(self, worker_id: str) -> dict | None:
        with self.db.engine.connect() as conn:
            data = conn.execute(
                select(record.c.data)
                .where(record.c.record_type == RecordType.WORKER.value)
                .where(record.c.record_id == worker_id)
            ).scalar()
        return json.loads(data) if data else None

    def worker_by_username(self, username: str) -> dict | None:
        return next((w for w in self.reference.records(RecordType.WORKER).values() if w["username"] == username), None)

    def add_worker(self, row: dict) -> tuple[Loaded, str]:
        """Add or update a worker (as a region's import does) and give them a new one-time
        enrolment code (any earlier one stops working); returns what changed and the code,
        which is shown once and kept only as its SHA-256."""
        loaded = self.reference.load_reference(RecordType.WORKER, [row])
        self.set_worker_status(row["id"], WORKER_ACTIVE)  # a removed or locked worker added again is let in
        code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        with self.db.engine.begin() as conn:
            conn.execute(delete(enrolment).where(enrolment.c.worker_id == row["id"]))
            conn.execute(insert(enrolment).values(worker_id=row["id"], code_hash=token_hash(_code(code)), created_at=now()))
        return loaded, code

    def set_worker_status(self, worker_id: str, status: str) -> bool:
        """A worker locked out, removed, or let back in (`ohjaus worker lock|remove|unlock`):
        the worker's record carries its status to every device at its next pull, and the
        devices refuse the worker's sign-in while it is not active; nothing the worker made is
        touched. Locking or removing also revokes an unused enrolment code. Returns whether
        the status changed."""
        if status not in WORKER_STATUSES:
            raise ValueError(status)
        with self.db.writing() as conn:
            batch = Batch(conn, None)
            batch.load({(RecordType.WORKER.value, worker_id)}, set(), set())
            current = batch.get(RecordType.WORKER, worker_id)
            if current is None:
                raise KeyError(worker_id)
            data = json.loads(current["data"])
            changed = data.get("status", WORKER_ACTIVE) != status
            if changed:
                text = _json({**data, "status": status})
                seq = batch.log(RecordType.WORKER, worker_id, text, None, None)
                batch.put(RecordType.WORKER, worker_id, text, seq)
            if status != WORKER_ACTIVE:
                conn.execute(
                    update(enrolment)
                    .where(enrolment.c.worker_id == worker_id)
                    .where(enrolment.c.used_at.is_(None))
                    .where(enrolment.c.revoked_at.is_(None))
                    .values(revoked_at=now())
                )
            batch.flush()
        return changed

    def enrol(self, dev: Device, body: Enrolment) -> int:
        """A worker's first sign-in on a device of their unit: the one-time code, and the
        verifier the device made from the passphrase. The verifier is logged for the devices
        of the worker's unit; the code is used up. Raises EnrolRefused."""
        worker = self.worker(body.worker_id)
        refused = EnrolRefused(403, "the enrolment code is not right or was used, or the worker is not of this device's unit")
        if worker is None or worker["unit_id"] != dev.unit_id or worker["sector"] not in dev.registers:
            raise refused
        if worker.get("status", WORKER_ACTIVE) != WORKER_ACTIVE:
            raise refused
        try:
            cost = json.loads(body.verifier.params)
        except ValueError:
            raise EnrolRefused(422, "the verifier's params are not JSON") from None
        if not isinstance(cost, dict) or set(cost) != set(DEFAULT_COST) or any(
            not isinstance(v, int) or isinstance(v, bool) or v > 2**22 for v in cost.values()
        ):
            raise EnrolRefused(422, "the verifier's params are not the KDF's")
        if needs_upgrade(Verifier(body.verifier.kdf, body.verifier.params, b"", b"")):
            raise EnrolRefused(422, "the verifier's cost is below the minimum")
        with self.db.writing() as conn:
            row = conn.execute(select(enrolment).where(enrolment.c.worker_id == body.worker_id)).mappings().first()
            if row is None or row["used_at"] is not None or row["revoked_at"] is not None or not hmac.compare_digest(row["code_hash"], token_hash(_code(body.code))):
                raise refused
            conn.execute(update(enrolment).where(enrolment.c.worker_id == body.worker_id).values(used_at=now()))
            batch = Batch(conn, dev)
            batch.load({(RecordType.CREDENTIAL.value, body.worker_id)}, set(), set())
            data = _json({"worker_id": body.worker_id, **body.verifier.model_dump(), "set_at": now().isoformat()})
            seq = batch.log(RecordType.CREDENTIAL, body.worker_id, data, worker["unit_id"], None)
            batch.put(RecordType.CREDENTIAL, body.worker_id, data, seq, worker["unit_id"], None)
            batch.flush()
        return seq
