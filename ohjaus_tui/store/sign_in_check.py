"""The passphrase check of a sign-in, on the raw database connection (the DB-API, no ORM).

The sign-in screen is drawn before the full store (SQLModel, half a second of imports) is
open, and the worker's passphrase is checked here without waiting for it, as the list of
names is read (directory.py). The same verifier, the same count of wrong tries in the
database and the same lock-out as ever; `store.sign_in.check_passphrase` is this function.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from ohjaus_core.domain.credentials import MAX_FAILURES, WAIT_SECONDS, Verifier, WeakPassphrase, make_verifier, matches, needs_upgrade
from ohjaus_core.i18n import _
from .directory import connect
from .errors import StoreError


class SignIn(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    WAIT = "wait"  # too many wrong tries: wait until wait_until
    NO_CREDENTIAL = "no_credential"
    LOCKED = "locked"  # locked out on the central API (`ohjaus worker lock`)
    REMOVED = "removed"  # removed on the central API (`ohjaus worker remove`)
    UNKNOWN = "unknown"  # no such worker on this device


@dataclass(frozen=True)
class SignInCheck:
    result: SignIn
    tries_left: int = 0
    wait_until: datetime | None = None


def _stored(moment: datetime) -> str:
    """A moment as this check keeps it: UTC, without an offset (the form SQLAlchemy's
    DateTime writes on SQLite). Before 5.12.2026 the ORM wrote the worker's local wall time
    here and read it back as UTC, as `_read` does: a lock-out written by that code lasts up
    to three hours longer than its minutes, once; every lock-out since is exact."""
    if moment.utcoffset() is None:
        raise ValueError("a sign-in is checked at an aware moment")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _read(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


# The count moves only while sign-in is not waiting (see check_passphrase).
_RIGHT = (
    "UPDATE credential SET failures = 0, wait_until = NULL "
    "WHERE worker_id = :worker AND (wait_until IS NULL OR wait_until <= :now) "
    "RETURNING failures, wait_until"
)
_WRONG = (
    "UPDATE credential SET "
    "failures = CASE WHEN failures + 1 >= :max THEN 0 ELSE failures + 1 END, "
    "wait_until = CASE WHEN failures + 1 >= :max THEN :until ELSE wait_until END "
    "WHERE worker_id = :worker AND (wait_until IS NULL OR wait_until <= :now) "
    "RETURNING failures, wait_until"
)


@contextmanager
def _connection(data_dir: Path) -> Iterator[sqlcipher.Connection]:
    """Autocommit (no transaction is open while the KDF runs; each UPDATE is one of its
    own); a full, read-only or locked database is the store's one-line StoreError."""
    connection = connect(data_dir, isolation_level=None)
    try:
        yield connection
    except sqlcipher.OperationalError as error:
        raise StoreError(
            _("The local store could not be written: {reason}. What is on the screen is kept; "
              "try again.").format(reason=error)
        ) from error
    finally:
        connection.close()


def check_passphrase(data_dir: Path, worker_id: str, passphrase: str, now: datetime) -> SignInCheck:
    """Check a sign-in offline. Wrong tries are counted in the database (a restart does
    not reset them); after MAX_FAILURES in a row sign-in waits WAIT_SECONDS.

    The count moves in one UPDATE ... RETURNING, only while sign-in is not waiting: tries
    made at the same moment (other processes, threads) each get their own count, and
    none is counted past the lock-out or lets a correct one in during it."""
    until = now + timedelta(seconds=WAIT_SECONDS)
    with _connection(data_dir) as connection:
        worker = connection.execute("SELECT status FROM worker WHERE id = ?", (worker_id,)).fetchone()
        if worker is None:
            return SignInCheck(SignIn.UNKNOWN)
        if worker[0] in (SignIn.LOCKED, SignIn.REMOVED):
            return SignInCheck(SignIn(worker[0]))  # before the passphrase: no try counted
        row = connection.execute(
            "SELECT kdf, params, salt, digest, wait_until FROM credential WHERE worker_id = ?", (worker_id,)
        ).fetchone()
        if row is None:
            return SignInCheck(SignIn.NO_CREDENTIAL)
        if (wait_until := _read(row[4])) and wait_until > now:
            return SignInCheck(SignIn.WAIT, wait_until=wait_until)
        verifier = Verifier(row[0], row[1], bytes(row[2]), bytes(row[3]))
        right = matches(passphrase, verifier)  # slow by design: outside any transaction
        values = {"worker": worker_id, "now": _stored(now), "max": MAX_FAILURES, "until": _stored(until)}
        counted = connection.execute(_RIGHT if right else _WRONG, values).fetchall()
        if not counted:  # a try made at the same moment made sign-in wait
            current = connection.execute("SELECT wait_until FROM credential WHERE worker_id = ?", (worker_id,)).fetchone()
            return SignInCheck(SignIn.WAIT, wait_until=_read(current[0]) if current else until)
    if right:
        if needs_upgrade(verifier):
            _upgrade_verifier(data_dir, worker_id, verifier, passphrase)
        return SignInCheck(SignIn.OK)
    failures, wait_until = counted[0]
    if failures == 0:
        return SignInCheck(SignIn.WAIT, wait_until=_read(wait_until) or until)
    return SignInCheck(SignIn.WRONG, tries_left=max(0, MAX_FAILURES - failures))


def _upgrade_verifier(data_dir: Path, worker_id: str, old: Verifier, passphrase: str) -> None:
    """After a right passphrase: today's KDF and cost in place of an older verifier (made
    outside any transaction; written only if the verifier is still the one checked)."""
    try:
        new = make_verifier(passphrase)
    except WeakPassphrase:  # set before today's minimum length: kept until it is changed
        return
    with _connection(data_dir) as connection:
        connection.execute(
            "UPDATE credential SET kdf = ?, params = ?, salt = ?, digest = ? WHERE worker_id = ? AND digest = ?",
            (new.kdf, new.params, new.salt, new.digest, worker_id, old.digest),
        )
