"""A pulled record becomes the same rows whichever way the apply checks it (issue 18: the
rows are made with each model's own pydantic validator, without the ORM object that
`model_validate` builds). Real server on loopback, fresh device stores: every row of a record
table comes by pull, in pages of 500 so that each page is applied while the next
one is on its way."""

from __future__ import annotations

from ohjaus_tui.store import sync_apply
from ohjaus_tui.store.directory import connect

from ..sync_helpers import Device

# The tables pulled records become (local-only tables - settings, outbox, access log - aside).
RECORD_TABLES = (
    "unit", "worker", "professional", "client", "contact", "assessment", "segment", "outcome",
    "follow_up", "slot", "consent", "callback", "appointment", "missed_appointment", "sync_record",
)


def _rows(device: Device) -> dict[str, list[tuple]]:
    connection = connect(device.path)
    try:
        return {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in RECORD_TABLES}
    finally:
        connection.close()


def _orm_validated_row(model: type, data: dict) -> dict:
    return model.model_validate(data).model_dump()


def test_a_pull_stores_the_same_rows_byte_for_byte_as_the_orm_validated_apply(server, devices, tmp_path, monkeypatch):
    source = devices("source", contacts=12, clients=15)
    source.sync()
    pulled = Device(tmp_path / "fresh", server.url)
    pulled.sync(page=500)
    monkeypatch.setattr(sync_apply, "_row", _orm_validated_row)
    reference = Device(tmp_path / "reference", server.url)
    reference.sync(page=500)
    try:
        fresh_rows, reference_rows = _rows(pulled), _rows(reference)
        assert len(fresh_rows["contact"]) >= 12 and len(fresh_rows["follow_up"]) >= 1
        assert len(fresh_rows["client"]) >= 15 and len(fresh_rows["slot"]) >= 100
        for table in RECORD_TABLES:
            assert fresh_rows[table] == reference_rows[table], table
            assert [tuple(map(type, row)) for row in fresh_rows[table]] == [
                tuple(map(type, row)) for row in reference_rows[table]
            ], table
    finally:
        pulled.close()
        reference.close()
