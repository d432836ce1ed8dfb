"""Start-up benchmark: `ohjaus --demo` against a minimal Textual app, to a usable first screen.

    /work/venv/bin/python bench/startup.py            # 9 interleaved runs each, a table
    /work/venv/bin/python bench/startup.py --runs 15 --json

What is timed: the wall time from just before the parent starts a fresh Python process to the
moment the child's first screen is usable, so it includes the interpreter's own start-up, every
import, loading the shipped data and opening the data directory - what a worker waits for every
morning. The parent takes `time.time()` and passes it in the environment (`OHJAUS_BENCH_T0`);
the child takes `time.time()` when ready and reports the difference (both processes read the
same wall clock, so no clock skew between them).

"Usable first screen": the app runs headless with an auto pilot that waits until the expected
screen (ohjaus: `LoginScreen`, the worker sign-in; minimal: the default screen) is mounted with
its Footer, then `await pilot.pause()` once more so pending messages and the first refresh are
done, then records the time and calls `app.exit()`.

The ohjaus child goes through `ohjaus_tui.cli.main(["--demo", "--data-dir", DIR])`, exactly the
`ohjaus --demo` command, with `App.run` wrapped to add `headless=True` and the auto pilot. The
minimal child (a Static and a Footer) runs through the same wrapper. The demo directory is made
once before timing (`make_demo`, the defaults of `ohjaus --demo`), so each timed start opens an
existing directory. One untimed warm-up run of each comes first (byte-code caches, page cache);
the timed runs alternate the order (ohjaus first, then minimal first, ...).

Goal: the median ohjaus start-up is no more than 1.5x the median minimal Textual app's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RATIO = 1.5
T0_ENV = "OHJAUS_BENCH_T0"

# The child: argv[1] is "ohjaus" or "minimal", argv[2] the demo data directory (ohjaus only).
# It prints one JSON line: seconds from the parent's t0 to the child's first line of Python
# ("python"), to App.run being called ("run", after imports and data loading) and to the
# usable first screen ("ready").
CHILD = r"""
import time
_t_python = time.time()
import json, os, sys

T0 = float(os.environ["OHJAUS_BENCH_T0"])
KIND = sys.argv[1]
EXPECT = "LoginScreen" if KIND == "ohjaus" else "Screen"
marks = {"python": _t_python - T0}


async def ready(pilot):
    from textual.widgets import Footer

    app = pilot.app
    deadline = time.monotonic() + 60
    while True:
        await pilot.pause()
        screen = app.screen
        if type(screen).__name__ == EXPECT and screen.is_mounted and screen.query(Footer):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {EXPECT} after 60 s (top screen: {type(screen).__name__})")
    await pilot.pause()
    marks["ready"] = time.time() - T0
    marks["screen"] = type(app.screen).__name__
    if KIND == "ohjaus":
        # The sign-in list is usable at "ready"; choosing a name needs the full store,
        # which opens in the background after the first paint.
        app.ctx.store
        marks["store"] = time.time() - T0
    app.exit()


def patch_run():
    from textual.app import App

    original = App.run

    def run(self, *args, **kwargs):
        marks["run"] = time.time() - T0
        kwargs["headless"] = True
        kwargs["auto_pilot"] = ready
        return original(self, *args, **kwargs)

    App.run = run


if KIND == "ohjaus":
    from ohjaus_tui.cli import main

    patch_run()
    code = main(["--demo", "--data-dir", sys.argv[2]])
else:
    patch_run()
    from textual.app import App
    from textual.widgets import Footer, Static

    class Minimal(App):
        def compose(self):
            yield Static("Hello")
            yield Footer()

    Minimal().run()
    code = 0

if "ready" not in marks:
    sys.exit(f"{KIND}: the first screen was never ready (exit code {code})")
