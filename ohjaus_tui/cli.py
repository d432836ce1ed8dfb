"""The `ohjaus` command. Errors are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import LANGUAGES, N_, _, set_language

EXIT_ERROR = 2


def _demo_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ohjaus", appauthor=False)) / "demo"


# argparse's own words (usage, options, errors) through the application's catalogue, so that
# `--lang sv --help` is Swedish throughout; argparse looks its `_` up at call time.
ARGPARSE_TEXTS = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"), N_("show program's version number and exit"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("expected one argument"),
    N_("%(prog)s: error: %(message)s\n"), N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
)
argparse._ = _  # type: ignore[attr-defined]

# What an option takes, shown in --help instead of argparse's upper-cased internal names.
METAVARS = {
    "--data-dir": N_("DIR"), "--db": "URL", "--server": "URL", "--out": N_("FILE"),
    "--from": N_("YYYY-MM-DD"), "--to": N_("YYYY-MM-DD"), "--unit": N_("UNIT"),
    "--worker": N_("USER"), "--token": N_("CREDENTIAL"), "--purpose": N_("TEXT"),
    "--recipient": N_("TEXT"), "--name": N_("TEXT"), "--host": N_("ADDRESS"),
    "--port": N_("PORT"), "--seed": "N", "--contacts": "N", "--clients": "N",
    "--workers": "N", "--vignettes": N_("PATH"),
}
# Help for the options whose meaning is the same wherever they appear.
HELPS = {
    "--data-dir": N_("the device's data directory"),
    "--seed": N_("seed of the synthetic data, so that a run can be repeated (default 2026)"),
    "--host": N_("address to listen on (default 127.0.0.1: this machine only)"),
    "--port": N_("port to listen on (default 8765)"),
    "--server": N_("the central API's address (https://...; http only to this machine)"),
    "--register": N_("health or social; give it twice for both"),
    "--format": N_("file format (default: the first one)"),
    "device_id": N_("the device's id, as `ohjaus device list` shows it"),
    "integration_id": N_("the phone system credential's id, as `ohjaus integration list` shows it"),
    "username": N_("the worker's user name"),
    "file": N_("the file to read"),
}


def _early_language(argv: list[str] | None) -> None:
    """--lang before anything is printed, so that --help and errors speak it too."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", choices=LANGUAGES)
    known, _rest = early.parse_known_args(argv)
    if known.lang:
        set_language(known.lang)


