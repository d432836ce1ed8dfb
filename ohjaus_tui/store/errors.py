"""The store's own errors, apart so that the key and encryption modules and every
repository can raise them."""

from __future__ import annotations

from ohjaus_core.domain.errors import DomainError


class StoreError(DomainError):
    """The local store cannot be used (unwritable directory, broken file, missing key)."""


class DuplicateClient(StoreError):
    """A client with this identity code exists already."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class SlotTaken(DomainError):
    """Someone else booked the slot first."""


class NotADraft(DomainError):
    """A signed contact cannot be changed; a correction is a new version."""
