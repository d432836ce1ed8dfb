"""The rules of bookings and booked visits under the push lock: who holds a slot, and a
visit cancelled, moved, done or missed (issue 20)."""

from __future__ import annotations

import json

from ohjaus_core.domain.codes import OutcomeKind
from ohjaus_core.protocol import Answer, Change, Reason, RecordType
from .checks import Rejected, _json
from .prepare import in_utc
from .state import BatchState, _accepted


class Bookings(BatchState):
    def _appointment(self, change: Change, data: dict, text: str) -> Answer:
        """A booked visit cancelled, moved, done or missed (issue 20): only one of the
        device's unit and register; only a visit still booked changes, and the first change
        to reach the server wins (a change made on an older version from another device is
        refused, `booking_changed`). A move takes the new slot and gives back the old one
        here, together: a new slot held by another contact is refused (`slot_taken`) and
        nothing changes. A cancelled visit gives its slot back."""
        dev = self.device
        contact_row = self.require_own_contact(data["contact_id"], "the booking's contact")
        family = json.loads(contact_row["data"])
        contact, outcome = family["contact"], family["outcome"]
        if not outcome or outcome["kind"] != OutcomeKind.BOOKING.value or not outcome["slot_id"]:
            raise Rejected(Reason.INVALID, "the contact made no booking")
        if (data["unit_id"], data["sector"], data["client_id"]) != (contact["unit_id"], contact["sector"], contact["client_id"]):
            raise Rejected(Reason.INVALID, "unit_id, sector and client_id are the booking contact's")
        self.require_worker(data["changed_by"], "changed_by")
        current = self.get(RecordType.APPOINTMENT, change.record_id)
        if current is not None and current["data"] == text:
            return _accepted(change, current["seq"])
        held = json.loads(current["data"]) if current is not None else {
            "id": contact["id"], "contact_id": contact["id"], "client_id": contact["client_id"],
            "unit_id": contact["unit_id"], "sector": contact["sector"], "slot_id": outcome["slot_id"],
            "status": "booked", "reason": "", "moves": "[]", "changed_by": contact["worker_id"],
            "changed_at": in_utc(contact["signed_at"] or contact["updated_at"]),
        }
        if current is not None and change.base_seq < current["seq"] and current["device_id"] != dev.id:
            raise Rejected(Reason.BOOKING_CHANGED, "the booking was changed on another device first", held)
        if held["status"] != "booked":
            raise Rejected(Reason.BOOKING_CHANGED, f"the booking is {held['status']} already", held)
        moves, held_moves = json.loads(data["moves"]), json.loads(held["moves"])
        contact_id = contact["id"]
        if data["slot_id"] != held["slot_id"]:
            if data["status"] != "booked" or moves[:-1] != held_moves or not moves or moves[-1]["slot_id"] != held["slot_id"]:
                raise Rejected(Reason.INVALID, "a move keeps the visit booked and adds the time it leaves to moves")
            new = self._slot(data["slot_id"])
            if new.get("booked_contact_id") not in (None, contact_id):
                raise Rejected(Reason.SLOT_TAKEN, "another device booked this time first", held)
            self._hold(new, contact_id)
            old = self._slot(held["slot_id"])
            if old.get("booked_contact_id") == contact_id:
                self._hold(old, None)
        elif moves != held_moves:
            raise Rejected(Reason.INVALID, "moves change only when the visit moves")
        elif data["status"] == "cancelled":
            slot = self._slot(held["slot_id"])
            if slot.get("booked_contact_id") == contact_id:
                self._hold(slot, None)
        seq = self.log(RecordType.APPOINTMENT, change.record_id, text, contact_row["unit_id"], contact_row["register"])
        self.put(RecordType.APPOINTMENT, change.record_id, text, seq, contact_row["unit_id"], contact_row["register"], contact_id)
        return _accepted(change, seq)

    def _slot(self, slot_id: str) -> dict:
        key = (RecordType.SLOT.value, slot_id)
        if key not in self.records:
            self.load({key}, set(), set())
        return json.loads(self.require(RecordType.SLOT, slot_id)["data"])

    def _hold(self, slot: dict, contact_id: str | None) -> None:
        slot = {**slot, "booked_contact_id": contact_id}
        text = _json(slot)
        seq = self.log(RecordType.SLOT, slot["id"], text, None, None)
        self.put(RecordType.SLOT, slot["id"], text, seq)

    def _booking(self, change: Change, data: dict, _text: str) -> Answer:
        slot = self.require(RecordType.SLOT, data["slot_id"])
        # Both contacts must be the device's own (its unit and register): naming another's
        # contact as the previous holder does not take its slot.
        rows = {}
        for key, role in (("contact_id", "the booking's contact"), ("previous_contact_id", "the previous holder")):
            if data[key]:
                rows[key] = self.require_own_contact(data[key], role)
        if "contact_id" in rows:
            # Only the time its outcome booked: one contact cannot take the region's free
            # times by naming itself in bookings of other slots.
            outcome = json.loads(rows["contact_id"]["data"])["outcome"] or {}
            if outcome.get("kind") != OutcomeKind.BOOKING.value or outcome.get("slot_id") != data["slot_id"]:
                raise Rejected(Reason.INVALID, "the booking's contact did not book this time")
        slot_data = json.loads(slot["data"])
        holder = slot_data.get("booked_contact_id")
        wanted, previous = data["contact_id"], data["previous_contact_id"]
        if wanted is None:  # given back: only by the contact that held it
            if holder is None or holder != previous:
                return _accepted(change, slot["seq"])
        elif holder not in (None, wanted, previous):
            raise Rejected(Reason.SLOT_TAKEN, "another device booked this time first")
        if holder == wanted:
            return _accepted(change, slot["seq"])
        slot_data["booked_contact_id"] = wanted
        text = _json(slot_data)
        seq = self.log(RecordType.SLOT, slot_data["id"], text, None, None)
        self.put(RecordType.SLOT, slot_data["id"], text, seq)
        return _accepted(change, seq)
