"""The device's commands in the `ohjaus` parser: each add_* adds one command (and its options)
to the subparsers ohjaus/cli.py hands it, in the order it chooses."""

from __future__ import annotations

from pathlib import Path

from ohjaus_core.cli_types import iso_day
from ohjaus_core.i18n import _

# The commands this side runs (ohjaus/cli.py dispatches them to ohjaus_tui.cli.run).
COMMANDS = ("demo", "check", "sync", "connect", "export", "report", "callbacks", "log")
WORKER_COMMANDS = ("enrol", "passphrase")


def add_demo(commands) -> None:
    demo = commands.add_parser("demo", help=_("make a demo device data directory, headless"))
    demo.add_argument("--data-dir", type=Path, required=True, dest="demo_dir")
    demo.add_argument("--contacts", type=int, default=150, help=_("synthetic signed contacts (default 150)"))
    demo.add_argument("--clients", type=int, default=300, help=_("synthetic clients (default 300)"))
    demo.add_argument("--unit", help=_("the unit code of the device (default: the region's first unit)"))
    demo.add_argument("--seed", type=int, default=2026)

    demo.add_argument(
        "--register",
        action="append",
        choices=("health", "social"),
        help=_("the register(s) of the device (default: both)"),
    )


def add_check(commands) -> None:
    check = commands.add_parser(
        "check",
        help=_("check a region's data folder (protocols, services, time limits); run case vignettes"),
    )
    check.add_argument(
        "data", type=Path, nargs="?",
        help=_("the data folder to check (default: the one in use, OHJAUS_SHIPPED_DATA)"),
    )
    check.add_argument(
        "--accept-missing", action="append", metavar="ID[,ID]",
        help=_("shipped protocols the region leaves out on purpose (check fails when the folder "
               "lacks one it does not name)"),
    )
    check.add_argument(
        "--questions", action="store_true",
        help=_("list every finding id with its English text and the protocols that ask it"),
    )
    check.add_argument(
        "--vignettes", type=Path,
        help=_("a vignette file or folder (searched recursively) to run through the protocols"),
    )
    check.add_argument(
        "--aggregate", action="store_true",
        help=_("print only the figures of a vignette set, not its misses (a held-out set)"),
    )
    check.add_argument(
        "--reference", type=Path, nargs="+", metavar="LABELS",
        help=_("social vignettes: measure urgency and segment against these label files (a panel's "
               "consensus, tests/social_readers/*_consensus.toml) instead of the writers'"),
    )


def add_sync(commands) -> None:
    sync = commands.add_parser("sync", help=_("one sync round with the central API: send, then receive"))
    sync.add_argument("--data-dir", type=Path, required=True, dest="sync_dir")
    sync.add_argument("--server", help=_("the central API's address (default: the one the device was connected to)"))


def add_connect(commands) -> None:
    connect = commands.add_parser("connect", help=_("connect a device to a central API with its credential"))
    connect.add_argument("--data-dir", type=Path, required=True, dest="connect_dir")
    connect.add_argument("--server", required=True)
    connect.add_argument("--token", required=True, help=_("the credential from `ohjaus device add`"))


def add_export(commands) -> None:
    export = commands.add_parser(
        "export", help=_("write the records of your register as JSON Lines or CSV (logged; team leads)")
    )
    export.add_argument("--data-dir", type=Path, required=True, dest="export_dir")
    export.add_argument("--worker", required=True, help=_("your user name; the passphrase is asked"))
    export.add_argument("--out", type=Path, required=True, help=_("the file to write (a new file)"))
    export.add_argument("--purpose", required=True, help=_("what the export is for (written to the access log)"))
    export.add_argument("--recipient", default="", help=_("who receives it (written to the access log)"))
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")


def add_report(commands) -> None:
    report = commands.add_parser("report", help=_("the management figures of the reports screen, printed"))
    report.add_argument("--data-dir", type=Path, dest="report_dir", help=_("data directory (default: as for the application)"))
    report.add_argument("--from", type=iso_day, dest="start", help=_("first day, YYYY-MM-DD (default: 29 days before --to)"))
    report.add_argument("--to", type=iso_day, dest="end", help=_("last day, YYYY-MM-DD (default: today)"))
    report.add_argument("--unit", help=_("unit code (default: every unit)"))
    report.add_argument("--format", choices=("text", "csv"), default="text", dest="report_format")


def add_worker(worker_commands) -> None:
    """`worker enrol` and `worker passphrase`: a worker's sign-in on this device."""
    enrol = worker_commands.add_parser(
        "enrol", help=_("a worker's first sign-in on this device: the enrolment code, then a new passphrase twice "
                        "(or two lines on standard input)")
    )
    enrol.add_argument("--data-dir", type=Path, required=True, dest="enrol_dir")
    enrol.add_argument("username")
    passphrase = worker_commands.add_parser(
        "passphrase", help=_("set a worker's sign-in passphrase on this device (asked twice, or one line on standard input)")
    )
    passphrase.add_argument("--data-dir", type=Path, required=True, dest="worker_dir")
    passphrase.add_argument("username")


def add_callbacks(commands) -> None:
    callbacks = commands.add_parser("callbacks", help=_("callback requests from a phone system's queue"))
    callback_commands = callbacks.add_subparsers(dest="callbacks_command", required=True)
    imported = callback_commands.add_parser(
        "import", help=_("import callback requests from CSV or JSON; bad rows are reported by line, good ones imported")
    )
    imported.add_argument("file", type=Path)
    imported.add_argument("--data-dir", type=Path, dest="callbacks_dir", help=_("data directory (default as for the application)"))
    imported.add_argument("--unit", help=_("unit code for rows without one (default: the device's unit)"))


def add_log(commands) -> None:
    log = commands.add_parser("log", help=_("the access log of this device"))
    log_commands = log.add_subparsers(dest="log_command", required=True)
    verify = log_commands.add_parser("verify", help=_("check that no entry was removed or changed (exit 1 if so)"))
    verify.add_argument("--data-dir", type=Path, required=True, dest="log_dir")
