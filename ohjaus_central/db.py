"""The central store: devices, the change log with its sequence, the current version of
every record, the answer given to every change, and the conflicts kept.

CentralStore owns the engine and the write transaction (store/database.py) and is composed of
parts, one per kind of data (store/): each public method is reachable here under its name, as
the administrator's commands, the API and the tests call it, and lives in its part.
"""

from __future__ import annotations

from .store.access_log import AccessLog, AccessLogRefused
from .store.callbacks import CallbackRefused, Callbacks
from .store.changes import Changes, Revoked
from .store.clients import Clients
from .store.credentials import Credentials, Device
from .store.database import Database, _Writing
from .store.reference import Loaded, Reference, Retired
from .store.right_to_know import RightToKnow
from .store.workers import CODE_ALPHABET, WORKER_ACTIVE, WORKER_STATUSES, EnrolRefused, Workers

__all__ = [
    "CODE_ALPHABET", "WORKER_ACTIVE", "WORKER_STATUSES", "AccessLogRefused", "CallbackRefused", "CentralStore",
    "Device", "EnrolRefused", "Loaded", "Retired", "Revoked", "_Writing",
]


class _Part:
    """`store.name` is `store.<part>.name`: a part's method reachable on CentralStore."""

    def __init__(self, part: str, name: str | None = None) -> None:
        self.part, self.name = part, name

    def __set_name__(self, _owner, name: str) -> None:
        self.name = self.name or name

    def __get__(self, store, _owner=None):
        if store is None:
            return self
        return getattr(getattr(store, self.part), self.name)


class CentralStore(Database):
    """The engine and the transaction (Database), and the parts that read and write through them."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        super().__init__(url, upgrade=upgrade)
        self.reference = Reference(self)
        self.credentials = Credentials(self, self.reference)
        self.workers = Workers(self, self.reference)
        self.changes = Changes(self)
        self.clients = Clients(self, self.reference, self.changes)
        self.callbacks = Callbacks(self, self.clients)
        self.access_log = AccessLog(self, self.workers, self.clients)
        self.right_to_know = RightToKnow(self)

    # devices and credentials (store/credentials.py)
    add_device = _Part("credentials")
    add_integration = _Part("credentials")
    devices = _Part("credentials")
    integrations = _Part("credentials")
    revoke_device = _Part("credentials")
    revoke_integration = _Part("credentials")
    authenticate = _Part("credentials")
    recognised = _Part("credentials")
    was_valid = _Part("credentials")
    active = _Part("credentials")

    # reference data and the region's files (store/reference.py)
    records = _Part("reference")
    _unit_id = _Part("reference", "unit_id")
    unit_codes = _Part("reference")
    load_reference = _Part("reference")
    retire_slots = _Part("reference")
    slot_states = _Part("reference")
    put_region_files = _Part("reference")
    region_files = _Part("reference")
    slot_sources = _Part("reference")

    # workers (store/workers.py)
    add_worker = _Part("workers")
    worker_by_username = _Part("workers")
    set_worker_status = _Part("workers")
    enrol = _Part("workers")

    # the change log: push and pull (store/changes.py)
    push = _Part("changes")
    submit = _Part("changes")
    pull = _Part("changes")
    conflicts = _Part("changes")
    log_max = _Part("changes")
    log_count = _Part("changes")

    # the clients a unit serves (store/clients.py) and its callback queue (store/callbacks.py)
    knows_client = _Part("clients")
    release_client = _Part("clients")
    released = _Part("clients")
    client_records = _Part("clients")
    push_callback = _Part("callbacks")

    # the access log (store/access_log.py)
    add_access_events = _Part("access_log")
    device_state = _Part("access_log")
    quarantine_reports = _Part("access_log")
    catalogue_refused = _Part("access_log")
    access_log_held = _Part("access_log")
    record_server_access = _Part("access_log")
    client_access_log = _Part("access_log")
    server_access_events = _Part("access_log")
    access_events = _Part("access_log")
