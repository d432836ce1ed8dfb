"""Demo devices and a real central server (`serve --demo`) over loopback: a demo device's own
synthetic records are all accepted, whatever registers the device holds. SQLite and
PostgreSQL (skipped with a reason when none is reachable)."""

from __future__ import annotations

import json
from datetime import date, datetime

from ohjaus_core.domain.clock import HELSINKI, local, now
from ohjaus_core.domain.codes import Register
from ohjaus_core.i18n import format_moment
from ohjaus_core.protocol import RecordType

from ..sync_helpers import f6_rows, signed_in


def _missed(device) -> list[dict]:
    return [row for row in device.store.export_records() if row["type"] == "missed_appointment"]


def test_no_change_of_a_health_and_a_social_demo_device_is_rejected(server, devices):
    # Enough clients for the demo's frequent callers (every 25th) to have missed appointments.
    health = devices("health", "JL-KESK", ("health",), contacts=20, clients=100)
    social = devices("social", "JL-KESK", ("social",), contacts=20, clients=100)
    missed = _missed(social)
    assert missed, "the social demo made no missed appointments: the test would prove nothing"
    for device in (health, social):
        first = device.sync()
        problems = device.store.outbox.sync_problems()
        assert (first.rejected, first.conflicts) == (0, 0), [
            (p.record_type, p.reason, p.detail, json.loads(p.data).get("sector")) for p in problems
        ]
        assert problems == [] and first.pending == 0
        assert first.accepted == first.pushed > 0
    # The social device's missed appointments are social ones, and reached the central API.
    assert {row["sector"] for row in missed} == {"social"}
    central = server.central()
    try:
        held = central.records(RecordType.MISSED_APPOINTMENT)
    finally:
        central.close()
    assert {row["id"] for row in missed} <= set(held)


async def test_a_refused_missed_appointment_is_named_by_its_time_in_f6_and_the_rest_goes_through(server, devices):
    """One record the central API refuses (a missed appointment in a register the device does
    not hold) stops nothing: the device's other changes are accepted, nothing waits, and F6
    says which missed appointment it was (its time) and why."""
    device = devices("health", "JL-KESK", ("health",))
    client = device.add_client(date(1984, 4, 4), 931, "Milla")
    device.sign_contact(client.id, "Kuumetta")
    starts = datetime(2026, 11, 25, 9, 5, tzinfo=HELSINKI)
    wrong = device.store.bookings.record_missed_appointment(
        client.id, starts, device.worker().unit_id, now(), register=Register.SOCIAL
    )
    result = device.sync()
    assert (result.rejected, result.pending) == (1, 0)
    assert result.accepted == result.pushed - 1 > 0
    assert [(p.record_id, p.reason) for p in device.store.outbox.sync_problems()] == [(wrong.id, "out_of_scope")]
    async with signed_in(device) as (app, pilot):
        rows = await f6_rows(app, pilot)
    assert len(rows) == 1
    assert rows[0].endswith(
        f" Rejected Missed appointment {format_moment(local(starts))} Not of this device's unit or register"
    ), rows
