"""The server's checks of a push (issue 18): `prepare` of every change of a device's outbox -
pydantic validation, the field checks (hidden characters, ids, enums, dates) - timed alone.

    python bench/validation.py [--changes 10000] [--runs 9] [--against DIR]
    python bench/validation.py --quick                  # 300 changes, 3 runs: a smoke run
    # before/after issue 18, side by side: a checkout of the older commit as DIR
    git -C . archive e76682f | tar -x -C /tmp/before && python bench/validation.py --against /tmp/before

A demo device makes its outbox through the store methods the screens use (as
bench/sync_throughput.py's push does: new clients and signed contacts with a call-back); then
each run checks every change (`ohjaus_central.batch.prepare`) in a fresh child process
and reports the CPU time it took (time.process_time around the loop only). With --against, the
same outbox is checked by DIR's code too, the runs alternating, so both see the same load.
Median and min of the runs and the machine's load average are printed.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, sys, time
from ohjaus_central.batch import prepare
from ohjaus_core.protocol import Change
entries = json.load(open(sys.argv[1]))
changes = [Change(id=i, type=t, record_id=r, base_seq=0, data=json.loads(d)) for i, t, r, d in entries]
prepare(changes[0])  # imports and caches warm
started = time.process_time()
prepared = [prepare(change) for change in changes]
took = time.process_time() - started
assert not [p.error for p in prepared if p.error], [p.error for p in prepared if p.error][:3]
print(took)
"""


def check_once(root: Path, outbox: Path) -> float:
    # cwd first on the path: that checkout's ohjaus_tui, not the installed one.
    out = subprocess.run([sys.executable, "-c", CHILD, str(outbox)], cwd=root, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)})
    return float(out.stdout.strip().splitlines()[-1])


def load() -> str:
    return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", type=Path, help="another checkout whose checks run alternately")
    parser.add_argument("--quick", action="store_true", help="300 changes, 3 runs (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.changes, args.runs = 300, 3
    from sync_throughput import make_pushing_device, outbox

    with tempfile.TemporaryDirectory(prefix="ohjaus-validation-") as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        device, made = make_pushing_device(Path(tmp), "http://127.0.0.1:9", args.changes)
        entries = outbox(device)
        device.close()
        path = Path(tmp) / "outbox.json"
        path.write_text(json.dumps([list(entry) for entry in entries]))
        print(f"{len(entries):,} changes made through the store in {made:.0f} s; {args.runs} runs; {load()}")
        roots = {"this checkout": ROOT}
        if args.against:
            roots[f"{args.against}"] = args.against.resolve()
        times: dict[str, list[float]] = {label: [] for label in roots}
        for run in range(args.runs):
            for label, root in (roots.items() if run % 2 == 0 else reversed(roots.items())):
                times[label].append(check_once(root, path))
    print(f"{'checks of every change':<40} {'CPU median':>10} {'min':>8}  per change")
    for label, values in times.items():
        median = statistics.median(values)
        print(f"{label:<40} {median:>9.2f}s {min(values):>7.2f}s  {median / len(entries) * 1e6:.0f} us  {load()}")
    if args.against:
        base, other = (statistics.median(v) for v in times.values())
        print(f"ratio this checkout / {args.against}: {base / other:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
