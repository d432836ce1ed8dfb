"""Duplicates and their merge under the push lock (issue 20): a client recorded with a
temporary identity code, or none, merged by a team lead into the client with the real code,
and later changes naming the merged client taken as naming the real one."""

from __future__ import annotations

import json

from ohjaus_core.protocol import Answer, Change, Reason, RecordType
from .checks import Rejected, _json
from .state import RECORD_COLUMNS, BatchState, _accepted, driver_rows


class Merges(BatchState):
    def _merge(self, change: Change, data: dict, text: str) -> Answer:
        """A team lead of the device's unit merges a client the unit knows, recorded with a
        temporary identity code (or none), into one with the real code. The merged client's
        records at the unit move to the real client on the server (the stored versions; the
        change log keeps what was sent, and each device moves its own when the merge reaches
        it); a change naming the merged client later is taken as naming the real one."""
        dev = self.device
        if data["unit_id"] != dev.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "the merge is not of this device's unit")
        # Unknown and another unit's clients are refused alike (the answer tells no ids).
        self.require_client(change.record_id)
        self.require_client(data["into_id"])
        worker = json.loads(self.require_worker(data["worker_id"], "the merging worker")["data"])
        if worker.get("role") != "team_lead":
            raise Rejected(Reason.NOT_PERMITTED, "only a team lead may merge clients")
        current = self.get(RecordType.MERGE, change.record_id)
        # A merge is stored under the merged client's id alone: one made at another unit
        # (two units may know one temporary-code client) is refused as an unknown client
        # is, telling nothing of it; this unit cannot merge that client (review of issue 20).
        if current is not None and current["unit_id"] != dev.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")
        if current is not None:
            if json.loads(current["data"])["into_id"] == data["into_id"]:
                return _accepted(change, current["seq"])  # the same merge again, from any device
            raise Rejected(Reason.IMMUTABLE, "the client was merged into another client already")
        into = self.get(RecordType.MERGE, data["into_id"])
        if into is not None and into["unit_id"] != dev.unit_id:
            raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")
        if into is not None:
            raise Rejected(Reason.INVALID, "the client to merge into was itself merged into another")
        source, target = self._own_client(change.record_id), self._own_client(data["into_id"])
        if source["identity_code"] and not source["identity_temporary"]:
            raise Rejected(Reason.INVALID, "only a client with a temporary identity code or none is merged")
        if not target["identity_code"] or target["identity_temporary"]:
            raise Rejected(Reason.INVALID, "a client is merged into one with a real identity code")
        seq = self.log(RecordType.MERGE, change.record_id, text, dev.unit_id, None)
        self.put(RecordType.MERGE, change.record_id, text, seq, dev.unit_id, None, data["into_id"])
        self._move_records(change.record_id, data["into_id"])
        return _accepted(change, seq)

    def _own_client(self, client_id: str) -> dict:
        """The client as the device's unit identified it: the server's record is the first
        unit's, and another unit's version never decides what this unit may do."""
        row = self.require(RecordType.CLIENT, client_id)
        unit = self.device.unit_id
        if row["unit_id"] == unit:
            return json.loads(row["data"])
        for logged in reversed(self.log_rows):  # this batch's own, not yet written
            if (logged["record_type"], logged["record_id"], logged["unit_id"]) == (RecordType.CLIENT.value, client_id, unit):
                return json.loads(logged["data"])
        rows = driver_rows(
            self.conn,
            "SELECT data FROM change_log WHERE record_type = ? AND record_id = ? AND unit_id = ? ORDER BY seq DESC LIMIT 1",
            [RecordType.CLIENT.value, client_id, unit],
        )
        if not rows:
            raise Rejected(Reason.OUT_OF_SCOPE, "no such client at this device's unit")
        return json.loads(rows[0][0])

    def _move_records(self, from_id: str, into_id: str) -> None:
        """The unit's stored records of the merged client, rewritten to the real client in
        place (same sequence: no new version goes out; the merge itself does)."""
        marker = f'%"client_id":"{from_id}"%'
        rows = driver_rows(
            self.conn,
            f"SELECT {', '.join(RECORD_COLUMNS)} FROM record WHERE unit_id = ? AND data LIKE ? "
            f"AND record_type IN ({', '.join('?' for _ in MOVED_TYPES)})",
            [self.device.unit_id, marker, *MOVED_TYPES],
        )
        held = {(row[0], row[1]): dict(zip(RECORD_COLUMNS, row)) for row in rows}
        for key, row in self.records.items():  # this batch's own, not yet written
            if row is not None and key[0] in MOVED_TYPES and row["unit_id"] == self.device.unit_id:
                held[key] = row
        for key, row in held.items():
            data = json.loads(row["data"])
            if not _redirect_client(key[0], data, {from_id: into_id}):
                continue
            moved = {**(self.records.get(key) or row), "data": _json(data)}
            self.records[key] = moved
            if key in self.new_records:
                self.new_records[key] = moved
            else:
                self.changed_records[key] = moved

    def _redirected(self, change: Change, data: dict | None, text: str) -> tuple[dict | None, str]:
        """A change naming a client merged at the device's unit, as naming the real client
        (a device that had not heard of the merge, e.g. one offline when it was made)."""
        if data is None or change.type in ("client", "merge", "booking"):
            return data, text
        merges: dict[str, str] = {}
        for client_id in _client_ids(change.type, data):
            merge = self.get(RecordType.MERGE, client_id)
            if merge is not None and merge["unit_id"] == self.device.unit_id:
                merges[client_id] = merge["parent_id"]
        if not merges:
            return data, text
        data = json.loads(text)
        _redirect_client(change.type, data, merges)
        self.load(set(), set(merges.values()), set())  # whether the unit knows the real one
        return data, _json(data)


MOVED_TYPES = (
    RecordType.CONTACT.value, RecordType.FOLLOW_UP.value, RecordType.MISSED_APPOINTMENT.value,
    RecordType.CONSENT.value, RecordType.CALLBACK.value, RecordType.APPOINTMENT.value,
)


def _client_ids(record_type: str, data: dict) -> list[str]:
    """The clients a pushed record names."""
    if record_type == RecordType.CONTACT.value:
        ids = [data["contact"]["client_id"], *(f["client_id"] for f in data["follow_ups"])]
    else:
        ids = [data.get("client_id")]
    return [client_id for client_id in ids if client_id]


def _redirect_client(record_type: str, data: dict, merges: dict[str, str]) -> bool:
    """Rename the merged clients in a record (in place); whether anything changed."""
    rows = [data["contact"], *data["follow_ups"]] if record_type == RecordType.CONTACT.value else [data]
    changed = False
    for row in rows:
        if row.get("client_id") in merges:
            row["client_id"], changed = merges[row["client_id"]], True
    return changed
