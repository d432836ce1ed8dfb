"""Signing a contact on the device: `Store.sign` as the summary screen calls it.

    python bench/sign.py [--contacts 60] [--against DIR]
    python bench/sign.py --quick          # 15 contacts

A demo data directory is made (not timed); its signed contacts are copied into new drafts
(new ids; a booking becomes advice, so no slot is taken twice), each saved once as a draft as
the steps do (`save_draft`, not timed), then each signed with the worker as viewer, so the
access-log entry is written in the same transaction (timed: wall and CPU, per contact). With
`--against DIR` the same is run in a child process with DIR's code (PYTHONPATH=DIR), the two
alternating three times; medians over every contact of a kind.

Goal (issue 18): at most 10 ms a signature on the device.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

GOAL_MS = 10.0

CHILD = r"""
import dataclasses, json, os, sys, time
from datetime import datetime, timedelta
from pathlib import Path
from ohjaus_tui.demo import make_demo
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.codes import ContactStatus, OutcomeKind, Register, Role
from ohjaus_core.domain.contact import new_id
from ohjaus_core.domain.viewer import Viewer
from ohjaus_tui.store.store import Store

data_dir, count = Path(sys.argv[1]), int(sys.argv[2])
make_demo(data_dir)
store = Store(data_dir)
# Before issue 19 the Store signed itself; since, its contacts repository does (--against).
contacts = getattr(store, "contacts", store)
workers = {w.id: w for w in store.workers()}
signed = contacts.signed_contacts(limit=count)
drafts = []
now = datetime.now(HELSINKI)
for contact in signed:
    draft = contacts.load_draft(contact.id)
    draft = dataclasses.replace(draft, id=new_id(), version=1, supersedes_id=None)
    if draft.outcome_kind == OutcomeKind.BOOKING:
        draft.outcome_kind, draft.slot_id, draft.advice_text = OutcomeKind.ADVICE, None, "Lepoa ja nesteitä."
    worker = workers[draft.worker_id]
    viewer = Viewer(worker.id, worker.unit_id, Register(worker.sector), Role(worker.role))
    contacts.save_draft(draft, now, viewer)
    drafts.append((draft, viewer))
wall, cpu = [], []
for draft, viewer in drafts:
    now += timedelta(seconds=1)
    w0, c0 = time.perf_counter(), time.process_time()
    contacts.sign(draft, now, viewer)
    cpu.append(time.process_time() - c0)
    wall.append(time.perf_counter() - w0)
assert all(contacts.contact_status(d.id) == ContactStatus.SIGNED for d, _v in drafts)
store.close()
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(tmp: Path, name: str, count: int, code_dir: Path | None) -> dict[str, list[float]]:
    data_dir = tmp / name / "demo"
    data_dir.parent.mkdir(parents=True)
    env = dict(os.environ)
    env["OHJAUS_KEY_DIR"] = str(data_dir.parent / "keys")
    env.pop("OHJAUS_DATA_DIR", None)
    if code_dir is not None:
        env["PYTHONPATH"] = str(code_dir)
    done = subprocess.run([sys.executable, "-c", CHILD, str(data_dir), str(count)], env=env,
                          cwd=data_dir.parent, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"sign.py: the run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.contacts, args.rounds = 15, 1
    kinds: list[tuple[str, Path | None]] = [("this", None)]
    if args.against:
        kinds.append((f"against {args.against}", args.against.resolve()))
    samples = {name: {"wall": [], "cpu": []} for name, _ in kinds}
    loads = [load()]
    with tempfile.TemporaryDirectory(prefix="ohjaus-sign-bench-") as tmp:
        for round_ in range(args.rounds):
            for name, code_dir in (kinds if round_ % 2 == 0 else list(reversed(kinds))):
                got = run(Path(tmp), f"{round_}-{len(samples[name]['wall'])}-{code_dir is None}", args.contacts, code_dir)
                samples[name]["wall"] += got["wall"]
                samples[name]["cpu"] += got["cpu"]
            loads.append(load())
    print(f"Store.sign with the access log, {args.contacts} contacts x {args.rounds} round(s); "
          f"load average {loads[0]} ... {loads[-1]}")
    print(f"{'code':<40} {'wall median':>11} {'wall p95':>9} {'CPU median':>10} {'n':>5}")
    medians = {}
    for name, got in samples.items():
        wall = sorted(got["wall"])
        medians[name] = statistics.median(wall) * 1000
        print(f"{name:<40} {medians[name]:>9.1f}ms {wall[int(0.95 * (len(wall) - 1))] * 1000:>7.1f}ms "
              f"{statistics.median(got['cpu']) * 1000:>8.1f}ms {len(wall):>5}")
    if args.against:
        names = list(medians)
        print(f"ratio this/against: {medians[names[0]] / medians[names[1]]:.2f}x")
    print(f"goal: at most {GOAL_MS:.0f} ms (wall median) ... {'PASS' if medians['this'] <= GOAL_MS else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
