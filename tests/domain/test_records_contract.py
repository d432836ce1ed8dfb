"""The sync contract (ohjaus_core/records.py): one schema per record type, versioned; what a
device pushes is written through it and read back by the central API's checks unchanged."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from sqlmodel import select

from ohjaus_central.batch import prepare
from ohjaus_core import records
from ohjaus_core.protocol import PUSHED_TYPES, Change, RecordType
from ohjaus_tui.store import models
from ohjaus_tui.store.sync_side import _FAMILY, _PUSHED, dump

# The fingerprint of each contract version's schemas (fields, types, defaults). A change of a
# schema changes the fingerprint: raise CONTRACT_VERSION and add its line (docs/sync.md).
FINGERPRINTS = {
    1: "3df66b48d7bca71509219d79f9bda752ecd162297177653aa62c81096b99fb03",
    2: "81fdc1665b1010d012bef305c8eebc08855d640efbe300e518417a18654ddc66",  # Catalogue.optional
}


def fingerprint() -> str:
    schemas = sorted(
        (value for value in vars(records).values() if isinstance(value, type) and issubclass(value, records.Record)),
        key=lambda schema: schema.__name__,
    )
    described = [
        [schema.__name__, str(schema.record_type), [
            [name, str(field.annotation), field.is_required(), None if field.is_required() else repr(field.default)]
            for name, field in schema.model_fields.items()
        ]]
        for schema in schemas
    ]
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()


def test_every_record_type_has_one_schema():
    assert set(records.SCHEMAS) == set(RecordType)
    assert all(schema.record_type == record_type for record_type, schema in records.SCHEMAS.items())


def test_a_changed_schema_raises_the_contract_version():
    assert fingerprint() == FINGERPRINTS[records.CONTRACT_VERSION], (
        "a schema of ohjaus_core/records.py changed: raise CONTRACT_VERSION and record its fingerprint"
    )


def test_a_record_with_a_field_the_contract_does_not_name_is_refused():
    client = {"id": "x", "first_name": "A", "last_name": "B", "created_at": "2026-12-01T09:00:00+02:00"}
    assert records.Client.model_validate(client).language == "fi"
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        records.Client.model_validate({**client, "nickname": "Ab"})


@pytest.mark.parametrize("table, schema", [*_PUSHED.items(), *((t, s) for t, s, _c in _FAMILY.values())])
def test_a_device_table_holds_every_field_of_the_schema_it_is_pushed_through(table, schema):
    """A device's table may hold more than travels, never less, and of the same types."""
    columns = table.model_fields
    for name, field in schema.model_fields.items():
        assert name in columns, f"{table.__name__} has no {name}"
        assert str(columns[name].annotation) == str(field.annotation), (table.__name__, name)


def test_every_change_a_demo_device_makes_passes_the_central_apis_checks_as_written(store):
    """The demo device's outbox (clients, signed contacts, follow-ups, callbacks, missed
    appointments, bookings) read by the server's checks: none refused, and each stored as
    the device wrote it (the server's normal form of the device's own text)."""
    with store.transaction() as session:
        outbox = session.exec(select(models.Outbox).order_by(models.Outbox.seq)).all()
        clients = session.exec(select(models.Client)).all()
        dumped = {client.id: dump(client) for client in clients}
    kinds = set()
    for entry in outbox:
        change = Change(id=entry.change_id, type=entry.record_type, record_id=entry.record_id, data=json.loads(entry.data))
        prepared = prepare(change)
        assert prepared.error is None, (entry.record_type, prepared.error.detail)
        if entry.record_type in ("client", "follow_up", "missed_appointment", "booking"):
            # Times in UTC (consents, callbacks) are the server's own normal form; these go as sent.
            assert json.loads(prepared.text) == json.loads(entry.data)
        kinds.add(entry.record_type)
    assert {"client", "contact", "booking", "callback", "missed_appointment"} <= kinds
    assert kinds <= {t.value for t in PUSHED_TYPES}
    # What dump writes of a row is what the schema reads back.
    for data in dumped.values():
        assert records.Client.model_validate(data).model_dump(mode="json") == data


def test_the_central_api_imports_nothing_of_the_device():
    code = "import sys, ohjaus_central.app, ohjaus_central.serve, ohjaus_central.region; " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ohjaus_tui'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
