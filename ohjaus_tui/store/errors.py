"""The store's own error, apart so that the key and encryption modules can raise it too."""

from __future__ import annotations

from ohjaus_core.domain.errors import DomainError


class StoreError(DomainError):
    """The local store cannot be used (unwritable directory, broken file, missing key)."""
