"""Loading TOML data files with errors that name the file and the line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import DataFileError

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a DataFileError with its line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataFileError(path, None, f"cannot read: {error.strerror or error}") from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataFileError(path, line, "not valid UTF-8") from error
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_LINE.search(message)
        line = int(match.group(1)) if match else None
        reason = _TOML_LINE.sub("", message).strip()
        raise DataFileError(path, line, reason) from error


def line_of(path: Path, *needles: str) -> int | None:
    """The first line holding all of `needles` (for pointing at a semantic error)."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, start=1):
        if all(needle in line for needle in needles):
            return number
    return None