def _finish(parser: argparse.ArgumentParser) -> None:
    """Fill every option's placeholder and help from the tables above, in every subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _finish(sub)
            continue
        key = action.option_strings[0] if action.option_strings else action.dest
        if action.metavar is None and action.nargs != 0 and not action.choices and key in METAVARS:
            action.metavar = _(METAVARS[key])
        if action.help is None and key in HELPS:
            action.help = _(HELPS[key])


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ohjaus")
    except Exception:  # not installed (a bare checkout on sys.path)
        from . import __version__

        return __version__


class _VersionAction(argparse._VersionAction):
    """--version, the version looked up only when asked (importlib.metadata is slow to load,
    and every start builds the parser)."""

    def __call__(self, parser, namespace, values, option_string=None):
        self.version = f"ohjaus {_version()}"
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ohjaus",
        description=_("Client guidance for a sote-keskus: one contact, from need to follow-up."),
    )
    parser.add_argument("--version", action=_VersionAction, help=_("show the version and exit"))
    parser.add_argument("--data-dir", type=Path, help=_("data directory (default: OHJAUS_DATA_DIR or the user data directory)"))
    parser.add_argument("--demo", action="store_true", help=_("open a demo data directory (made on first use)"))
    parser.add_argument("--lang", choices=LANGUAGES, help=_("language of the screens (default: OHJAUS_LANG or fi)"))
    commands = parser.add_subparsers(dest="command")

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

    check = commands.add_parser(
        "check",
        help=_("check a region's data folder (protocols, services, time limits); run case vignettes"),
    )
    check.add_argument(
        "data", type=Path, nargs="?",
        help=_("the data folder to check (default: the one in use, OHJAUS_SHIPPED_DATA)"),
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

    serve = commands.add_parser("serve", help=_("run the central API that devices sync with"))
    serve.add_argument("--db", help=_("sqlite:///FILE or postgresql://... (default: OHJAUS_DB, else a file in the user data directory)"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--demo", action="store_true", dest="serve_demo", help=_("load the demo region and accept demo devices"))
    serve.add_argument("--workers", type=int, default=1, help=_("server processes (default 1; one a core at most)"))
    serve.add_argument("--upgrade", action="store_true", dest="serve_upgrade",
                       help=_("upgrade the database's schema first, as `ohjaus db upgrade` (without it, a database "
                              "behind this version is refused)"))

    database = commands.add_parser("db", help=_("the central API's database: its schema (Alembic revisions)"))
    database_commands = database.add_subparsers(dest="db_command", required=True)
    for name, text in (
        ("upgrade", _("bring the database to this version's schema (a new database gets every table); back it up first")),
        ("status", _("the database's schema revision and this version's")),
    ):
        database_commands.add_parser(name, help=text).add_argument(
            "--db", help=_("the central API's database (as for serve)"))

    sync = commands.add_parser("sync", help=_("one sync round with the central API: send, then receive"))
    sync.add_argument("--data-dir", type=Path, required=True, dest="sync_dir")
    sync.add_argument("--server", help=_("the central API's address (default: the one the device was connected to)"))

    connect = commands.add_parser("connect", help=_("connect a device to a central API with its credential"))
    connect.add_argument("--data-dir", type=Path, required=True, dest="connect_dir")
    connect.add_argument("--server", required=True)
    connect.add_argument("--token", required=True, help=_("the credential from `ohjaus device add`"))

    devices = commands.add_parser("device", help=_("enrol, list and revoke devices (on the central API's database)"))
    devices.add_argument("--db", help=_("the central API's database (as for serve)"))
    device_commands = devices.add_subparsers(dest="device_command", required=True)
    add = device_commands.add_parser("add", help=_("make a credential for a device of a unit and register"))
    add.add_argument("--unit", required=True, help=_("unit code"))
    add.add_argument("--register", action="append", required=True, choices=("health", "social"))
    add.add_argument("--name", default="", help=_("a name to recognise the device by"))
    device_commands.add_parser("list", help=_("list enrolled devices"))
    revoke = device_commands.add_parser("revoke", help=_("revoke a device's credential"))
    revoke.add_argument("device_id")

    integrations = commands.add_parser(
        "integration", help=_("credentials of phone systems that push callback requests (on the central API's database)")
    )
    integrations.add_argument("--db", help=_("the central API's database (as for serve)"))
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

    clients = commands.add_parser(
        "client", help=_("which unit serves a client (on the central API's database)")
    )
    clients.add_argument("--db", help=_("the central API's database (as for serve)"))
    client_commands = clients.add_subparsers(dest="client_command", required=True)
    release = client_commands.add_parser(
        "release",
        help=_("the unit no longer serves the client: its devices remove the client at their next sync "
               "(the records stay on the central API); --undo: the unit serves them again"),
    )
    release.add_argument("client_id", help=_("the client's id"))
    release.add_argument("--unit", required=True, help=_("unit code"))
    release.add_argument("--undo", action="store_true", help=_("the unit serves the client again"))

    region = commands.add_parser(
        "region", help=_("load a region's own units, workers, professionals and slots into the central API's database")
    )
    region.add_argument("--db", help=_("the central API's database (as for serve)"))
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

    export = commands.add_parser(
        "export", help=_("write the records of your register as JSON Lines or CSV (logged; team leads)")
    )
    export.add_argument("--data-dir", type=Path, required=True, dest="export_dir")
    export.add_argument("--worker", required=True, help=_("your user name; the passphrase is asked"))
    export.add_argument("--out", type=Path, required=True, help=_("the file to write (a new file)"))
    export.add_argument("--purpose", required=True, help=_("what the export is for (written to the access log)"))
    export.add_argument("--recipient", default="", help=_("who receives it (written to the access log)"))
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")

    report = commands.add_parser("report", help=_("the management figures of the reports screen, printed"))
    report.add_argument("--data-dir", type=Path, dest="report_dir", help=_("data directory (default: as for the application)"))
    report.add_argument("--from", type=_iso_day, dest="start", help=_("first day, YYYY-MM-DD (default: 29 days before --to)"))
    report.add_argument("--to", type=_iso_day, dest="end", help=_("last day, YYYY-MM-DD (default: today)"))
    report.add_argument("--unit", help=_("unit code (default: every unit)"))
    report.add_argument("--format", choices=("text", "csv"), default="text", dest="report_format")

    worker = commands.add_parser(
        "worker", help=_("workers: enrol one on the central API, sign one in for the first time, set a passphrase")
    )
    worker_commands = worker.add_subparsers(dest="worker_command", required=True)
    worker_add = worker_commands.add_parser(
        "add", help=_("add or update a worker on the central API's database and print a one-time enrolment code")
    )
    worker_add.add_argument("--db", help=_("the central API's database (as for serve)"))
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
        status_command.add_argument("--db", help=_("the central API's database (as for serve)"))
        status_command.add_argument("username")
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

    callbacks = commands.add_parser("callbacks", help=_("callback requests from a phone system's queue"))
    callback_commands = callbacks.add_subparsers(dest="callbacks_command", required=True)
    imported = callback_commands.add_parser(
        "import", help=_("import callback requests from CSV or JSON; bad rows are reported by line, good ones imported")
    )
    imported.add_argument("file", type=Path)
    imported.add_argument("--data-dir", type=Path, dest="callbacks_dir", help=_("data directory (default as for the application)"))
    imported.add_argument("--unit", help=_("unit code for rows without one (default: the device's unit)"))

    log = commands.add_parser("log", help=_("the access log of this device"))
    log_commands = log.add_subparsers(dest="log_command", required=True)
    verify = log_commands.add_parser("verify", help=_("check that no entry was removed or changed (exit 1 if so)"))
    verify.add_argument("--data-dir", type=Path, required=True, dest="log_dir")
    completion = commands.add_parser(
        "completion", help=_("print a shell completion script: eval \"$(ohjaus completion bash)\" in ~/.bashrc")
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"), help=_("the shell"))
    _finish(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    _early_language(argv)
    args = build_parser().parse_args(argv)
    if args.lang:
        set_language(args.lang)
    try:
        if args.command == "demo":
            return _run_demo(args)
        if args.command == "export":
            return _run_export(args)
        if args.command == "check":
            return _run_check(args)
        if args.command == "serve":
            return _run_serve(args)
        if args.command == "sync":
            return _run_sync(args)
        if args.command == "connect":
            return _run_connect(args)
        if args.command == "device":
            return _run_device(args)
        if args.command == "integration":
            return _run_integration(args)
        if args.command == "region":
            return _run_region(args)
        if args.command == "client":
            return _run_client(args)
        if args.command == "db":
            return _run_db(args)
        if args.command == "completion":
            return _run_completion(args)
        if args.command == "report":
            return _run_report(args)
        if args.command == "worker":
            return _run_worker(args)
        if args.command == "log":
            return _run_log(args)
        if args.command == "callbacks":
            return _run_callbacks(args)
        return _run_app(args)
    except DomainError as error:
        print(f"ohjaus: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - one line, never a traceback with client data
        return _internal_error(args, error)


def _internal_error(args: argparse.Namespace, error: Exception) -> int:
    """An error no command expected (damaged pages of the database, say): one line and a
    non-zero exit; the stack without values (no names, no identity codes) goes to the data
    directory's error log."""
    from sqlalchemy.exc import DatabaseError as WrappedDatabaseError
    from sqlcipher3 import dbapi2 as sqlcipher

    from .errorlog import write_error_log

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
    from .store.directory import DB_NAME

    for name in ("export_dir", "report_dir", "sync_dir", "log_dir", "worker_dir", "enrol_dir", "connect_dir", "data_dir"):
        value = getattr(args, name, None)
        if isinstance(value, Path) and (value / DB_NAME).exists():
            return value
    return None


