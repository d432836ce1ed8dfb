"""Run by scripts/region_check.sh with the installed wheel's Python (never the checkout's): the
device opened as `ohjaus --data-dir DIR` opens it - the data folder in use from
OHJAUS_SHIPPED_DATA, the store's region catalogue when one came by sync - driven for a moment
with Textual's Pilot. Prints one line per thing checked; exits 1 naming what did not hold.

    python region_device_check.py DIR --promise-days N [--service CODE ...] [--worker NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


async def check(args: argparse.Namespace) -> list[str]:
    from textual.widgets import OptionList

    from ohjaus_tui.app import OhjausApp
    from ohjaus_tui.context import Context, shipped_for_start
    from ohjaus_tui.store.directory import prepare

    listed = prepare(args.data_dir, sign_in=True)  # as `ohjaus --data-dir DIR` starts
    ctx = Context(data_dir=args.data_dir, shipped=shipped_for_start())
    ctx.sign_in_list_at_start = listed
    app = OhjausApp(ctx)
    problems: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if ctx.store_is_open() and app.screen.query(OptionList):
                break
        ctx.wait_for_store()
        ctx.store  # noqa: B018 - the opening's region catalogue is taken in use with it
        names = [str(option.prompt) for option in app.screen.query_one("#workers", OptionList).options]
        for name in args.worker or ():
            if not any(name in line for line in names):
                problems.append(f"the sign-in list lacks {name!r} (it lists: {'; '.join(names) or 'nobody'})")
        codes = {service.code for service in ctx.shipped.catalogue}
        for code in args.service or ():
            if code not in codes:
                problems.append(f"the catalogue in use lacks the service {code!r} ({len(codes)} services)")
        promise = ctx.shipped.region.promise_days
        if promise != args.promise_days:
            problems.append(f"the device's promise of care is {promise} days, not the data folder's {args.promise_days}")
        print(f"device {args.data_dir}: {len(names)} workers at sign-in, {len(codes)} services, "
              f"promise of care {promise} days")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--promise-days", type=int, required=True)
    parser.add_argument("--service", action="append")
    parser.add_argument("--worker", action="append")
    args = parser.parse_args()
    import ohjaus_tui

    if "site-packages" not in ohjaus_tui.__file__:
        print(f"not the installed package: {ohjaus_tui.__file__}", file=sys.stderr)
        return 1
    problems = asyncio.run(check(args))
    for problem in problems:
        print(f"device check: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
