"""`ohjaus export`: every local record, as JSON Lines (one object a line) or CSV."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from .store.models import RECORD_TYPES
from .store.store import Store


@contextmanager
def _output(out: Path | None) -> Iterator[IO[str]]:
    if out is None:
        yield sys.stdout
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        yield handle


def csv_columns() -> list[str]:
    columns: list[str] = []
    for model in RECORD_TYPES.values():
        for name in model.model_fields:
            if name not in columns and name != "id":
                columns.append(name)
    return ["type", "id", *columns]


def export(data_dir: Path, fmt: str, out: Path | None) -> int:
    store = Store(data_dir)
    count = 0
    try:
        with _output(out) as handle:
            if fmt == "csv":
                writer = csv.DictWriter(handle, fieldnames=csv_columns())
                writer.writeheader()
                for record in store.export_records():
                    writer.writerow(record)
                    count += 1
            else:
                for record in store.export_records():
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                    count += 1
    finally:
        store.close()
    return count
