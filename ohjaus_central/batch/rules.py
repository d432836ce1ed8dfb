"""The rules of a pushed change, by record type, under the push lock: what the server keeps,
what it refuses and why, and the conflicts it records (docs/sync.md)."""

from __future__ import annotations

import json
from datetime import datetime

from ohjaus_core.domain.codes import FollowUpStatus, ServiceArea
from ohjaus_core.protocol import Answer, Change, Reason, RecordType
from .checks import Rejected, _json
from .merges import Merges
from .prepare import CALLBACK_REQUEST, Prepared
from .slots import Bookings
from .state import _accepted


class Batch(Bookings, Merges):
    """A batch of pushed changes: `apply` decides each against the batch's state (state.py),
    booking and visit rules in slots.py, merges in merges.py."""

    def apply(self, item: Prepared) -> Answer:
        change = item.change
        try:
            if item.error is not None:
                raise item.error
            handler = _HANDLERS[change.type]  # (a dict of bound methods made per change was a tenth of this)
            data, text = self._redirected(change, item.data, item.text)
            return handler(self, change, data, text)
        except Rejected as rejection:
            # A rejected change of a record the server has comes back with the server's
            # version, so the device ends as the server is (its own stays in its problem list);
            # only a record the device may see, or the slot as it may see it.
            current = None
            if change.type not in ("contact", "missed_appointment", "merge"):
                current_type = RecordType.SLOT if change.type == "booking" else RecordType(change.type)
                current = self.get(current_type, change.record_id)
                if current is not None and not self.may_see(current_type.value, current):
                    current = None
            data = None
            if current is not None:
                data = json.loads(current["data"])
                if change.type == "booking":
                    data = self.visible_slot(data)
            elif change.type == "callback" and rejection.current is not None and self.may_see("callback", rejection.current):
                # A second record of a request the unit's register holds under its earlier
                # id: that record (only ever the device's own unit's and register's), so the
                # device drops its copy and keeps the unit's (_callback_id_fits).
                current = rejection.current
                data = json.loads(current["data"])
            elif change.type == "appointment" and rejection.current is not None:
                # A visit the server holds no change of: booked where its contact booked it
                # (only ever given once the contact was found to be the device's own).
                data, current = rejection.current, {"seq": self.require(RecordType.CONTACT, change.record_id)["seq"]}
            return Answer(
                change_id=change.id,
                status="rejected",
                reason=rejection.reason,
                detail=rejection.detail,
                current=data,
                seq=current["seq"] if current else None,
            )

    def _client(self, change: Change, data: dict, text: str) -> Answer:
        """A client's identification is kept per unit: the first unit to send the client holds
        the server's record, and its versions go to its own devices; another unit that sends
        the same person (the id derived from the same identity code) comes to know the client
        with the identification it sent, seen by its own devices only. No unit's version
        reaches or overwrites another's (docs/sync.md)."""
        dev = self.device
        current = self.get(RecordType.CLIENT, change.record_id)
        units = self.client_units[change.record_id]
        if current is None:
            seq = self.log(RecordType.CLIENT, change.record_id, text, dev.unit_id, None)
            self.put(RecordType.CLIENT, change.record_id, text, seq, dev.unit_id)
            units.add(dev.unit_id)
            return _accepted(change, seq)
        if current["unit_id"] != dev.unit_id:
            if dev.unit_id not in units and not data["identity_code"]:
                # Ids of clients without a code are random: this one is another unit's.
                raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")
            # The same person at this unit too: its own version, for its own devices.
            units.add(dev.unit_id)
            seq = self.log(RecordType.CLIENT, change.record_id, text, dev.unit_id, None)
            return _accepted(change, seq)
        if current["data"] == text:
            return _accepted(change, current["seq"])
        # A newer version: the later one in server order is kept; when it was made without
        # seeing the current one (another device's), the overwritten one is kept as a conflict.
        concurrent = change.base_seq < current["seq"] and current["device_id"] != dev.id
        previous = current["data"]
        if concurrent and data.get("protected") is False and json.loads(previous).get("protected"):
            # A non-disclosure order is never lifted by a version made without seeing it (a
            # device that had not heard of it, or one that added the client anew).
            data = {**data, "protected": True}
            text = _json(data)
        seq = self.log(RecordType.CLIENT, change.record_id, text, dev.unit_id, None)
        self.put(RecordType.CLIENT, change.record_id, text, seq)
        if concurrent:
            self.conflict(change, Reason.CONCURRENT_EDIT, text, previous)
            return _accepted(change, seq, Reason.CONCURRENT_EDIT)
        return _accepted(change, seq)

    def _contact(self, change: Change, data: dict, text: str) -> Answer:
        dev = self.device
        contact = data["contact"]
        register = ServiceArea(contact["service_area"]).register.value
        if contact["sector"] != register:
            raise Rejected(Reason.INVALID, f"the contact's sector is not its service area's register ({register})")
        if contact["unit_id"] != dev.unit_id or register not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the contact is not of this device's unit and register")
        again = self._recorded_once(
            RecordType.CONTACT, change, text, "a signed contact cannot change; a correction is a new version"
        )
        if again is not None:
            return again
        self.require_worker(contact["worker_id"], "the signer")
        if contact["client_id"]:
            self.require_client(contact["client_id"])
        if contact["supersedes_id"]:
            self.require(RecordType.CONTACT, contact["supersedes_id"])
            self.require_own_contact(contact["supersedes_id"], "the corrected contact")
        if data["outcome"] and data["outcome"]["slot_id"]:
            self.require(RecordType.SLOT, data["outcome"]["slot_id"])
        if contact["for_follow_up_id"]:
            # The follow-up it was taken for: one of the unit's and register's (issue 20).
            followed = self.require(RecordType.FOLLOW_UP, contact["for_follow_up_id"])
            if not self._sees(followed):
                raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up it was taken for is not of this device's unit and register")
        for follow_up in data["follow_ups"]:
            self._check_follow_up(follow_up, contact)
            held = self.get(RecordType.FOLLOW_UP, follow_up["id"])
            if held is not None and held["parent_id"] != contact["id"]:
                raise Rejected(Reason.OUT_OF_SCOPE, "a follow-up of another contact cannot come with this one")
        seq = self.log(RecordType.CONTACT, change.record_id, text, dev.unit_id, register)
        self.put(RecordType.CONTACT, change.record_id, text, seq, dev.unit_id, register, contact["supersedes_id"])
        for follow_up in data["follow_ups"]:
            self.put(RecordType.FOLLOW_UP, follow_up["id"], _json(follow_up), seq, dev.unit_id, register, contact["id"])
        corrected = contact["supersedes_id"]
        if corrected:
            others = self.corrections[corrected] - {change.record_id}
            self.corrections[corrected].add(change.record_id)
            if others:
                self.conflict(change, Reason.TWO_CORRECTIONS, text, _json({"contact_id": sorted(others)[0]}))
                return _accepted(change, seq, Reason.TWO_CORRECTIONS)
        return _accepted(change, seq)

    def _check_follow_up(self, follow_up: dict, contact: dict) -> None:
        """A follow-up's assignee, client and team are of the device's unit (and register)."""
        self.require_worker(follow_up["assignee_id"], "the assignee")
        if follow_up["client_id"] and follow_up["client_id"] != contact["client_id"]:
            self.require_client(follow_up["client_id"])
        if follow_up["team_id"] and follow_up["team_id"] != self.device.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up's team is not this device's unit")

    def _recorded_once(self, record_type: RecordType, change: Change, text: str, why: str) -> Answer | None:
        """For records that never change: the same again gets the same answer, a different
        one under the same id is refused; None when the record is new."""
        current = self.get(record_type, change.record_id)
        if current is None:
            return None
        if current["data"] == text:
            return _accepted(change, current["seq"])
        raise Rejected(Reason.IMMUTABLE, why)

    def _follow_up(self, change: Change, data: dict, text: str) -> Answer:
        dev = self.device
        current = self.get(RecordType.FOLLOW_UP, change.record_id)
        if current is not None and (not self._sees(current) or current["parent_id"] != data["contact_id"]):
            # Another unit's or register's follow-up, or one of another contact: not this device's.
            raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up is not of this device's unit and register")
        contact = self.require(RecordType.CONTACT, data["contact_id"])
        if not self._sees(contact):
            raise Rejected(Reason.OUT_OF_SCOPE, "the follow-up is not of this device's unit and register")
        self._check_follow_up(data, json.loads(contact["data"])["contact"])
        conflict_with = None
        if current is not None:
            if current["data"] == text:
                return _accepted(change, current["seq"])
            concurrent = change.base_seq < current["seq"] and current["device_id"] != dev.id
            closed = json.loads(current["data"])["status"] in (FollowUpStatus.DONE.value, FollowUpStatus.CANCELLED.value)
            if concurrent and closed:
                # A task closed on another device first stays closed.
                raise Rejected(Reason.FOLLOW_UP_CLOSED, "the follow-up was closed on another device first", json.loads(current["data"]))
            if concurrent:
                conflict_with = current["data"]
        seq = self.log(RecordType.FOLLOW_UP, change.record_id, text, contact["unit_id"], contact["register"])
        self.put(RecordType.FOLLOW_UP, change.record_id, text, seq, contact["unit_id"], contact["register"], data["contact_id"])
        if conflict_with is not None:
            self.conflict(change, Reason.CONCURRENT_EDIT, text, conflict_with)
            return _accepted(change, seq, Reason.CONCURRENT_EDIT)
        return _accepted(change, seq)

    def _missed_appointment(self, change: Change, data: dict, text: str) -> Answer:
        """A missed appointment is a fact recorded once: the same again is the same answer,
        a different one under the same id is refused. It is seen by the devices of the unit
        that recorded it that hold its register (sector)."""
        dev = self.device
        if data["unit_id"] != dev.unit_id or data["sector"] not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the missed appointment is not of this device's unit and register")
        again = self._recorded_once(
            RecordType.MISSED_APPOINTMENT, change, text, "a recorded missed appointment cannot change"
        )
        if again is not None:
            return again
        self.require_client(data["client_id"])
        seq = self.log(RecordType.MISSED_APPOINTMENT, change.record_id, text, dev.unit_id, data["sector"])
        self.put(RecordType.MISSED_APPOINTMENT, change.record_id, text, seq, dev.unit_id, data["sector"])
        return _accepted(change, seq)

    def _consent(self, change: Change, data: dict, text: str) -> Answer:
        """A consent is recorded once, at the device's unit, by one of its workers, for a
        client the unit knows; the one change it may have later is its revocation
        (revoked_at from null to a time). It goes to the devices of the unit that recorded it."""
        dev = self.device
        if data["unit_id"] != dev.unit_id or data["to_register"] not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the consent is not of this device's unit and register")
        current = self.get(RecordType.CONSENT, change.record_id)
        if current is not None:
            if current["unit_id"] != dev.unit_id:
                raise Rejected(Reason.OUT_OF_SCOPE, "the consent is not of this device's unit and register")
            if current["data"] == text:
                return _accepted(change, current["seq"])
            held = json.loads(current["data"])
            revoked = held["revoked_at"] is None and data["revoked_at"] is not None
            if not revoked or {**held, "revoked_at": None} != {**data, "revoked_at": None}:
                raise Rejected(Reason.IMMUTABLE, "a recorded consent cannot change; it can only be revoked, once")
        self.require_worker(data["recorded_by"], "recorded_by")
        self.require_client(data["client_id"])
        seq = self.log(RecordType.CONSENT, change.record_id, text, dev.unit_id, None)
        self.put(RecordType.CONSENT, change.record_id, text, seq, dev.unit_id, None, data["client_id"])
        return _accepted(change, seq)

    def _callback_id_fits(self, record_id: str, data: dict, current: dict | None) -> None:
        """A callback request new to this device's unit and register has the id derived from
        the unit, the register and its source, or a fresh random id without a source: no unit
        takes the id another unit's request will get. Asked before whether the id is held elsewhere, so
        the answer is the same either way. The unit's requests held under the id made before
        5.12.2026 keep it; a second record of one of them is refused with the held one (the
        device's own unit's and register's, never another's), which the device takes in place
        of its copy."""
        from ohjaus_core.domain.callbacks import id_fits, legacy_callback_id

        if current is not None and self._sees(current):
            return  # an update: judged by the rules below
        if not id_fits(record_id, self.device.unit_id, data["sector"], data["source"]):
            raise Rejected(
                Reason.INVALID, "a new callback request's id is derived from its unit, register and source (random without one)",
            )
        if current is None and data["source"]:
            key = (RecordType.CALLBACK.value, legacy_callback_id(data["source"]))
            if key not in self.records:
                self.load({key}, set(), set())
            earlier = self.records[key]
            if earlier is not None and self._sees(earlier) and earlier["register"] == data["sector"]:
                raise Rejected(Reason.INVALID, "the unit holds this callback request under its earlier id", earlier)

    def _callback(self, change: Change, data: dict, text: str) -> Answer:
        """A callback request of the unit's shared queue: the first take to reach the
        server wins, a done one stays done, a reopen comes only from the device that took
        it. Seen by the unit's devices that hold its register (sector)."""
        dev = self.device
        if data["unit_id"] != dev.unit_id or data["sector"] not in dev.registers:
            raise Rejected(Reason.OUT_OF_SCOPE, "the callback request is not of this device's unit and register")
        if data["taken_by"]:
            self.require_worker(data["taken_by"], "taken_by")
        if data["client_id"]:
            self.require_client(data["client_id"])
        # `contact_id` is not looked up: the contact of a take is a draft, not on the server
        # until signed, so a missing one is accepted; one of another unit or register refused
        # instead would tell the device that the id exists (TRUST.md: a rejection never
        # echoes a record the device may not see). A device holds a contact it does not
        # hold as NULL, and the request goes only to its unit's devices of its register.
        current = self.get(RecordType.CALLBACK, change.record_id)
        self._callback_id_fits(change.record_id, data, current)
        if current is not None:
            if current["data"] == text:
                return _accepted(change, current["seq"])
            if not self._sees(current):
                raise Rejected(Reason.OUT_OF_SCOPE, "the callback request is not of this device's unit and register")
            held = json.loads(current["data"])
            status, was = data["status"], held["status"]
            kept = Answer(
                change_id=change.id, status="accepted", seq=current["seq"], current=held,
                detail="the server's version is kept",
            )
            mine = current["device_id"] == dev.id
            # A call without an answer that the server has not had: a later latest attempt.
            called = data["last_attempt_at"] is not None and (
                held["last_attempt_at"] is None
                or datetime.fromisoformat(data["last_attempt_at"]) > datetime.fromisoformat(held["last_attempt_at"])
            )
            if called and status == "open" and was == "open" and not mine and change.base_seq < current["seq"]:
                # Two workers called the same caller without an answer at the same time: the
                # first call to reach the server counts, the other device takes its version.
                raise Rejected(Reason.CALLBACK_TAKEN, "another worker called this caller first", held)
            if status == "open" and not called and not mine and change.base_seq < current["seq"]:
                # Imported again on a device that had not seen the server's version (or opened
                # there before it saw the take): nothing to decide, the device takes the server's.
                return kept
            if any(data[key] != held[key] for key in CALLBACK_REQUEST):
                raise Rejected(Reason.IMMUTABLE, "a callback request is the phone system's: it cannot change", held)
            same_take = (data["taken_by"], data["contact_id"]) == (held["taken_by"], held["contact_id"])
            if was in ("done", "cancelled"):
                if status == was and same_take and data["result"] == held["result"]:
                    return kept
                raise Rejected(Reason.CALLBACK_TAKEN, "the callback request was done on another device first", held)
            if was == "open":
                if status == "open" and not called:
                    if change.base_seq < current["seq"] or data["attempts"] <= held["attempts"]:
                        return kept
                    # Calls made on a copy before the unit's latest call, carried over by a
                    # device that has seen this version: counted, nothing else of it is taken.
                    data = {**held, "attempts": data["attempts"], **_attempt_span(held, data)}
                    text = _json(data)
            elif status == "open":  # a reopen of a taken one: from the device that took it
                if not mine:
                    raise Rejected(Reason.CALLBACK_TAKEN, "another worker has taken this callback request", held)
            elif status == "taken":
                if not same_take:
                    raise Rejected(Reason.CALLBACK_TAKEN, "another worker took this callback request first", held)
                return kept
            elif not (mine or data["contact_id"] == held["contact_id"]):  # done by another
                raise Rejected(Reason.CALLBACK_TAKEN, "another worker took this callback request first", held)
            if held["attempts"] > data["attempts"]:
                # Calls recorded on another device that this one had not seen are kept.
                data = {**data, **{key: held[key] for key in ("attempts", "first_attempt_at", "last_attempt_at")}}
                text = _json(data)
        seq = self.log(RecordType.CALLBACK, change.record_id, text, dev.unit_id, data["sector"])
        self.put(RecordType.CALLBACK, change.record_id, text, seq, dev.unit_id, data["sector"])
        return _accepted(change, seq)


def _attempt_span(held: dict, data: dict) -> dict:
    """The first and the latest call of both versions of a callback request."""
    span = {}
    for key, pick in (("first_attempt_at", min), ("last_attempt_at", max)):
        times = [t for t in (held[key], data[key]) if t is not None]
        span[key] = pick(times, key=datetime.fromisoformat) if times else None
    return span


_HANDLERS = {
    kind: getattr(Batch, f"_{kind}")
    for kind in ("client", "contact", "follow_up", "booking", "missed_appointment", "consent", "callback", "appointment", "merge")
}
