"""An unexpected error shows one clear line, never a traceback, and logs no client data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..pilot_helpers import a_client


def test_an_internal_error_is_one_line_and_the_log_holds_no_client_data(data_dir, store):
    client = a_client(store)
    result = subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "error_worker.py"), str(data_dir), client.identity_code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "boom" not in result.stderr
    assert "RuntimeError" in result.stderr
    log = (data_dir / "logs" / "errors.log").read_text("utf-8")
    assert "RuntimeError" in log and "broken" in log
    for secret in ("Salainen", client.identity_code, client.last_name, "boom"):
        assert secret not in log
    # The client step was saved before the error: nothing the worker did is lost.
    assert store.contacts.open_drafts(next(w.id for w in store.workers() if w.username == "hoitaja1"))


def test_the_ohjaus_command_exits_non_zero_after_an_internal_error(data_dir, store):
    client = a_client(store)
    store.close()
    result = subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "error_worker.py"), str(data_dir), client.identity_code, "cli"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "RuntimeError" in result.stderr
