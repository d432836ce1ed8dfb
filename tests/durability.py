"""Kill the saving process at random points; check what it reported as saved is all there."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from ohjaus_tui.store.directory import connect

WORKER = Path(__file__).with_name("durability_worker.py")


def kill_at_random(data_dir: Path, iterations: int, seed: int = 1) -> dict:
    """Returns counts; raises AssertionError on the first lost or half-written record."""
    rng = random.Random(seed)
    reported_step: dict[str, int] = {}
    reported_signed: set[str] = set()
    for iteration in range(iterations):
        process = subprocess.Popen(
            [sys.executable, str(WORKER), str(data_dir), str(iteration)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=30)
        for line in output.splitlines():
            kind, contact_id, *rest = line.split()
            if kind == "SAVED":
                reported_step[contact_id] = int(rest[0])
            elif kind == "SIGNED":
                reported_signed.add(contact_id)
    connection = connect(data_dir)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(connection.execute("SELECT id, step FROM contact"))
        signed = {row[0] for row in connection.execute("SELECT id FROM contact WHERE status = 'signed'")}
        for contact_id, step in reported_step.items():
            assert contact_id in stored, f"reported saved, then lost: {contact_id}"
            assert stored[contact_id] >= step, f"{contact_id} went back from step {step}"
        assert reported_signed <= signed, "a reported signature was lost"
        # Nothing half-written: every step's rows came with the step, in one transaction.
        half = connection.execute(
            "SELECT count(*) FROM contact c WHERE c.step >= 3 AND NOT EXISTS "
            "(SELECT 1 FROM assessment a WHERE a.contact_id = c.id)"
        ).fetchone()[0]
        assert half == 0, f"{half} contacts past the assessment without one"
        half_signed = connection.execute(
            "SELECT count(*) FROM contact c WHERE c.status = 'signed' AND NOT EXISTS "
            "(SELECT 1 FROM outcome o WHERE o.contact_id = c.id)"
        ).fetchone()[0]
        assert half_signed == 0
    finally:
        connection.close()
    return {"iterations": iterations, "reported_saves": len(reported_step), "reported_signed": len(reported_signed)}
