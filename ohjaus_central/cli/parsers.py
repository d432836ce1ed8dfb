"""The central API's commands in the `ohjaus` parser: each add_* adds one command (and its
options) to the subparsers ohjaus/cli.py hands it, in the order it chooses."""

from __future__ import annotations

from pathlib import Path

from ohjaus_core.cli_types import iso_day
from ohjaus_core.i18n import _

# The commands this side runs (ohjaus/cli.py dispatches them to ohjaus_central.cli.run).
COMMANDS = ("serve", "db", "device", "integration", "client", "region")
WORKER_COMMANDS = ("add", "remove", "lock", "unlock")


def _db_option(parser) -> None:
    parser.add_argument("--db", help=_("the central API's database (as for serve)"))


def _admin_command(commands, name: str, help: str):
    """A command on the central API's database with subcommands: its --db, then theirs."""
    parser = commands.add_parser(name, help=help)
    _db_option(parser)
    return parser.add_subparsers(dest=f"{name}_command", required=True)


def add_serve(commands) -> None:
    serve = commands.add_parser("serve", help=_("run the central API that devices sync with"))
    serve.add_argument("--db", help=_("sqlite:///FILE or postgresql://... (default: OHJAUS_DB, else a file in the user data directory)"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--demo", action="store_true", dest="serve_demo", help=_("load the demo region and accept demo devices"))
    serve.add_argument("--workers", type=int, default=1, help=_("server processes (default 1; one a core at most)"))
    serve.add_argument("--upgrade", action="store_true", dest="serve_upgrade",
                       help=_("upgrade the database's schema first, as `ohjaus db upgrade` (without it, a database "
                              "behind this version is refused)"))


def add_db(commands) -> None:
    database = commands.add_parser("db", help=_("the central API's database: its schema (Alembic revisions)"))
    database_commands = database.add_subparsers(dest="db_command", required=True)
    for name, text in (
        ("upgrade", _("bring the database to this version's schema (a new database gets every table); back it up first")),
        ("status", _("the database's schema revision and this version's")),
    ):
        _db_option(database_commands.add_parser(name, help=text))


def add_device(commands) -> None:
    _credential_commands(
        commands, "device", _("enrol, list and revoke devices (on the central API's database)"),
        _("make a credential for a device of a unit and register"), _("a name to recognise the device by"),
        _("list enrolled devices"), _("revoke a device's credential"),
    )


def add_integration(commands) -> None:
    _credential_commands(
        commands, "integration",
        _("credentials of phone systems that push callback requests (on the central API's database)"),
        _("make a credential for a phone system, for one unit: it may only push callback requests"),
        _("a name to recognise the phone system by"),
        _("list the phone systems' credentials"), _("revoke a phone system's credential"),
    )


def _credential_commands(commands, name: str, help: str, add_help: str, name_help: str, list_help: str,
                         revoke_help: str) -> None:
    """`device` and `integration`: add, list and revoke a credential (`{name}_id` names one)."""
    subcommands = _admin_command(commands, name, help)
    add = subcommands.add_parser("add", help=add_help)
    add.add_argument("--unit", required=True, help=_("unit code"))
    add.add_argument("--register", action="append", required=True, choices=("health", "social"))
    add.add_argument("--name", default="", help=name_help)
    subcommands.add_parser("list", help=list_help)
    subcommands.add_parser("revoke", help=revoke_help).add_argument(f"{name}_id")


def add_client(commands) -> None:
    client_commands = _admin_command(commands, "client", _("which unit serves a client (on the central API's database)"))
    release = client_commands.add_parser(
        "release",
        help=_("the unit no longer serves the client: its devices remove the client at their next sync "
               "(the records stay on the central API); --undo: the unit serves them again"),
    )
    release.add_argument("client_id", help=_("the client's id"))
    release.add_argument("--unit", required=True, help=_("unit code"))
    release.add_argument("--undo", action="store_true", help=_("the unit serves the client again"))
    log = client_commands.add_parser(
        "access-log",
        help=_("answer a client's right-to-know request: every use and disclosure of the client's data, of every "
               "unit and both registers, from the devices' access logs on the central API (the answer is logged)"),
    )
    log.add_argument("identity_code", nargs="?", help=_("the client's identity code (checked)"))
    log.add_argument("--client-id", help=_("the client's id instead, for a client without an identity code"))
    log.add_argument("--from", type=iso_day, dest="start", help=_("first day, YYYY-MM-DD (default: two years before --to)"))
    log.add_argument("--to", type=iso_day, dest="end", help=_("last day, YYYY-MM-DD (default: today)"))
    log.add_argument("--by", required=True, help=_("who answers the request (written to the log)"))
    log.add_argument("--request", help=_("the request's reference, e.g. its case number (written to the log)"))
    log.add_argument("--out", type=Path, help=_("also write the answer as a CSV file for the client (a new file)"))


def add_region(commands) -> None:
    region_commands = _admin_command(
        commands, "region", _("load a region's own units, workers, professionals and slots into the central API's database")
    )
    region_import = region_commands.add_parser(
        "import", help=_("import a region's folder (docs/region.md); a second run of the same folder changes nothing")
    )
    region_import.add_argument("folder", type=Path, help=_("the region's folder"))
    region_export = region_commands.add_parser(
        "export", help=_("write the region's files back into a folder, with the slots as iCalendar")
    )
    region_export.add_argument("folder", type=Path, help=_("the folder to write into"))
    region_export.add_argument("--format", choices=("ics", "csv"), default="ics", dest="slot_format",
                               help=_("the slots' file: iCalendar (default) or CSV, each with whether it is booked"))


def add_worker(worker_commands) -> None:
    """`worker add`, `remove`, `lock` and `unlock`: the workers on the central API's database."""
    worker_add = worker_commands.add_parser(
        "add", help=_("add or update a worker on the central API's database and print a one-time enrolment code")
    )
    _db_option(worker_add)
    worker_add.add_argument("--unit", required=True, help=_("unit code"))
    worker_add.add_argument("--register", required=True, choices=("health", "social"), help=_("the register the worker works in"))
    worker_add.add_argument("--role", required=True, choices=("nurse", "counsellor", "team_lead"), help=_("the worker's role"))
    worker_add.add_argument("--name", required=True, help=_("the worker's name"))
    worker_add.add_argument("--language", action="append", choices=("fi", "sv", "en"), dest="languages",
                            help=_("a language the worker serves in; give it again for more (default fi)"))
    worker_add.add_argument("username")
    for name, text in (
        ("remove", _("remove a worker on the central API: the unit's devices refuse their sign-in from their next "
                     "sync; their records stay")),
        ("lock", _("lock a worker out on the central API (the unit's devices refuse their sign-in from their next sync)")),
        ("unlock", _("let a locked or removed worker sign in again (from the devices' next sync)")),
    ):
        status_command = worker_commands.add_parser(name, help=text)
        _db_option(status_command)
        status_command.add_argument("username")
