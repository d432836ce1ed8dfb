"""Errors a person can meet, raised by the domain and shown by the screens or the CLI."""

from __future__ import annotations

from pathlib import Path


class DomainError(Exception):
    """A problem with input or data that the user can understand and act on."""


class DataFileError(DomainError):
    """A shipped or region-edited data file is broken: names the file, the line and the reason."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.where}: {reason}")

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else f"{self.path}"

    def said_again(self) -> str:
        """The error in the language shown now: its reason said again where it was made to be
        (i18n.said), else as it was said."""
        from ..i18n import said_again

        return f"{self.where}: {said_again(self.reason)}"
