"""Start-up benchmark: `ohjaus --demo` against a bare Textual app, to a usable first screen.

    python bench/startup.py            # 9 interleaved runs each, a table
    python bench/startup.py --runs 15 --json
    python bench/startup.py --quick    # 2 runs each, no warm-up (CI)

What is timed: the wall time from just before the parent starts a fresh Python process to the
moment the child's first screen is usable, so it includes the interpreter's own start-up, every
import, loading the shipped data and opening the data directory - what a worker waits for every
morning. The parent takes `time.time()` and passes it in the environment (`OHJAUS_BENCH_T0`);
the child takes `time.time()` when ready and reports the difference (both processes read the
same wall clock, so no clock skew between them).

"Usable first screen": the app runs headless with an auto pilot that waits until the expected
screen (ohjaus: `LoginScreen`, the worker sign-in, with its Footer; bare and footer: the default
screen with its Static, and the Footer for footer) is mounted, then `await pilot.pause()` once
more so pending messages and the first refresh are done, then records the time and calls
`app.exit()`.

Issue 18's yardstick is the **bare** app: one `Static`, no Footer. The **footer** app (a Static
and a Footer) was the yardstick before; it stays as an extra column.

"Sign-in ready" (ohjaus only): the moment the demo passphrase, typed at the first screen, has been
checked as Enter on the screen checks it (the KDF and the count's UPDATE included; before issue
18's raw check, through the full store, waited for). "store": the full store (the ORM) open, which
the home screen after the sign-in needs; it opens in the background after the first paint.

The ohjaus child goes through `ohjaus.cli.main(["--demo", "--data-dir", DIR])`, exactly the
`ohjaus --demo` command, with `App.run` wrapped to add `headless=True` and the auto pilot. The
bare and footer children run through the same wrapper. The demo directory is made
once before timing (`make_demo`, the defaults of `ohjaus --demo`), so each timed start opens an
existing directory. One untimed warm-up run of each comes first (byte-code caches, page cache);
the timed runs rotate the order each round. `--against DIR` adds the ohjaus of a checkout of
other code (PYTHONPATH=DIR) to the rotation, so before and after are timed in one run.

Goal (issue 18): the median ohjaus start-up is no more than 1.3x the bare app's, and sign-in is
ready no later than 1.2x ohjaus's own first screen (medians).
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

GOAL_RATIO = 1.3  # ohjaus's first screen / the bare app's
SIGN_IN_RATIO = 1.2  # ohjaus's sign-in ready / its first screen
KINDS = ("ohjaus", "bare", "footer")
T0_ENV = "OHJAUS_BENCH_T0"

# The child: argv[1] is "ohjaus", "bare" or "footer", argv[2] the demo data directory (ohjaus only).
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
NEEDS = "Static" if KIND == "bare" else "Footer"
marks = {"python": _t_python - T0}


async def ready(pilot):
    from textual import widgets

    needed = getattr(widgets, NEEDS)
    app = pilot.app
    deadline = time.monotonic() + 60
    while True:
        await pilot.pause()
        screen = app.screen
        if type(screen).__name__ == EXPECT and screen.is_mounted and screen.query(needed):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {EXPECT} after 60 s (top screen: {type(screen).__name__})")
    await pilot.pause()
    marks["ready"] = time.time() - T0
    marks["cpu_ready"] = time.process_time()
    marks["screen"] = type(app.screen).__name__
    if KIND == "ohjaus":
        # Sign-in ready: the demo passphrase of the first worker on the list, typed at the
        # first screen, checked as Enter on the screen checks it (the KDF and the count's
        # UPDATE included). Since issue 18 on the raw database (app.check_sign_in); before,
        # through the full store (the ORM), which opens in the background after the paint.
        worker_id = screen.query_one("#workers").get_option_at_index(0).id
        if hasattr(app, "check_sign_in"):
            problem = app.check_sign_in(worker_id, "demo1234")
        else:
            from ohjaus_tui.screens.lock import sign_in_problem

            check = app.ctx.store.sign_in.check_passphrase(worker_id, "demo1234", app.ctx.now())
            problem = sign_in_problem(check, app.ctx.data_dir)
        if problem:
            raise RuntimeError(f"the demo passphrase was not taken: {problem}")
        marks["signin"] = time.time() - T0
        marks["cpu_signin"] = time.process_time()
        app.ctx.store  # the store open: what follows the sign-in (the home screen) can come
        marks["store"] = time.time() - T0
    app.exit()


def patch_run():
    from textual.app import App

    original = App.run

    def run(self, *args, **kwargs):
        marks["run"] = time.time() - T0
        marks["cpu_run"] = time.process_time()
        kwargs["headless"] = True
        kwargs["auto_pilot"] = ready
        return original(self, *args, **kwargs)

    App.run = run


if KIND == "ohjaus":
    import importlib.util

    if importlib.util.find_spec("ohjaus_tui.cli").submodule_search_locations is None:
        from ohjaus_tui.cli import main  # a checkout from before the ohjaus package (--against)
    else:
        from ohjaus.cli import main

    patch_run()
    code = main(["--demo", "--data-dir", sys.argv[2]])
else:
    patch_run()
    from textual.app import App
    from textual.widgets import Footer, Static

    class Minimal(App):
        def compose(self):
            yield Static("Hello")
            if KIND == "footer":
                yield Footer()

    Minimal().run()
    code = 0

if "ready" not in marks:
    sys.exit(f"{KIND}: the first screen was never ready (exit code {code})")
print(json.dumps(marks))
"""


