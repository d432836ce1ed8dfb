"""The central API's commands in the `ohjaus` parser: each add_* adds one command (and its
options) to the subparsers ohjaus/cli.py hands it, in the order it chooses."""

from __future__ import annotations

from pathlib import Path

from ohjaus_core.i18n import _

# The commands this side runs (ohjaus/cli.py dispatches them to ohjaus_central.cli.run).
COMMANDS = ("serve", "db", "device", "integration", "client", "region")
WORKER_COMMANDS = ("add", "remove", "lock", "unlock")


def _db_option(parser) -> None:
    parser.add_argument("--db", help=_("the central API's database (as for serve)"))


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
    devices = commands.add_parser("device", help=_("enrol, list and revoke devices (on the central API's database)"))
    _db_option(devices)
    device_commands = devices.add_subparsers(dest="device_command", required=True)
    add = device_commands.add_parser("add", help=_("make a credential for a device of a unit and register"))
    add.add_argument("--unit", required=True, help=_("unit code"))
    add.add_argument("--register", action="append", required=True, choices=("health", "social"))
    add.add_argument("--name", default="", help=_("a name to recognise the device by"))
    device_commands.add_parser("list", help=_("list enrolled devices"))
    revoke = device_commands.add_parser("revoke", help=_("revoke a device's credential"))
    revoke.add_argument("device_id")


def add_integration(commands) -> None:
    integrations = commands.add_parser(
        "integration", help=_("credentials of phone systems that push callback requests (on the central API's database)")
    )
    _db_option(integrations)
    integration_commands = integrations.add_subparsers(dest="integration_command", required=True)
    integration_add = integration_commands.add_parser(
        "add", help=_("make a credential for a phone system, for one unit: it may only push callback requests")
    )
    integration_add.add_argument("--unit", required=True, help=_("unit code"))
    integration_add.add_argument("--register", action="append", required=True, choices=("health", "social"))
    integration_add.add_argument("--name", default="", help=_("a name to recognise the phone system by"))
    integration_commands.add_parser("list", help=_("list the phone systems' credentials"))
    integration_revoke = integration_commands.add_parser("revoke", help=_("revoke a phone system's credential"))
    integration_revoke.add_argument("integration_id")


def add_client(commands) -> None:
    clients = commands.add_parser(
        "client", help=_("which unit serves a client (on the central API's database)")
    )
    _db_option(clients)
    client_commands = clients.add_subparsers(dest="client_command", required=True)
    release = client_commands.add_parser(
        "release",
        help=_("the unit no longer serves the client: its devices remove the client at their next sync "
               "(the records stay on the central API); --undo: the unit serves them again"),
    )
    release.add_argument("client_id", help=_("the client's id"))
    release.add_argument("--unit", required=True, help=_("unit code"))
    release.add_argument("--undo", action="store_true", help=_("the unit serves the client again"))


def add_region(commands) -> None:
    region = commands.add_parser(
        "region", help=_("load a region's own units, workers, professionals and slots into the central API's database")
    )
    _db_option(region)
    region_commands = region.add_subparsers(dest="region_command", required=True)
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
