"""`ohjaus` (the application), `ohjaus demo`, and the one line an unexpected error becomes."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ohjaus_core.i18n import LANGUAGES, _, set_language
from ohjaus_core.settings import settings

if TYPE_CHECKING:
    import argparse

EXIT_ERROR = 2


def _demo_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ohjaus", appauthor=False)) / "demo"


def run_app(args: argparse.Namespace) -> int:
    # No garbage collection while the start-up makes its (long-lived) objects: ~30 ms of CPU
    # to the first screen (issue 18). Collection is back when the store starts opening, half
    # a second after the first paint (Context._open_store), or when the application ends.
    gc.disable()
    try:
        return _run_app(args)
    finally:
        gc.enable()


def _run_app(args: argparse.Namespace) -> int:
    from ..app import OhjausApp
    from ..context import Context, shipped_for_start
    from ..store.directory import default_data_dir, prepare, read_settings

    shipped = shipped_for_start()
    data_dir = args.data_dir or (_demo_dir() if args.demo else default_data_dir())
    stored = read_settings(data_dir, ("demo", "language"))  # one opening (start-up, issue 18)
    demo = stored.get("demo") == "1"
    if not args.lang and not settings().lang:
        chosen = stored.get("language")  # the last one chosen with F9 on this device
        if chosen in LANGUAGES:
            set_language(chosen)
    if args.demo and not demo:
        from ..demo import make_demo_atomically

        gc.enable()  # building the demo makes and drops many objects
        print(_("Making the demo data (first use)..."), file=sys.stderr)
        shipped = shipped() if callable(shipped) else shipped
        with_progress(lambda tick: make_demo_atomically(data_dir, shipped=shipped, progress=tick))
        demo = True
    # Problems with the directory are one line here, before the screen opens.
    listed = prepare(data_dir, sign_in=True)
    ctx = Context(data_dir=data_dir, shipped=shipped, demo=demo)
    ctx.sign_in_list_at_start = listed  # read with the schema check: the first screen's list
    app = OhjausApp(ctx)
    app.run()
    return app.return_code or 0  # non-zero after an internal error (app._fatal_error)


def run_demo(args: argparse.Namespace) -> int:
    from ..demo import make_demo_atomically

    summary = with_progress(lambda tick: make_demo_atomically(
        args.demo_dir,
        clients=args.clients,
        contacts=args.contacts,
        unit_code=args.unit,
        seed=args.seed,
        registers=tuple(args.register or ("health", "social")),
        progress=tick,
    ))
    print(summary)
    return 0


def with_progress(build):
    """Run build(progress) with a rich progress bar on stderr, which vanishes when done. The
    bar starts at the first step, so a refusal before any work is one line, nothing else."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar: Progress | None = None
    task = None

    def tick(what: str, done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            bar = Progress(*columns, console=Console(stderr=True), transient=True)
            bar.start()
            task = bar.add_task(what, total=total)
        bar.update(task, description=what, completed=done, total=total)

    try:
        return build(tick)
    finally:
        if bar is not None:
            bar.stop()


def internal_error(args: argparse.Namespace, error: Exception) -> int:
    """An error no command expected (damaged pages of the database, say): one line and a
    non-zero exit; the stack without values (no names, no identity codes) goes to the data
    directory's error log."""
    from sqlalchemy.exc import DatabaseError as WrappedDatabaseError
    from sqlcipher3 import dbapi2 as sqlcipher

    from ..errorlog import write_error_log

    data_dir = _data_dir_of(args)
    path = write_error_log(data_dir, error) if data_dir is not None else None
    if isinstance(error, (sqlcipher.DatabaseError, WrappedDatabaseError)):
        message = _("The local store in {dir} could not be read: its file is damaged ({error}). Nothing was "
                    "changed; details: {path}").format(dir=data_dir or "-", error=type(error).__name__, path=path or "-")
    else:
        message = _("ohjaus stopped because of an internal error ({error}). Details: {path}").format(
            error=type(error).__name__, path=path or "-"
        )
    print(f"ohjaus: {message}", file=sys.stderr)
    return EXIT_ERROR


def _data_dir_of(args: argparse.Namespace) -> Path | None:
    """The device data directory a command works on, when it names one that exists."""
    from ..store.directory import DB_NAME

    for name in ("export_dir", "report_dir", "sync_dir", "log_dir", "worker_dir", "enrol_dir", "connect_dir", "data_dir"):
        value = getattr(args, name, None)
        if isinstance(value, Path) and (value / DB_NAME).exists():
            return value
    return None
