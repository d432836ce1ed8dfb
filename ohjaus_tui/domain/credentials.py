"""A worker's personal credential (tunnuslause), checked offline against a slow hash.

The passphrase itself is never stored: only a scrypt verifier with its own salt and cost,
so a copied database gives nothing to try a password list against faster than scrypt lets.
The cost travels with the verifier, so raising it later leaves old verifiers readable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from ..i18n import _
from .errors import DomainError

MIN_LENGTH = 8
DEMO_PASSPHRASE = "demo1234"  # every demo worker's; shown on the demo's sign-in screen
# scrypt N=2^15, r=8, p=1: about 32 MiB and a tenth of a second on the field laptops, so
# a sign-in is still instant while guessing costs the same for every try.
DEFAULT_COST = {"n": 2**15, "r": 8, "p": 1}
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


def make_verifier(passphrase: str, cost: dict | None = None) -> Verifier:
    check_strength(passphrase)
    cost = cost or DEFAULT_COST
    salt = os.urandom(16)
    return Verifier("scrypt", json.dumps(cost, sort_keys=True), salt, _scrypt(passphrase, salt, cost))


def matches(passphrase: str, verifier: Verifier) -> bool:
    if verifier.kdf != "scrypt":
        return False
    digest = _scrypt(passphrase, verifier.salt, json.loads(verifier.params))
    return hmac.compare_digest(digest, verifier.digest)
