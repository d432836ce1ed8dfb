"""Kill a saving process with SIGKILL at random points, N times (default 250), then check that
every save and signature it reported is in the file, nothing is half-written, and
PRAGMA integrity_check says ok.

    python bench/durability.py [--iterations 250]
    python bench/durability.py --quick      # 5 kills: a smoke run in seconds
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ohjaus_tui.demo import make_demo  # noqa: E402
from tests.durability import kill_at_random  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=250)
    parser.add_argument("--quick", action="store_true", help="5 kills (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.iterations = 5
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        data_dir = Path(tmp) / "device"
        make_demo(data_dir, clients=30, contacts=0, today=date(2026, 11, 25))
        started = time.perf_counter()
        counts = kill_at_random(data_dir, args.iterations)
        took = time.perf_counter() - started
    print(
        f"{counts['iterations']} SIGKILLs in {took:.0f} s: {counts['reported_saves']} reported saves and "
        f"{counts['reported_signed']} reported signatures all present; nothing half-written; integrity ok"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