def _with_progress(build):
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


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import make_demo_atomically

    summary = _with_progress(lambda tick: make_demo_atomically(
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


def _run_check(args: argparse.Namespace) -> int:
    """Validate a data folder a region has edited; exit 0, or 2 with file:line: reason.

    Also lists each protocol's approval status, those past their review date and question texts
    that look compound (warnings for a reviewer). With --questions, lists every finding id.
    With --vignettes, runs the case vignettes and exits 1 when an emergency would be
    under-triaged."""
    from .context import load_shipped, shipped_data_dir
    from ohjaus_core.domain.clock import now
    from ohjaus_core.domain.protocols import NURSE_CONCERN, SHARED, compound_questions, findings
    from ohjaus_core.domain.social_vignettes import (
        SOCIAL_PROTOCOL,
        is_social_file,
        load_social_vignettes,
        run_social,
        social_report,
    )
    from ohjaus_core.domain.vignettes import load_vignettes, report, run_vignettes

    root = args.data or shipped_data_dir()
    if not root.is_dir():
        raise DomainError(_("No data folder at {path}").format(path=root))
    shipped = load_shipped(root)
    rules = shipped.region
    print(_("{path}: {protocols} protocols, {services} services, region {region}: OK").format(
        path=root, protocols=len(shipped.protocols), services=len(shipped.catalogue),
        region=rules.display_name,
    ))
    if args.questions:
        for finding_id, text, asked_by in findings(shipped.protocols):
            where = _("shared: every protocol with the life threats") if asked_by == (SHARED,) else ", ".join(asked_by)
            print(f"{finding_id}\t{text}\t{where}")
        return 0
    today = now().date()
    print(_("Protocols and their status:"))
    for protocol in shipped.protocols:
        governance = protocol.governance
        status = _("approved {on} by {by}").format(
            on=governance.approved_on, by=governance.approved_by
        ) if governance.approved else _("draft, not approved")
        due = governance.review_due.isoformat() if governance.review_due else "-"
        late = "  " + _("PAST REVIEW DATE") if governance.past_review(today) else ""
        print(f"  {protocol.id:<24} v{protocol.version:<3} {status}; "
              + _("review due {due}").format(due=due) + late)
    overdue = [p.id for p in shipped.protocols if p.governance.past_review(today)]
    if overdue:
        print(_("Past their review date: {ids}").format(ids=", ".join(overdue)))
    compound = compound_questions(shipped.protocols)
    if compound:
        print(_("Review list: {n} question texts look compound (one fact a question); warnings, "
                "not failures:").format(n=len(compound)))
        for protocol_id, question, language in compound:
            print(f"  {protocol_id}: {question.id} ({language}): {question.texts[language]}")
    if args.vignettes is None:
        return 0
    target = args.vignettes
    files = sorted(target.rglob("*.toml")) if target.is_dir() else [target]
    if not files or not all(path.is_file() for path in files):
        raise DomainError(_("No vignette files at {path}").format(path=target))
    if all(is_social_file(path) for path in files):
        # The social form (issue 16): urgency, segment, duties and referrals; a missed duty fails.
        social = run_social(
            [v for path in files for v in load_social_vignettes(path)],
            shipped.protocol(SOCIAL_PROTOCOL), shipped.catalogue,
        )
        print(social_report(social, list_misses=not getattr(args, "aggregate", False)))
        return 1 if any(o.missed_duties for o in social) else 0
    vignettes = [v for path in files for v in load_vignettes(path, shipped.protocols)]
    outcomes = run_vignettes(vignettes, shipped.protocols)
    # beside each part: what the protocol questions alone do, the nurse's concern taken out
    without = run_vignettes(vignettes, shipped.protocols, frozenset({NURSE_CONCERN}))
    print(report(outcomes, target if target.is_dir() else None, without))
    under = [o for o in outcomes if o.vignette.expected.value == "emergency" and o.under_triaged]
    return 1 if under else 0


def _read_passphrase(prompt: str, confirm: bool = False) -> str:
    """From the terminal without echo; one line from standard input for scripts."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass(_("Again: ")) != first:
        raise DomainError(_("The two passphrases differ; nothing was changed."))
    return first


def _signed_in(store, username: str):
    """A worker of this device who proves it with their passphrase (for the CLI)."""
    from ohjaus_core.domain.clock import now
    from .screens.lock import sign_in_problem

    from .store.directory import sign_in_workers

    device_workers = {w.id for w in sign_in_workers(store.data_dir)}
    worker = next((w for w in store.workers() if w.username == username and w.id in device_workers), None)
    if worker is None:
        raise DomainError(_("No worker {name} on this device.").format(name=username))
    check = store.sign_in.check_passphrase(worker.id, _read_passphrase(_("Passphrase: ")), now())
    problem = sign_in_problem(check, store.data_dir)
    if problem:
        raise DomainError(problem)
    return store.viewer(worker.id)


def _run_export(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.clock import now
    from .export import export
    from .store.store import Store

    store = Store(_existing_dir(args.export_dir))
    try:
        viewer = _signed_in(store, args.worker)
        records, clients = export(store, viewer, args.format, args.out, args.purpose, args.recipient, now())
    finally:
        store.close()
    print(_("{n} records of {clients} clients written to {path}; the export is in the access log.").format(
        n=records, clients=clients, path=args.out
    ), file=sys.stderr)
    return 0


def _iso_day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a date like 2026-11-25: {text}").format(text=text)) from None


def _run_report(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from .context import load_shipped
    from ohjaus_core.domain.clock import now
    from .report_text import render_csv, render_text
    from .store.directory import default_data_dir
    from .store.reports import make_report
    from .store.store import Store

    data_dir = _existing_dir(args.report_dir or args.data_dir or default_data_dir())
    shipped = load_shipped()
    moment = now()
    end = args.end or moment.date()
    start = args.start or end - timedelta(days=29)
    store = Store(data_dir)
    try:
        report = make_report(store, shipped.region, start, end, moment, args.unit)
    finally:
        store.close()

    def service_name(code: str) -> str:
        service = shipped.service(code)
        return service.name if service else code

    print(render_csv(report) if args.report_format == "csv" else render_text(report, service_name), end="")
    return 0


def _run_worker(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.clock import now
    from .store.store import Store

    if args.worker_command == "add":
        return _run_worker_add(args)
    if args.worker_command in ("remove", "lock", "unlock"):
        return _run_worker_status(args)
    if args.worker_command == "enrol":
        return _run_enrol(args)

    store = Store(_existing_dir(args.worker_dir))
    try:
        worker = next((w for w in store.workers() if w.username == args.username), None)
        if worker is None:
            raise DomainError(_("No worker {name} on this device.").format(name=args.username))
        store.sign_in.set_passphrase(worker.id, _read_passphrase(_("New passphrase: "), confirm=True), now())
    finally:
        store.close()
    print(_("Passphrase set for {name}.").format(name=worker.name), file=sys.stderr)
    return 0


def _run_worker_add(args: argparse.Namespace) -> int:
    from .demo import ref_id
    from ohjaus_core.domain.codes import Role
    from ohjaus_core.domain.demo_region import USERNAME

    if not USERNAME.match(args.username):
        raise DomainError(_("A user name is lower-case letters, digits, '_' and '.', starting with a letter."))
    expected = {Role.NURSE.value: "health", Role.COUNSELLOR.value: "social"}.get(args.role)
    if expected and args.register != expected:
        raise DomainError(_("a {role} works in the {expected} register, not {register}").format(
            role=args.role, expected=expected, register=args.register))
    store = _central_db(args.db)
    try:
        try:
            unit_id = store._unit_id(args.unit)
        except KeyError:
            raise DomainError(
                _("Unknown unit {code}; the central API knows {codes}.").format(
                    code=args.unit, codes=", ".join(store.unit_codes()) or "-"
                )
            ) from None
        row = dict(
            id=ref_id("worker", args.username), username=args.username, name=args.name.strip(), role=args.role,
            sector=args.register, unit_id=unit_id, languages=",".join(dict.fromkeys(args.languages or ["fi"])),
        )
        _loaded, code = store.add_worker(row)
    finally:
        store.close()
    print(_("Worker {name} ({username}) of {unit}. The one-time enrolment code, shown only now; the worker types "
            "it at their first sign-in on a device of the unit:").format(name=row["name"], username=args.username, unit=args.unit),
          file=sys.stderr)
    print(code)
    return 0


def _run_worker_status(args: argparse.Namespace) -> int:
    status = {"remove": "removed", "lock": "locked", "unlock": "active"}[args.worker_command]
    store = _central_db(args.db)
    try:
        worker = store.worker_by_username(args.username)
        if worker is None:
            raise DomainError(_("No worker {name} on the central API.").format(name=args.username))
        changed = store.set_worker_status(worker["id"], status)
    finally:
        store.close()
    done = {
        "removed": _("Worker {name} ({username}) removed: the unit's devices refuse their sign-in from their next sync; "
                     "their records stay."),
        "locked": _("Worker {name} ({username}) locked out: the unit's devices refuse their sign-in from their next sync."),
        "active": _("Worker {name} ({username}) may sign in again, from the devices' next sync."),
    }[status]
    print(done.format(name=worker["name"], username=args.username) if changed else
          _("Worker {name} ({username}) was so already; nothing changed.").format(name=worker["name"], username=args.username))
    return 0


def _run_enrol(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.clock import now
    from .store.directory import sign_in_workers
    from .store.store import Store
    from .sync.client import enrol

    store = Store(_existing_dir(args.enrol_dir))
    try:
        device_workers = {w.id for w in sign_in_workers(store.data_dir)}
        worker = next((w for w in store.workers() if w.username == args.username and w.id in device_workers), None)
        if worker is None:
            raise DomainError(_("No worker {name} on this device.").format(name=args.username))
        code = _read_passphrase(_("Enrolment code: "))
        enrol(store, worker.id, code, _read_passphrase(_("New passphrase: "), confirm=True), now())
    finally:
        store.close()
    print(_("Passphrase set for {name}; it signs in on every device of the unit after its next sync.").format(
        name=worker.name), file=sys.stderr)
    return 0


def _run_callbacks(args: argparse.Namespace) -> int:
    """Exit 0 when every row was imported, 1 when some were bad (the good ones are in),
    2 when nothing could be imported."""
    from ohjaus_core.domain.callbacks import read_callbacks
    from ohjaus_core.domain.clock import now
    from .store.directory import default_data_dir
    from .store.store import Store

    if not args.file.is_file():
        raise DomainError(_("No file at {path}").format(path=args.file))
    read = read_callbacks(args.file)
    store = Store(_existing_dir(args.callbacks_dir or default_data_dir()))
    try:
        code = args.unit or store.setting("unit")
        unit = next((u for u in store.units() if u.code == code), None)
        if unit is None:
            raise DomainError(_("Say the unit with --unit; this device has none set."))
        result = store.worklist.import_callbacks(read.requests, unit.id, now())
    finally:
        store.close()
    for problem in read.problems:
        print(problem, file=sys.stderr)
    print(_("{added} callback requests imported ({matched} of known clients), {already} imported before, {bad} rows with problems.").format(
        added=result.added, matched=result.matched, already=result.already, bad=len(read.problems)
    ))
    return 1 if read.problems else 0


def _run_log(args: argparse.Namespace) -> int:
    from .store.store import Store

    store = Store(_existing_dir(args.log_dir))
    try:
        check = store.protection.verify_access_log()
    finally:
        store.close()
    if check.intact:
        print(_("Access log whole: {n} entries, each linked to the one before.").format(n=check.entries))
        return 0
    for seq, what in check.problems:
        print(_("entry {seq}: {what}").format(seq=seq, what=what))
    print(_("ohjaus: the access log has been tampered with ({n} problems).").format(n=len(check.problems)), file=sys.stderr)
    return 1


def _existing_dir(path: Path) -> Path:
    from .store.directory import DB_NAME

    if not (path / DB_NAME).exists():
        raise DomainError(_("No data directory at {path}").format(path=path))
    return path


def _need_server_extra(db_url: str | None, web: bool = True) -> None:
    """`serve` and `device` need the server's packages, which a workstation does not install."""
    import importlib.util

    needed = (["fastapi", "uvicorn"] if web else []) + ["alembic"]
    needed += ["psycopg"] if (db_url or "").startswith("postgresql") else []
    if any(importlib.util.find_spec(name) is None for name in needed):
        raise DomainError(
            _("The central API needs the server's packages: pip install 'ohjaus[server]'")
        )


def _run_serve(args: argparse.Namespace) -> int:
    _need_server_extra(args.db)
    from ohjaus_central.serve import default_db_url, serve

    try:
        return serve(args.db or default_db_url(), args.host, args.port, args.serve_demo, max(1, args.workers),
                     upgrade=args.serve_upgrade)
    except ValueError as error:
        raise DomainError(str(error)) from None
    except OSError as error:
        raise DomainError(_("The central API could not start: {reason}").format(reason=error)) from None


def _run_sync(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.clock import now
    from .store.store import Store
    from .sync.client import sync_once

    store = Store(_existing_dir(args.sync_dir))
    try:
        result = sync_once(store, now, args.server)
    finally:
        store.close()
    print(result.summary())
    if result.rejected or result.conflicts:
        print(_("Rejected changes and conflicts are listed in the application's sync view (F6)."), file=sys.stderr)
    if result.pending:
        print(_("ohjaus: {n} changes are still waiting; run sync again.").format(n=result.pending), file=sys.stderr)
        return 1
    return 0


def _run_connect(args: argparse.Namespace) -> int:
    from .store.store import Store
    from .store.sync_side import SERVER, TOKEN
    from .sync.client import check_server_url

    server = check_server_url(args.server)
    token = args.token.strip()
    device = _ask_device(server, token)
    store = Store(_existing_dir(args.connect_dir))
    try:
        store.set_setting(SERVER, server)
        store.set_setting(TOKEN, token)
        # A new credential is a new device to the central API: its log is sent from the start.
        store.outbox.set_access_log_sent(0)
        if device is not None:
            # Sign-in then lists only the workers of the device's unit and registers.
            store.set_setting("unit", device.unit_code)
            store.set_setting("registers", ",".join(device.registers))
    finally:
        store.close()
    if device is None:
        print(_("The central API could not be asked now; the credential is kept and checked at the first sync."), file=sys.stderr)
    print(_("Connected to {server}; `ohjaus sync --data-dir {path}` sends and receives.").format(
        server=server, path=args.connect_dir
    ))
    return 0


def _ask_device(server: str, token: str):
    import httpx

    from .sync.client import SyncError
    from ohjaus_core.protocol import DeviceInfo

    try:
        response = httpx.get(f"{server}/v1/device", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    except httpx.HTTPError:
        return None
    if response.status_code == 401:
        raise SyncError(_("The central API does not accept this device's credential (401): ask for a new one."))
    if response.status_code != 200:
        return None
    return DeviceInfo.model_validate_json(response.content)


def _central_db(db_url: str | None):
    """The central API's database for an administrator's command (`device`, `region`)."""
    _need_server_extra(db_url, web=False)
    from ohjaus_central.serve import default_db_url, open_central

    try:
        return open_central(db_url or default_db_url())
    except ValueError as error:
        raise DomainError(str(error)) from None


def _run_completion(args: argparse.Namespace) -> int:
    """Commands, subcommands, options and their choices completed by the shell (shtab writes
    the script from this very parser, so it never falls behind); directories for --data-dir."""
    import shtab

    parser = build_parser()
    for action in _all_actions(parser):
        if action.option_strings and action.option_strings[0] in ("--data-dir", "--out"):
            action.complete = shtab.DIRECTORY if action.option_strings[0] == "--data-dir" else shtab.FILE
        elif action.dest in ("folder", "file", "vignettes"):
            action.complete = shtab.DIRECTORY if action.dest == "folder" else shtab.FILE
    print(shtab.complete(parser, shell=args.shell))
    return 0


def _all_actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_actions(sub)
        else:
            yield action


def _run_db(args: argparse.Namespace) -> int:
    _need_server_extra(args.db, web=False)
    from sqlalchemy.exc import OperationalError

    from ohjaus_central import schema
    from ohjaus_central.serve import default_db_url, open_central

    url = args.db or default_db_url()
    try:
        store = open_central(url, upgrade=args.db_command == "upgrade")
    except ValueError as error:
        raise DomainError(str(error)) from None
    except schema.SchemaBehind as behind:
        if args.db_command != "status":
            raise
        print(behind)
        return 1
    except OperationalError as error:
        raise DomainError(_("The central database {db} could not be opened: {reason}").format(
            db=schema.shown(url), reason=str(error.orig).strip().splitlines()[0])) from None
    try:
        found, reached = store.schema_found, schema.head()
    finally:
        store.close()
    if args.db_command == "status" or found.revision == reached:
        print(_("The central database {db} is at schema {head}, this version's.").format(db=schema.shown(url), head=reached))
    else:
        print(_("The central database {db} was upgraded from {found} to {head}.").format(
            db=schema.shown(url), found=found.describe(), head=reached))
    return 0


def _run_device(args: argparse.Namespace) -> int:
    store = _central_db(args.db)
    try:
        if args.device_command == "add":
            try:
                device_id, token = store.add_device(args.unit, args.register, args.name or args.unit)
            except KeyError:
                raise DomainError(
                    _("Unknown unit {code}; the central API knows {codes}.").format(
                        code=args.unit, codes=", ".join(store.unit_codes()) or "-"
                    )
                ) from None
            print(_("Device {id} for {unit} ({registers}). Its credential, shown only now:").format(
                id=device_id, unit=args.unit, registers=", ".join(args.register)
            ), file=sys.stderr)
            print(token)
        elif args.device_command == "list":
            for row in store.devices():
                state = _("revoked") if row["revoked_at"] else _("active")
                print(f"{row['id']}  {row['unit_code']:<10} {row['registers']:<14} {state:<8} {row['name']}")
        elif args.device_command == "revoke":
            if not store.revoke_device(args.device_id):
                raise DomainError(_("No active device {id}.").format(id=args.device_id))
            print(_("Device {id} revoked.").format(id=args.device_id))
    finally:
        store.close()
    return 0


def _run_integration(args: argparse.Namespace) -> int:
    store = _central_db(args.db)
    try:
        if args.integration_command == "add":
            try:
                integration_id, token = store.add_integration(args.unit, args.register, args.name or args.unit)
            except KeyError:
                raise DomainError(
                    _("Unknown unit {code}; the central API knows {codes}.").format(
                        code=args.unit, codes=", ".join(store.unit_codes()) or "-"
                    )
                ) from None
            print(_("Phone system or e-service {id} for {unit} ({registers}): it may push callback requests "
                    "(POST /v1/callbacks) and e-service contact requests (POST /v1/contact-requests). "
                    "Its credential, shown only now:").format(
                id=integration_id, unit=args.unit, registers=", ".join(args.register)
            ), file=sys.stderr)
            print(token)
        elif args.integration_command == "list":
            for row in store.integrations():
                state = _("revoked") if row["revoked_at"] else _("active")
                print(f"{row['id']}  {row['unit_code']:<10} {row['registers']:<14} {state:<8} {row['name']}")
        elif args.integration_command == "revoke":
            if not store.revoke_integration(args.integration_id):
                raise DomainError(_("No active phone system credential {id}.").format(id=args.integration_id))
            print(_("Phone system credential {id} revoked.").format(id=args.integration_id))
    finally:
        store.close()
    return 0


def _run_client(args: argparse.Namespace) -> int:
    store = _central_db(args.db)
    try:
        try:
            changed = store.release_client(args.unit, args.client_id, undo=args.undo)
        except KeyError:
            raise DomainError(
                _("Unknown unit {code}; the central API knows {codes}.").format(
                    code=args.unit, codes=", ".join(store.unit_codes()) or "-"
                )
            ) from None
        except LookupError:
            raise DomainError(_("Unit {unit} has no client {id}.").format(unit=args.unit, id=args.client_id)) from None
        if args.undo:
            print(_("Unit {unit} serves client {id} again: its devices take the client back at their next sync.").format(
                unit=args.unit, id=args.client_id) if changed else _("Unit {unit} was serving client {id}.").format(
                unit=args.unit, id=args.client_id))
        else:
            print(_("Unit {unit} no longer serves client {id}: its devices remove the client at their next sync.").format(
                unit=args.unit, id=args.client_id) if changed else _("Unit {unit} had released client {id} already.").format(
                unit=args.unit, id=args.client_id))
    finally:
        store.close()
    return 0


def _run_region(args: argparse.Namespace) -> int:
    _need_server_extra(args.db, web=False)
    from ohjaus_central.region import export_region, import_region
    from ohjaus_core.domain.clock import now
    from ohjaus_core.domain.region_files import read_region_folder

    if args.region_command == "import":
        folder = read_region_folder(args.folder)  # every file checked before anything is written
    store = _central_db(args.db)
    try:
        if args.region_command == "export":
            written, slots = export_region(store, args.folder, now(), args.slot_format)
            for path in written:
                print(path)
            print(_("{n} files written, {slots} slots.").format(n=len(written), slots=slots), file=sys.stderr)
            return 0
        names = {
            "unit": _("units"), "worker": _("workers"), "professional": _("professionals"), "slot": _("slots"),
        }
        with _progress() as step:
            report = import_region(store, folder, now(), lambda kind, done, total: step(names[kind], done, total))
    finally:
        store.close()
    for kind, counts in report.counts.items():
        print(_("{what}: {added} added, {changed} changed, {retired} retired").format(
            what=names[kind], added=counts.added, changed=counts.changed, retired=counts.retired
        ))
    if report.services:
        print(_("services: {n} checked (devices read them from their data folder)").format(n=report.services))
    for kind, count in report.not_in_files.items():
        if count:
            print(_("{what} in the database but not in the files: {n}, kept").format(what=names[kind], n=count))
    if report.kept_booked or report.booked_missing:
        print(_("booked slots kept as they are: {changed} changed in the files, {missing} no longer in them").format(
            changed=report.kept_booked, missing=report.booked_missing
        ))
    if report.changes:
        print(_("{n} changes; devices receive them at their next sync.").format(n=report.changes))
    else:
        print(_("0 changes: the database already held these files."))
    return 0


class _progress:
    """A progress bar on standard error (rich.progress) while a long command works; nothing
    when standard error is not a terminal."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import Progress

        console = Console(stderr=True)
        self.bar = Progress(console=console, transient=True, disable=not console.is_terminal)
        self.bar.start()
        self.tasks: dict[str, object] = {}
        return self.step

    def step(self, name: str, done: int, total: int) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(name, total=max(total, 1))
        self.bar.update(self.tasks[name], completed=done if total else 1)

    def __exit__(self, *_exc) -> None:
        self.bar.stop()


def _run_app(args: argparse.Namespace) -> int:
    from .app import OhjausApp
    from .context import Context, shipped_for_start
    from .store.directory import default_data_dir, prepare, read_setting

    shipped = shipped_for_start()
    data_dir = args.data_dir or (_demo_dir() if args.demo else default_data_dir())
    demo = read_setting(data_dir, "demo") == "1"
    if not args.lang and not os.environ.get("OHJAUS_LANG"):
        chosen = read_setting(data_dir, "language")  # the last one chosen with F9 on this device
        if chosen in LANGUAGES:
            set_language(chosen)
    if args.demo and not demo:
        from .demo import make_demo_atomically

        print(_("Making the demo data (first use)..."), file=sys.stderr)
        shipped = shipped() if callable(shipped) else shipped
        _with_progress(lambda tick: make_demo_atomically(data_dir, shipped=shipped, progress=tick))
        demo = True
    # Problems with the directory are one line here, before the screen opens.
    prepare(data_dir)
    app = OhjausApp(Context(data_dir=data_dir, shipped=shipped, demo=demo))
    app.run()
    return app.return_code or 0  # non-zero after an internal error (app._fatal_error)


if __name__ == "__main__":
    sys.exit(main())