print(json.dumps(marks))
"""


def run_once(kind: str, data_dir: Path) -> dict[str, float]:
    """One fresh process; seconds from just before the spawn to each mark, and to its exit."""
    env = dict(os.environ)
    env.pop("OHJAUS_DATA_DIR", None)
    argv = [sys.executable, "-c", CHILD, kind, str(data_dir)]
    t0 = time.time()
    env[T0_ENV] = repr(t0)
    done = subprocess.run(argv, env=env, cwd=data_dir.parent, capture_output=True, text=True)
    exited = time.time() - t0
    if done.returncode != 0:
        raise SystemExit(
            f"startup.py: the {kind} run failed (exit {done.returncode}):\n"
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"startup.py: no result from the {kind} run:\n{done.stdout}{done.stderr}")
    marks = json.loads(lines[-1])
    expected = "LoginScreen" if kind == "ohjaus" else "Screen"
    if marks.get("screen") != expected:
        raise SystemExit(f"startup.py: {kind} showed {marks.get('screen')}, not {expected}")
    marks["exit"] = exited
    return marks


def summary(samples: list[dict[str, float]]) -> dict[str, float]:
    ready = [s["ready"] for s in samples]
    return {
        "median": statistics.median(ready),
        "min": min(ready),
        "max": max(ready),
        "median_python": statistics.median(s["python"] for s in samples),
        "median_run": statistics.median(s["run"] for s in samples),
        "median_exit": statistics.median(s["exit"] for s in samples),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each app (default 9)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each first (default 1)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="2 timed runs each, no warm-up (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.warmup = 2, 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="ohjaus-bench-") as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        data_dir = Path(tmp) / "demo"
        from ohjaus_tui.demo import make_demo  # the parent's imports are not timed

        make_demo(data_dir)

        for _ in range(args.warmup):
            run_once("ohjaus", data_dir)
            run_once("minimal", data_dir)
        samples: dict[str, list[dict[str, float]]] = {"ohjaus": [], "minimal": []}
        for round_ in range(args.runs):
            order = ("ohjaus", "minimal") if round_ % 2 == 0 else ("minimal", "ohjaus")
            for kind in order:
                samples[kind].append(run_once(kind, data_dir))

    stats = {kind: summary(runs) for kind, runs in samples.items()}
    ratio = stats["ohjaus"]["median"] / stats["minimal"]["median"]
    ratio_min = stats["ohjaus"]["min"] / stats["minimal"]["min"]
    passed = ratio <= GOAL_RATIO

    if args.json:
        print(json.dumps({
            "runs": args.runs,
            "warmup": args.warmup,
            "measure": "seconds from the parent's time.time() just before spawning a fresh "
                       "interpreter to the child's usable first screen",
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "ohjaus": {**stats["ohjaus"], "samples": [s["ready"] for s in samples["ohjaus"]]},
            "minimal": {**stats["minimal"], "samples": [s["ready"] for s in samples["minimal"]]},
            "ratio_median": ratio,
            "ratio_min": ratio_min,
            "goal_ratio": GOAL_RATIO,
            "pass": passed,
        }, indent=2))
        return 0

    print(f"Start-up to a usable first screen, {args.runs} interleaved runs each "
          f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print()
    print(f"{'app':<10} {'median':>8} {'min':>8} {'max':>8}   "
          f"{'python up':>9} {'App.run':>8} {'exited':>8}")
    for kind in ("ohjaus", "minimal"):
        s = stats[kind]
        print(f"{kind:<10} {s['median']:>7.3f}s {s['min']:>7.3f}s {s['max']:>7.3f}s   "
              f"{s['median_python']:>8.3f}s {s['median_run']:>7.3f}s {s['median_exit']:>7.3f}s")
    store_ready = statistics.median(s["store"] for s in samples["ohjaus"])
    print(f"ohjaus store ready (sign-in can complete): median {store_ready:.3f}s")
    print()
    print(f"ratio ohjaus/minimal: median {ratio:.2f}x, min {ratio_min:.2f}x")
    print(f"goal: no more than {GOAL_RATIO}x the minimal app (median) ... "
          f"{'PASS' if passed else 'MISS'}")
    print("(python up, App.run, exited: medians of the time to the first line of the child's "
          "code, to App.run being called, to the process having exited)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
