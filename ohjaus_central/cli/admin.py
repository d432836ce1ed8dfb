"""The central API's commands: serve, the database's schema, devices, phone systems, which unit
serves a client, a region's files, workers. Each needs the server's packages (`ohjaus[server]`)
and opens the central database for the one thing it does."""

from __future__ import annotations

import argparse
import sys

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import _


def _need_server_extra(db_url: str | None, web: bool = True) -> None:
    """`serve` and `device` need the server's packages, which a workstation does not install."""
    import importlib.util

    needed = (["fastapi", "uvicorn"] if web else []) + ["alembic"]
    needed += ["psycopg"] if (db_url or "").startswith("postgresql") else []
    if any(importlib.util.find_spec(name) is None for name in needed):
        raise DomainError(
            _("The central API needs the server's packages: pip install 'ohjaus[server]'")
        )


def _central_db(db_url: str | None):
    """The central API's database for an administrator's command (`device`, `region`)."""
    _need_server_extra(db_url, web=False)
    from ..serve import default_db_url, open_central

    try:
        return open_central(db_url or default_db_url())
    except ValueError as error:
        raise DomainError(str(error)) from None


def _unknown_unit(store, code: str) -> DomainError:
    return DomainError(_("Unknown unit {code}; the central API knows {codes}.").format(
        code=code, codes=", ".join(store.unit_codes()) or "-"
    ))


def run_serve(args: argparse.Namespace) -> int:
    _need_server_extra(args.db)
    from ..serve import default_db_url, serve

    try:
        return serve(args.db or default_db_url(), args.host, args.port, args.serve_demo, max(1, args.workers),
                     upgrade=args.serve_upgrade)
    except ValueError as error:
        raise DomainError(str(error)) from None
    except OSError as error:
        raise DomainError(_("The central API could not start: {reason}").format(reason=error)) from None


def run_db(args: argparse.Namespace) -> int:
    _need_server_extra(args.db, web=False)
    from sqlalchemy.exc import OperationalError

    from .. import schema
    from ..serve import default_db_url, open_central

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


def run_device(args: argparse.Namespace) -> int:
    return _run_credentials(
        args, args.device_command, "device",
        _("Device {id} for {unit} ({registers}). Its credential, shown only now:"),
        _("No active device {id}."), _("Device {id} revoked."),
    )


def run_integration(args: argparse.Namespace) -> int:
    return _run_credentials(
        args, args.integration_command, "integration",
        _("Phone system or e-service {id} for {unit} ({registers}): it may push callback requests "
          "(POST /v1/callbacks) and e-service contact requests (POST /v1/contact-requests). "
          "Its credential, shown only now:"),
        _("No active phone system credential {id}."), _("Phone system credential {id} revoked."),
    )


def _run_credentials(args: argparse.Namespace, command: str, kind: str, made: str, missing: str, revoked: str) -> int:
    """`device` and `integration`: a credential made (shown once), listed or revoked; kind is
    the store's word for it (add_device, devices, revoke_device)."""
    store = _central_db(args.db)
    try:
        if command == "add":
            try:
                credential_id, token = getattr(store, f"add_{kind}")(args.unit, args.register, args.name or args.unit)
            except KeyError:
                raise _unknown_unit(store, args.unit) from None
            print(made.format(id=credential_id, unit=args.unit, registers=", ".join(args.register)), file=sys.stderr)
            print(token)
        elif command == "list":
            behind = store.catalogue_refused() if kind == "device" else set()
            for row in getattr(store, f"{kind}s")():
                state = _("revoked") if row["revoked_at"] else _("active")
                print(f"{row['id']}  {row['unit_code']:<10} {row['registers']:<14} {state:<8} {row['name']}")
                if row["id"] in behind:
                    print("    " + _("needs an update: cannot read the region's referral catalogue as imported, "
                                     "keeps the one it had"))
        elif command == "revoke":
            credential_id = getattr(args, f"{kind}_id")
            if not getattr(store, f"revoke_{kind}")(credential_id):
                raise DomainError(missing.format(id=credential_id))
            print(revoked.format(id=credential_id))
    finally:
        store.close()
    return 0


def run_client(args: argparse.Namespace) -> int:
    store = _central_db(args.db)
    try:
        try:
            changed = store.release_client(args.unit, args.client_id, undo=args.undo)
        except KeyError:
            raise _unknown_unit(store, args.unit) from None
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


def run_worker_add(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.codes import Role
    from ohjaus_core.domain.demo_region import USERNAME

    if not USERNAME.match(args.username):
        raise DomainError(_("A user name is lower-case letters, digits, '_' and '.', starting with a letter."))
    expected = {Role.NURSE.value: "health", Role.COUNSELLOR.value: "social"}.get(args.role)
    if expected and args.register != expected:
        raise DomainError(_("a {role} works in the {expected} register, not {register}").format(
            role=args.role, expected=expected, register=args.register))
    store = _central_db(args.db)
    from ..region import ref_id  # after the check for the server's packages

    try:
        try:
            unit_id = store._unit_id(args.unit)
        except KeyError:
            raise _unknown_unit(store, args.unit) from None
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


def run_worker_status(args: argparse.Namespace) -> int:
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


def run_region(args: argparse.Namespace) -> int:
    _need_server_extra(args.db, web=False)
    from ..region import export_region, import_region
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
        with _Progress() as step:
            report = import_region(store, folder, now(), lambda kind, done, total: step(names[kind], done, total))
    finally:
        store.close()
    for kind, counts in report.counts.items():
        print(_("{what}: {added} added, {changed} changed, {retired} retired").format(
            what=names[kind], added=counts.added, changed=counts.changed, retired=counts.retired
        ))
    if report.services:
        # The region's services.toml travels to the devices as their catalogue (docs/region.md).
        print((_("services: {n} checked, sent to the devices as the region's catalogue") if report.catalogue_changed
               else _("services: {n} checked, the same catalogue as the devices already get")).format(n=report.services))
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


class _Progress:
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
