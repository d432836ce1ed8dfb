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
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {reason}")
