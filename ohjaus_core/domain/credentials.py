"""A worker's personal credential (tunnuslause), checked offline against a slow hash.

The passphrase itself is never stored: only a verifier with its own salt and cost, so a
copied database gives nothing to try a password list against faster than the KDF lets. New
verifiers are Argon2id at OWASP's minimum (m=19 MiB, t=2, p=1; the Password Storage Cheat
Sheet's first choice); older ones are scrypt (N=2^15, r=8, p=1), still read, and replaced by
an Argon2id one at the worker's next successful sign-in (`needs_upgrade`). The KDF and its
cost travel with the verifier, so raising them later leaves old verifiers readable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from ..i18n import _
from .demo_passphrase import DEMO_PASSPHRASE  # noqa: F401 - every demo worker's
from .errors import DomainError

MIN_LENGTH = 8
# Argon2id m=19456 KiB, t=2, p=1: OWASP's minimum; about 0.2 s on this project's busy 2-core
# machine (scrypt at OWASP's N=2^17 took 2.4 s there, and 128 MiB), so a sign-in stays quick
# while every guess costs the same.
KDF = "argon2id"
DEFAULT_COST = {"m": 19456, "t": 2, "p": 1}
SCRYPT_COST = {"n": 2**15, "r": 8, "p": 1}  # the verifiers made before (read, then upgraded)
MAX_FAILURES = 5  # wrong tries in a row before sign-in waits
WAIT_SECONDS = 60  # how long it waits then


class WeakPassphrase(DomainError):
    pass


@dataclass(frozen=True)
class Verifier:
    kdf: str
    params: str  # JSON of the cost
    salt: bytes
    digest: bytes


def check_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_LENGTH:
        raise WeakPassphrase(
            _("A passphrase has at least {n} characters.").format(n=MIN_LENGTH)
        )


def _scrypt(passphrase: str, salt: bytes, cost: dict) -> bytes:
    n, r, p = cost["n"], cost["r"], cost["p"]
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=129 * r * n * p + 2**20, dklen=32
    )


def _argon2id(passphrase: str, salt: bytes, cost: dict) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        passphrase.encode("utf-8"), salt, time_cost=cost["t"], memory_cost=cost["m"], parallelism=cost["p"],
        hash_len=32, type=Type.ID,
    )


_KDFS = {"argon2id": _argon2id, "scrypt": _scrypt}


def make_verifier(passphrase: str, cost: dict | None = None, kdf: str = KDF) -> Verifier:
    check_strength(passphrase)
    cost = cost or (DEFAULT_COST if kdf == KDF else SCRYPT_COST)
    salt = os.urandom(16)
    return Verifier(kdf, json.dumps(cost, sort_keys=True), salt, _KDFS[kdf](passphrase, salt, cost))


def matches(passphrase: str, verifier: Verifier) -> bool:
    derive = _KDFS.get(verifier.kdf)
    if derive is None:
        return False
    digest = derive(passphrase, verifier.salt, json.loads(verifier.params))
    return hmac.compare_digest(digest, verifier.digest)


def needs_upgrade(verifier: Verifier) -> bool:
    """A verifier of an older KDF or a lower cost than today's: replaced at the next sign-in."""
    if verifier.kdf != KDF:
        return True
    cost = json.loads(verifier.params)
    return any(cost.get(key, 0) < value for key, value in DEFAULT_COST.items())
