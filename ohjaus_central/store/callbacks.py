"""Callback requests pushed by a phone system (or a device) and digital contact requests from
an e-service form, into the unit's queue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ohjaus_core.domain.identity import client_id_for
from ohjaus_core.protocol import RecordType
from ..batch import Batch, _json
from .clients import Clients
from .credentials import Device
from .database import Database, now

if TYPE_CHECKING:
    from ohjaus_core.domain.callbacks import CallbackRequest


class CallbackRefused(Exception):
    """A pushed callback request not taken: the status, the field (or "") and why."""

    def __init__(self, status: int, where: str, problem: str) -> None:
        super().__init__(problem)
        self.status, self.where, self.problem = status, where, problem


class Callbacks:
    def __init__(self, db: Database, clients: Clients) -> None:
        self.db, self.clients = db, clients

    def push_callback(self, dev: Device, request: CallbackRequest) -> tuple[str, bool]:
        """A callback request pushed by the phone system (or a device), or a digital contact
        request from an e-service form (origin e_service): the unit's queue gets
        it at the devices' next pull. Its id is derived from the unit, the register and the
        phone system's id, as a file import's is, so pushed twice (or pushed and imported
        from a file) it is one request; a request of the unit's register held under the id
        made before 5.12.2026 (the source alone) is that request too. Another unit's (or
        register's) requests are never looked at, so the answer is the same whether or not
        another holds that source. Returns (the request's id, whether it is new); CallbackRefused when it does not fit
        the credential or the same id came with other content."""
        from ohjaus_core.domain.callbacks import callback_id, legacy_callback_id
        from ohjaus_core.domain.contact_requests import SOURCE_PREFIX as E_SERVICE_PREFIX
        from ..batch import CALLBACK_REQUEST, Rejected, callback_record

        if request.origin != "e_service" and request.source.startswith(E_SERVICE_PREFIX):
            raise CallbackRefused(422, "id", f"a phone system's id may not begin with {E_SERVICE_PREFIX!r}")
        if request.unit_code and request.unit_code != dev.unit_code:
            raise CallbackRefused(422, "unit", f"this credential is for unit {dev.unit_code}")
        if request.register.value not in dev.registers:
            raise CallbackRefused(422, "register", f"this credential is for {', '.join(dev.registers)}")
        record_id = callback_id(dev.unit_id, request.register.value, request.source)
        client_id = client_id_for(request.identity_code) if request.identity_code else None
        if client_id is not None and not self.clients.knows_client(dev, client_id):
            client_id = None  # a person the unit has not met: the device searches by phone
        data = {
            "id": record_id, "unit_id": dev.unit_id, "sector": request.register.value, "client_id": client_id,
            "name": request.name, "phone": request.phone, "reason": request.reason,
            "requested_at": request.requested_at.isoformat(), "status": "open", "taken_by": None, "contact_id": None,
            "result": "", "source": request.source, "imported_at": now().isoformat(), "queue": request.queue,
            "language": request.language, "priority": request.priority, "attempts": 0,
            "first_attempt_at": None, "last_attempt_at": None, "origin": request.origin,
            "answers": json.dumps(request.answers, sort_keys=True), "other_answers": request.other_answers,
            "own_urgency": request.own_urgency, "preference": request.preference,
            "identity_code": request.identity_code if request.origin == "e_service" else None,
            "protocol_id": request.protocol_id,
        }
        try:
            data = callback_record(data, record_id)
        except Rejected as rejection:
            raise CallbackRefused(422, "", rejection.detail) from None
        with self.db.writing() as conn:
            batch = Batch(conn, dev)
            legacy = legacy_callback_id(request.source)
            batch.load({(RecordType.CALLBACK.value, record_id), (RecordType.CALLBACK.value, legacy)}, set(), set())
            current = batch.get(RecordType.CALLBACK, record_id)
            earlier = batch.get(RecordType.CALLBACK, legacy)
            if current is None and earlier is not None and (earlier["unit_id"], earlier["register"]) == (
                dev.unit_id, request.register.value,
            ):
                current, record_id = earlier, legacy  # the unit's request, held under its earlier id
            if current is not None:
                held = json.loads(current["data"])
                differ = [k for k in CALLBACK_REQUEST if k not in ("unit_id", "source") and k in held and held[k] != data[k]]
                if differ or held.get("unit_id") != dev.unit_id:
                    # Never which fields differ, nor whether another unit holds the id: the
                    # answer would let a credential test another unit's client data field by
                    # field (review of issue 20).
                    raise CallbackRefused(409, "id", "a request with this id was received before with other content")
                return record_id, False
            text = _json(data)
            seq = batch.log(RecordType.CALLBACK, record_id, text, dev.unit_id, data["sector"])
            batch.put(RecordType.CALLBACK, record_id, text, seq, dev.unit_id, data["sector"])
            batch.flush()
        return record_id, True
