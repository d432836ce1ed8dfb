"""Cells that a spreadsheet opens as text, never as a formula (CSV injection, OWASP).

A cell beginning with = + - @ or a tab or carriage return is a formula to Excel and LibreOffice
("=HYPERLINK(...)" in a reason a caller dictated would run when a team lead opens the export).
Such a cell gets a leading apostrophe, which the spreadsheet shows as text; numbers written as
numbers stay numbers. The files are UTF-8 with a byte-order mark and `;` between cells, which is
what a Finnish Excel expects (its list separator is `;`, since `,` is the decimal comma).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..i18n import _
from .errors import DomainError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITER = ";"
ENCODING = "utf-8-sig"


def safe_cell(value: object) -> object:
    """The value, with a leading apostrophe where a spreadsheet would read a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row):
    """A CSV row (a mapping or a sequence) with every cell made safe."""
    if isinstance(row, dict):
        return {key: safe_cell(value) for key, value in row.items()}
    return [safe_cell(value) for value in row]


def open_new(out: Path):
    """A new file for writing, readable by its owner only (it holds client data); an existing
    file is never overwritten."""
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise DomainError(_("{path} exists already; name a new file.").format(path=out)) from None
    return os.fdopen(descriptor, "w", encoding="utf-8", newline="")
