"""`ohjaus export`: the local records of the worker's register, as JSON Lines or CSV.

An export is a disclosure: it needs a worker whose role may export, their passphrase, a
file they name, and the purpose and recipient; every client in it gets an access-log entry
(action export) in the same run, before the file is written. The file is created new (an
existing file is never overwritten) and readable by its owner only.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from ohjaus_core.domain.access_log import AccessAction, Purpose
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.spreadsheet import DELIMITER, open_new, safe_row
from ohjaus_core.domain.viewer import Permission, Viewer
from ohjaus_core.i18n import _
from .store.models import RECORD_TYPES
from .store.store import Store


def csv_columns() -> list[str]:
    columns: list[str] = []
    for model in RECORD_TYPES.values():
        for name in model.model_fields:
            if name not in columns and name != "id":
                columns.append(name)
    return ["type", "id", *columns]


def export(store: Store, viewer: Viewer, fmt: str, out: Path, purpose: str, recipient: str, now) -> tuple[int, int]:
    """Write the export; returns (records, clients)."""
    viewer.require(Permission.EXPORT)
    if not purpose.strip():
        raise DomainError(_("Say what the export is for (--purpose)."))
    if len(purpose) > 500 or len(recipient) > 500:
        raise DomainError(_("At most {n} characters.").format(n=500))
    records = list(store.export_records(viewer))
    clients = [r["id"] for r in records if r["type"] == "client"]
    # Logged first: a file written without its log entries must never happen; entries
    # for a file that then failed to be written say so by the recipient.
    store.protection.log_access(
        viewer, clients, AccessAction.EXPORT, "export", f"{Purpose.EXPORT.value}:{purpose.strip()}",
        now, viewer.register, recipient=f"{recipient.strip() or '-'} ({out})",
    )
    with open_new(out) as handle:
        if fmt == "csv":
            handle.write("\ufeff")  # the byte-order mark: a Finnish Excel then reads UTF-8
            writer = csv.DictWriter(handle, fieldnames=csv_columns(), delimiter=DELIMITER)
            writer.writeheader()
            writer.writerows(safe_row(record) for record in records)
        else:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return len(records), len(clients)
