"""Signing in on the device: the workers' passphrase verifiers and the count of wrong tries,
checked offline. A repository of the Store (store.sign_in); the check itself is on the raw
database connection (sign_in_check.py), so the sign-in screen need not wait for the ORM."""

from __future__ import annotations

from datetime import datetime

from ohjaus_core.domain.credentials import Verifier, make_verifier
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import _
from .models import Credential, Worker
from .repository import Repository
from .sign_in_check import SignIn, SignInCheck, check_passphrase

__all__ = ["SignIn", "SignInCheck", "SignInRepository"]


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
        """sign_in_check.check_passphrase on this store's database."""
        return check_passphrase(self.store.data_dir, worker_id, passphrase, now)
