"""Errors a person can meet, raised by the domain and shown by the screens or the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Callable


class DomainError(Exception):
    """A problem with input or data that the user can understand and act on."""


class DataFileError(DomainError):
    """A shipped or region-edited data file is broken: names the file, the line and the reason.

    `reason` is the text, or a function that says it in the language shown (`lambda:
    _("...").format(...)`): then `said_again()` says it again after a language switch without
    reading the file again (F6's line of a region catalogue kept aside)."""

    def __init__(self, path: Path | str, line: int | None, reason: str | Callable[[], str]) -> None:
        self.path = Path(path)
        self.line = line
        self.say: Callable[[], str] = reason if callable(reason) else lambda: reason
        self.reason = self.say()
        super().__init__(f"{self.where}: {self.reason}")

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else f"{self.path}"

    def said_again(self) -> str:
        """The error in the language shown now (a reason given as text: as it was given)."""
        return f"{self.where}: {self.say()}"
