"""One pushed batch, applied in one transaction with a handful of queries.

Validation happens before the batch takes the push lock (`prepare`: checks.py, prepare.py),
against the sync contract's schemas (ohjaus_core/records.py). Under the lock, the batch reads
every record it refers to in one query per record type (state.py), decides every change
against that picture (updated as it goes, so a later change in the batch sees an earlier
one: rules.py, slots.py, merges.py), and writes the change log, the records, the answers
and the conflicts in bulk. The conflict rules are in docs/sync.md.
"""

from .checks import Rejected, _json, validated
from .prepare import CALLBACK_REQUEST, Prepared, callback_record, contact_family, prepare, prepare_push
from .rules import Batch
from .state import TAKEN, among, among_sql, driver_rows, references, stored_answer

__all__ = [
    "CALLBACK_REQUEST", "TAKEN", "Batch", "Prepared", "Rejected", "_json", "among", "among_sql", "callback_record",
    "contact_family", "driver_rows", "prepare", "prepare_push", "references", "stored_answer", "validated",
]