def run_once(kind: str, data_dir: Path, code_dir: Path | None = None) -> dict[str, float]:
    """One fresh process; seconds from just before the spawn to each mark, and to its exit.
    With code_dir, ohjaus is that checkout's code (PYTHONPATH)."""
    env = dict(os.environ)
    env.pop("OHJAUS_DATA_DIR", None)
    # A start as a worker's machine makes it: with the byte-code caches (the warm-up run
    # writes them), even when the calling shell says PYTHONDONTWRITEBYTECODE.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if code_dir is not None:
        env["PYTHONPATH"] = str(code_dir)
    # Each code its own cache of the shipped data (a worker's machine has one code): with one
    # cache, the two codes of --against replaced each other's at every run, and both parsed
    # the data files at every start.
    env["OHJAUS_CACHE_DIR"] = str(data_dir.parent / f"cache-{'against' if code_dir else 'ohjaus'}")
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
    result = {
        "median": statistics.median(ready),
        "min": min(ready),
        "max": max(ready),
        "median_python": statistics.median(s["python"] for s in samples),
        "median_run": statistics.median(s["run"] for s in samples),
        "median_exit": statistics.median(s["exit"] for s in samples),
    }
    if "signin" in samples[0]:
        result["median_signin"] = statistics.median(s["signin"] for s in samples)
        result["median_store"] = statistics.median(s["store"] for s in samples)
        # per run, then the median: each run's sign-in against its own first screen
        result["signin_ratio"] = statistics.median(s["signin"] / s["ready"] for s in samples)
    return result


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each app (default 9)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each first (default 1)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="2 timed runs each, no warm-up (a smoke run)")
    parser.add_argument("--against", type=Path, help="a checkout of other code: its ohjaus too, alternating")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.warmup = 2, 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    kinds: list[tuple[str, str, Path | None]] = [(kind, kind, None) for kind in KINDS]
    if args.against:
        kinds.insert(1, ("against", "ohjaus", args.against.resolve()))

    loads = [load()]
    with tempfile.TemporaryDirectory(prefix="ohjaus-bench-") as tmp:
        os.environ.setdefault("OHJAUS_KEY_DIR", str(Path(tmp) / "keys"))  # not the user's key directory
        data_dir = Path(tmp) / "demo"
        from ohjaus_tui.demo import make_demo  # the parent's imports are not timed

        make_demo(data_dir)

        for _ in range(args.warmup):
            for _name, kind, code_dir in kinds:
                run_once(kind, data_dir, code_dir)
        samples: dict[str, list[dict[str, float]]] = {name: [] for name, _kind, _dir in kinds}
        for round_ in range(args.runs):
            # each round in another order (rotated), so no app always follows the same one
            shift = round_ % len(kinds)
            for name, kind, code_dir in kinds[shift:] + kinds[:shift]:
                samples[name].append(run_once(kind, data_dir, code_dir))
            loads.append(load())

    stats = {name: summary(runs) for name, runs in samples.items()}
    ratio = stats["ohjaus"]["median"] / stats["bare"]["median"]
    ratio_footer = stats["ohjaus"]["median"] / stats["footer"]["median"]
    ratio_min = stats["ohjaus"]["min"] / stats["bare"]["min"]
    signin_ratio = stats["ohjaus"]["signin_ratio"]
    passed = ratio <= GOAL_RATIO and signin_ratio <= SIGN_IN_RATIO

    if args.json:
        print(json.dumps({
            "runs": args.runs,
            "warmup": args.warmup,
            "measure": "seconds from the parent's time.time() just before spawning a fresh "
                       "interpreter to the child's usable first screen",
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "load": loads,
            **{name: {**stats[name], "samples": samples[name]} for name in samples},
            "ratio_median": ratio,
            "ratio_median_footer": ratio_footer,
            "ratio_min": ratio_min,
            "signin_ratio": signin_ratio,
            "goal_ratio": GOAL_RATIO,
            "goal_signin_ratio": SIGN_IN_RATIO,
            "pass": passed,
        }, indent=2))
        return 0

    print(f"Start-up to a usable first screen, {args.runs} interleaved runs each "
          f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; load {loads[0]} ... {loads[-1]})")
    print()
    print(f"{'app':<10} {'median':>8} {'min':>8} {'max':>8}   "
          f"{'python up':>9} {'App.run':>8} {'exited':>8} {'sign-in':>8} {'store':>8}")
    for name in samples:
        s = stats[name]
        extra = f" {s['median_signin']:>7.3f}s {s['median_store']:>7.3f}s" if "median_signin" in s else ""
        print(f"{name:<10} {s['median']:>7.3f}s {s['min']:>7.3f}s {s['max']:>7.3f}s   "
              f"{s['median_python']:>8.3f}s {s['median_run']:>7.3f}s {s['median_exit']:>7.3f}s{extra}")
    print()
    print(f"first screen, ohjaus/bare: median {ratio:.2f}x (min {ratio_min:.2f}x); "
          f"ohjaus/footer (the old yardstick): {ratio_footer:.2f}x")
    if args.against:
        print(f"ohjaus/against: {stats['ohjaus']['median'] / stats['against']['median']:.2f}x; "
              f"against/bare: {stats['against']['median'] / stats['bare']['median']:.2f}x, "
              f"its sign-in {stats['against']['signin_ratio']:.2f}x its first screen")
    print(f"sign-in ready / first screen (ohjaus, median of each run's ratio): {signin_ratio:.2f}x")
    print(f"goal: first screen at most {GOAL_RATIO}x the bare app, sign-in at most {SIGN_IN_RATIO}x the "
          f"first screen (medians) ... {'PASS' if passed else 'MISS'}")
    print("(python up, App.run, exited: medians of the time to the first line of the child's code, to "
          "App.run being called, to the process having exited; sign-in: the demo "
          "passphrase typed at the first screen checked; store: the full store open for the home screen)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
