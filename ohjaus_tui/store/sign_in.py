"""Signing in on the device: the workers' passphrase verifiers and the count of wrong tries,
checked offline. A repository of the Store (store.sign_in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, literal, update

from ohjaus_core.domain.credentials import MAX_FAILURES, WAIT_SECONDS, Verifier, WeakPassphrase, make_verifier, matches, needs_upgrade
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import _
from .models import Credential, Worker
from .repository import Repository



class SignIn(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    WAIT = "wait"  # too many wrong tries: wait until wait_until
    NO_CREDENTIAL = "no_credential"
    LOCKED = "locked"  # locked out on the central API (`ohjaus worker lock`)
    REMOVED = "removed"  # removed on the central API (`ohjaus worker remove`)


@dataclass(frozen=True)
class SignInCheck:
    result: SignIn
    tries_left: int = 0
    wait_until: datetime | None = None



def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # the store keeps times in UTC
    return moment



class SignInRepository(Repository):
    """store.sign_in"""

    def set_passphrase(self, worker_id: str, passphrase: str, now: datetime, cost: dict | None = None) -> None:
        verifier = make_verifier(passphrase, cost)
        with self.session() as session:
            if session.get(Worker, worker_id) is None:
                raise DomainError(_("Unknown worker."))
        self.set_verifiers({worker_id: verifier}, now)

    def has_passphrase(self, worker_id: str) -> bool:
        """Whether the worker can sign in on this device (a verifier is held here)."""
        with self.session() as session:
            return session.get(Credential, worker_id) is not None

    def set_verifiers(self, verifiers: dict[str, Verifier], now: datetime) -> None:
        """Verifiers made elsewhere (the demo makes one for all its workers)."""
        with self.session() as session:
            for worker_id, verifier in verifiers.items():
                session.merge(
                    Credential(
                        worker_id=worker_id, kdf=verifier.kdf, params=verifier.params,
                        salt=verifier.salt, digest=verifier.digest, set_at=now,
                    )
                )
            session.commit()

    def check_passphrase(self, worker_id: str, passphrase: str, now: datetime) -> SignInCheck:
        """Check a sign-in offline. Wrong tries are counted in the database (a restart does
        not reset them); after MAX_FAILURES in a row sign-in waits WAIT_SECONDS.

        The count moves in one UPDATE ... RETURNING, only while sign-in is not waiting: tries
        made at the same moment (other processes, threads) each get their own count, and
        none is counted past the lock-out or lets a correct one in during it."""
        with self.session() as session:
            worker = session.get(Worker, worker_id)
            if worker is not None and worker.status in (SignIn.LOCKED, SignIn.REMOVED):
                return SignInCheck(SignIn(worker.status))  # before the passphrase: no try counted
            row = session.get(Credential, worker_id)
            if row is None:
                return SignInCheck(SignIn.NO_CREDENTIAL)
            if (wait_until := _aware(row.wait_until)) and wait_until > now:
                return SignInCheck(SignIn.WAIT, wait_until=wait_until)
            verifier = Verifier(row.kdf, row.params, row.salt, row.digest)
        right = matches(passphrase, verifier)  # slow by design: outside any transaction
        table = Credential.__table__
        not_waiting = (table.c.worker_id == worker_id) & (table.c.wait_until.is_(None) | (table.c.wait_until <= now))
        until = now + timedelta(seconds=WAIT_SECONDS)
        with self.session() as session:
            if right:
                statement = update(table).where(not_waiting).values(failures=0, wait_until=None)
            else:
                locks = table.c.failures + 1 >= MAX_FAILURES
                statement = (
                    update(table)
                    .where(not_waiting)
                    .values(
                        failures=case((locks, 0), else_=table.c.failures + 1),
                        wait_until=case((locks, literal(until, table.c.wait_until.type)), else_=table.c.wait_until),
                    )
                )
            counted = session.execute(statement.returning(table.c.failures, table.c.wait_until)).first()
            if counted is None:  # a try made at the same moment made sign-in wait
                current = session.get(Credential, worker_id)
                session.commit()
                return SignInCheck(SignIn.WAIT, wait_until=_aware(current.wait_until) if current else until)
            session.commit()
        if right:
            if needs_upgrade(verifier):
                self._upgrade_verifier(worker_id, verifier, passphrase)
            return SignInCheck(SignIn.OK)
        failures, wait_until = counted
        if failures == 0:
            return SignInCheck(SignIn.WAIT, wait_until=_aware(wait_until) or until)
        return SignInCheck(SignIn.WRONG, tries_left=max(0, MAX_FAILURES - failures))

    def _upgrade_verifier(self, worker_id: str, old: Verifier, passphrase: str) -> None:
        """After a right passphrase: today's KDF and cost in place of an older verifier (made
        outside any transaction; written only if the verifier is still the one checked)."""
        try:
            new = make_verifier(passphrase)
        except WeakPassphrase:  # set before today's minimum length: kept until it is changed
            return
        table = Credential.__table__
        with self.session() as session:
            session.execute(
                update(table)
                .where(table.c.worker_id == worker_id)
                .where(table.c.digest == old.digest)
                .values(kdf=new.kdf, params=new.params, salt=new.salt, digest=new.digest)
            )
            session.commit()
