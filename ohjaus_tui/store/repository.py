"""What every repository of the store shares: the Store that composes it, which owns the
engine, the sessions and the transaction (store.py)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from sqlmodel import Session

if TYPE_CHECKING:
    from .store import Store


class Repository:
    """One group of the store's records in the words of the domain (store.clients,
    store.contacts, ...). It opens its sessions through the Store, so every disk problem
    becomes the same StoreError and a `transaction()` can hold writes of several."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def session(self) -> AbstractContextManager[Session]:
        return self.store.session()


__all__ = ["Repository"]
