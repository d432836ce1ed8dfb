"""Internal errors: a line for the worker, the stack for the developers, no client data.

A traceback with locals or an exception message can hold names and identity codes (SQL
parameters, form values), and technical logs must hold no client data. So the log keeps the
exception's type and the stack's files, lines and functions, and nothing else.
"""

from __future__ import annotations

import traceback
from datetime import datetime, timezone
from pathlib import Path

LOG_NAME = "errors.log"


def _database_reason(error: BaseException) -> str:
    """SQLite's own words for a database error ("database disk image is malformed"): they
    name no value, unlike the SQL parameters of the exception around them."""
    orig = getattr(error, "orig", error)
    module = type(orig).__module__ or ""
    if "sqlite" in module or "sqlcipher" in module:
        reason = str(orig).splitlines()[0][:120] if str(orig) else ""
        return f" ({type(orig).__name__}: {reason})" if reason else ""
    return ""


def write_error_log(data_dir: Path, error: BaseException) -> Path | None:
    """Append the error to data_dir/logs/errors.log; None if even that cannot be written."""
    lines = [f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} {type(error).__name__}{_database_reason(error)}"]
    for frame in traceback.extract_tb(error.__traceback__):
        lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
    path = data_dir / "logs" / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write("\n".join(lines) + "\n")
    except OSError:
        return None
    return path
