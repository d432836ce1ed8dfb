"""Devices and integrations (a phone system's credential) and their credentials: enrolled,
listed, revoked, and recognised at every request (a valid credential remembered a few seconds)."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ohjaus_core.domain.codes import Register
from ohjaus_core.protocol import demo_token
from ohjaus_core.settings import settings
from ..tables import device, integration
from .database import Database, now, token_hash
from .reference import Reference

AUTH_CACHE_SECONDS = settings().auth_cache
AUTH_CACHE_SIZE = 10_000  # credentials remembered (valid ones only): more than a region's devices


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    unit_id: str
    unit_code: str
    registers: tuple[str, ...]
    integration: bool = False  # a phone system's credential: POST /v1/callbacks only


class Credentials:
    def __init__(self, db: Database, reference: Reference) -> None:
        self.db, self.reference = db, reference
        self._auth_cache: OrderedDict[str, tuple[float, Device]] = OrderedDict()
        self._auth_lock = threading.Lock()

    def add_device(self, unit_code: str, registers: list[str], name: str) -> tuple[str, str]:
        """Enrol a device for a unit and its registers; returns (device id, credential).
        Only a hash of the credential is kept."""
        return self._add(device, unit_code, registers, name)

    def add_integration(self, unit_code: str, registers: list[str], name: str) -> tuple[str, str]:
        """A phone system's credential for one unit and its registers (POST /v1/callbacks
        only); returns (id, credential). Only a hash of the credential is kept."""
        return self._add(integration, unit_code, registers, name)

    def _add(self, table, unit_code: str, registers: list[str], name: str) -> tuple[str, str]:
        unit_id = self.reference.unit_id(unit_code)
        for register in registers:
            Register(register)
        new_id = str(uuid.uuid4())
        token = f"{new_id}.{secrets.token_urlsafe(32)}"
        self._insert(table, new_id, name, unit_id, unit_code, registers, token)
        return new_id, token

    def _insert(self, table, new_id, name, unit_id, unit_code, registers, token) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(
                insert(table).values(
                    id=new_id, name=name[:200], unit_id=unit_id, unit_code=unit_code,
                    registers=",".join(registers), token_hash=token_hash(token), created_at=now(),
                )
            )

    def devices(self) -> list[dict]:
        return self._listed(device)

    def integrations(self) -> list[dict]:
        return self._listed(integration)

    def _listed(self, table) -> list[dict]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.created_at)).mappings()
            return [{k: v for k, v in row.items() if k != "token_hash"} for row in rows]

    def revoke_device(self, device_id: str) -> bool:
        return self._revoke(device, device_id)

    def revoke_integration(self, integration_id: str) -> bool:
        return self._revoke(integration, integration_id)

    def _revoke(self, table, revoked_id: str) -> bool:
        with self.db.engine.begin() as conn:
            result = conn.execute(
                update(table).where(table.c.id == revoked_id).where(table.c.revoked_at.is_(None)).values(revoked_at=now())
            )
            return result.rowcount == 1

    def active(self, dev: Device) -> bool:
        """Whether the credential is still valid (not revoked since it was checked): a device's
        in the device table, a phone system's in the integration table."""
        table = integration if dev.integration else device
        with self.db.engine.connect() as conn:
            return conn.execute(
                select(table.c.id).where(table.c.id == dev.id).where(table.c.revoked_at.is_(None))
            ).first() is not None

    # -- at every request ---------------------------------------------------------------------

    def authenticate(self, token: str, *, demo: bool) -> Device | None:
        """The device a credential belongs to, or None. A known credential is remembered
        for AUTH_CACHE_SECONDS (default 5): a revocation takes effect within that time.
        Only credentials that were valid are remembered, the last AUTH_CACHE_SIZE of them."""
        cached = self._auth_cache.get(token)
        if cached is not None and time.monotonic() - cached[0] < AUTH_CACHE_SECONDS:
            return cached[1]
        found = self._authenticate(token, demo)
        with self._auth_lock:
            if found is None:
                self._auth_cache.pop(token, None)
            else:
                self._auth_cache[token] = (time.monotonic(), found)
                self._auth_cache.move_to_end(token)
                while len(self._auth_cache) > AUTH_CACHE_SIZE:
                    self._auth_cache.popitem(last=False)
        return found

    def recognised(self, token: str) -> Device | None:
        """The device of a credential checked recently (within AUTH_CACHE_SECONDS), with no
        database work; None when it must be checked."""
        cached = self._auth_cache.get(token)
        if cached is not None and time.monotonic() - cached[0] < AUTH_CACHE_SECONDS:
            return cached[1]
        return None

    def was_valid(self, token: str) -> bool:
        """Whether the credential was valid when last checked (it is checked again, but not
        counted against its address as an unknown one is)."""
        return token in self._auth_cache

    def _authenticate(self, token: str, demo: bool) -> Device | None:
        device_id = token.split(".")[1] if token.startswith("demo.") else token.split(".")[0]
        with self.db.engine.connect() as conn:
            row = conn.execute(select(device).where(device.c.id == device_id)).mappings().first()
        if row is None:
            with self.db.engine.connect() as conn:
                row = conn.execute(select(integration).where(integration.c.id == device_id)).mappings().first()
            if row is not None:
                return _valid(row, token, integration=True)
        if row is not None:
            return _valid(row, token, integration=False)
        if demo and token.startswith("demo."):
            return self._enrol_demo(token)
        return None

    def _enrol_demo(self, token: str) -> Device | None:
        parts = token.split(".")
        if len(parts) != 5:
            return None
        _demo, device_id, unit_code, registers, _mac = parts
        if not hmac.compare_digest(token, demo_token(device_id, unit_code, registers.split("+"))):
            return None
        try:
            unit_id = self.reference.unit_id(unit_code)
            uuid.UUID(device_id)
        except (KeyError, ValueError):
            return None
        for attempt in range(20):
            try:
                with self.db._push_lock:  # one writer in this process; SQLite's busy wait beside others
                    self._insert(device, device_id, f"demo {unit_code}", unit_id, unit_code, registers.split("+"), token)
                break
            except IntegrityError:  # enrolled meanwhile by a parallel request
                break
            except OperationalError:  # the database was busy: try again shortly
                time.sleep(0.05 * (attempt + 1))
        return self._authenticate(token, demo=False)


def _valid(row, token: str, *, integration: bool) -> Device | None:
    if row["revoked_at"] is not None or not hmac.compare_digest(row["token_hash"], token_hash(token)):
        return None
    return Device(
        row["id"], row["name"], row["unit_id"], row["unit_code"], tuple(row["registers"].split(",")),
        integration=integration,
    )
