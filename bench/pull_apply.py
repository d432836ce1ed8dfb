"""Applying pulled pages on the device as its store grows: `Store.apply_page` alone.

    python bench/pull_apply.py [--pages 60] [--page-size 1000] [--against DIR]
    python bench/pull_apply.py --quick        # 12 pages of 500

A demo device (its unit's reference data, as after enrolment) receives pages of client and
signed-contact pairs of its unit (contacts cloned from the demo's, as bench/sync_throughput.py
makes them), one `apply_page` a page, as `SyncClient` calls it, without HTTP. Timed: each page
(wall and CPU). Printed: the median of the first fifth of the pages and of the last fifth, the
store's size at each, and the exponent of the growth of the cost per page with the store's size
(0: flat, linear in the page size regardless of the store's size). With `--against DIR` the
same pages are applied by DIR's code in a child process (PYTHONPATH=DIR).

Goal (issue 18): pull apply linear in the page size regardless of the store's size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHILD = r"""
import json, sys, time
from pathlib import Path
from ohjaus_tui.demo import make_demo
from ohjaus_tui.store.store import Store
from ohjaus_core.protocol import PulledChange

data_dir, pages_file = Path(sys.argv[1]), Path(sys.argv[2])
make_demo(data_dir, clients=1, contacts=0)
store = Store(data_dir)
pages = json.loads(pages_file.read_text())
# Before issue 19 the Store applied a page itself; since, its pull repository does (--against).
pull = getattr(store, "pull", store)
wall, cpu = [], []
for page in pages:
    changes = [PulledChange(seq=seq, type=kind, record_id=record_id, data=data) for seq, kind, record_id, data in page]
    w0, c0 = time.perf_counter(), time.process_time()
    applied = pull.apply_page(changes, page[-1][0])
    cpu.append(time.process_time() - c0)
    wall.append(time.perf_counter() - w0)
    assert applied == len(page), (applied, len(page))
store.close()
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def make_pages(folder: Path, pages: int, size: int) -> Path:
    from sync_common import ContactFamilies, synthetic_clients

    families = ContactFamilies(folder, "JL-KESK", ("health", "social"))
    rng = random.Random(2026)
    clients = synthetic_clients(pages * size // 2 + 1, seed=2026)
    out, seq = [], 10_000_000
    for number in range(pages):
        page = []
        for index in range(size):
            seq += 1
            client = clients[(number * size + index) // 2]
            if index % 2 == 0:
                page.append((seq, "client", client["id"], client))
            else:
                family = families.make(rng, client["id"])
                page.append((seq, "contact", family["contact"]["id"], family))
        out.append(page)
    path = folder / "pages.json"
    path.write_text(json.dumps(out))
    return path


def run(folder: Path, name: str, pages: Path, code_dir: Path | None) -> dict:
    data_dir = folder / name / "demo"
    data_dir.parent.mkdir(parents=True)
    env = dict(os.environ, OHJAUS_KEY_DIR=str(data_dir.parent / "keys"))
    env.pop("OHJAUS_DATA_DIR", None)
    if code_dir is not None:
        env["PYTHONPATH"] = str(code_dir)
    done = subprocess.run([sys.executable, "-c", CHILD, str(data_dir), str(pages)], env=env,
                          cwd=data_dir.parent, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pull_apply.py: the run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--against", type=Path)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.pages, args.page_size = 12, 500
    kinds: list[tuple[str, Path | None]] = [("this", None)]
    if args.against:
        kinds.append((f"against {args.against}", args.against.resolve()))
    with tempfile.TemporaryDirectory(prefix="ohjaus-pull-bench-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("OHJAUS_KEY_DIR", str(folder / "keys"))
        pages = make_pages(folder, args.pages, args.page_size)
        results = {}
        loads = [load()]
        for name, code_dir in kinds:
            results[name] = run(folder, name.replace("/", "_").replace(" ", "_"), pages, code_dir)
            loads.append(load())
    fifth = max(1, args.pages // 5)
    print(f"apply_page, {args.pages} pages of {args.page_size} changes (client and signed-contact pairs); "
          f"load average {' | '.join(loads)}")
    print(f"{'code':<34} {'first pages':>12} {'last pages':>12} {'ratio':>6} {'growth':>7} {'CPU first':>10} {'CPU last':>9}")
    for name, got in results.items():
        first, last = statistics.median(got["wall"][:fifth]), statistics.median(got["wall"][-fifth:])
        cpu_first, cpu_last = statistics.median(got["cpu"][:fifth]), statistics.median(got["cpu"][-fifth:])
        # Store size (changes held) at the middle of each window; the cost per page ~ size^k.
        size_first = (fifth / 2) * args.page_size
        size_last = (args.pages - fifth / 2) * args.page_size
        growth = math.log(cpu_last / cpu_first) / math.log(size_last / size_first)
        print(f"{name:<34} {first * 1000:>10.0f}ms {last * 1000:>10.0f}ms {last / first:>5.2f}x "
              f"{growth:>7.2f} {cpu_first * 1000:>8.0f}ms {cpu_last * 1000:>7.0f}ms")
    print("(first/last pages: medians of the first and last fifth; growth: k in CPU per page ~ "
          "changes held^k between them, 0 = flat)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
