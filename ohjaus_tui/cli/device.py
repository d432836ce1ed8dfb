"""The device's own commands: sync, connect, export, report, a worker's enrolment and
passphrase, callbacks import, the access log's check. Each opens the data directory's store,
does one thing and closes it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import _


def _existing_dir(path: Path) -> Path:
    from ..store.directory import DB_NAME

    if not (path / DB_NAME).exists():
        raise DomainError(_("No data directory at {path}").format(path=path))
    return path


def _holds_data(path: Path) -> bool:
    """Whether `path` is anything but a new device's place: missing, or an empty directory."""
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _new_dir(path: Path) -> Path:
    """A new device's data directory, made as the application makes it at its first start
    (`ohjaus connect` is a new workstation's first command: README, "Sync and the central API")."""
    from ..store.directory import prepare

    prepare(path)
    print(_("A new data directory was made at {path}.").format(path=path), file=sys.stderr)
    return path


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

    from ..screens.lock import sign_in_problem

    worker = _device_worker(store, username)
    check = store.sign_in.check_passphrase(worker.id, _read_passphrase(_("Passphrase: ")), now())
    problem = sign_in_problem(check, store.data_dir)
    if problem:
        raise DomainError(problem)
    return store.viewer(worker.id)


def _device_worker(store, username: str):
    """A worker who may sign in on this device (of its unit and registers)."""
    from ..store.directory import sign_in_workers

    device_workers = {w.id for w in sign_in_workers(store.data_dir)}
    worker = next((w for w in store.workers() if w.username == username and w.id in device_workers), None)
    if worker is None:
        raise DomainError(_("No worker {name} on this device.").format(name=username))
    return worker


def run_sync(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.catalogue import kept_aside_text, shipped_social
    from ohjaus_core.domain.clock import now
    from ohjaus_core.protocol import RecordType
    from ..store.store import Store
    from ..sync.client import sync_once

    store = Store(_existing_dir(args.sync_dir))
    try:
        result = sync_once(store, now, args.server)
        catalogues = [row for row in store.pull.quarantined() if row.record_type == RecordType.CATALOGUE.value]
    finally:
        store.close()
    print(result.summary())
    for row in catalogues:  # the region's catalogue kept aside: the one in use stays
        print(kept_aside_text(row.data, shipped_social(), row.detail), file=sys.stderr)
    if result.rejected or result.conflicts:
        print(_("Rejected changes and conflicts are listed in the application's sync view (F6)."), file=sys.stderr)
    if result.pending:
        print(_("ohjaus: {n} changes are still waiting; run sync again.").format(n=result.pending), file=sys.stderr)
        return 1
    return 0


def run_connect(args: argparse.Namespace) -> int:
    from ..store.store import Store
    from ..store.sync_side import SERVER, TOKEN
    from ..sync.client import check_server_url

    server = check_server_url(args.server)
    token = args.token.strip()
    device = _ask_device(server, token)
    store = Store(_existing_dir(args.connect_dir) if _holds_data(args.connect_dir) else _new_dir(args.connect_dir))
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

    from ..sync.client import SyncError
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


def run_export(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.clock import now
    from ..export import export
    from ..store.store import Store

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


def run_report(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from ..context import load_shipped
    from ohjaus_core.domain.clock import now
    from ..report_text import render_csv, render_text
    from ..store.directory import default_data_dir
    from ..store.reports import make_report
    from ..store.store import Store

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


def run_passphrase(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.clock import now

    from ..store.store import Store

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


def run_enrol(args: argparse.Namespace) -> int:
    from ohjaus_core.domain.clock import now

    from ..store.store import Store
    from ..sync.client import enrol

    store = Store(_existing_dir(args.enrol_dir))
    try:
        worker = _device_worker(store, args.username)
        code = _read_passphrase(_("Enrolment code: "))
        enrol(store, worker.id, code, _read_passphrase(_("New passphrase: "), confirm=True), now())
    finally:
        store.close()
    print(_("Passphrase set for {name}; it signs in on every device of the unit after its next sync.").format(
        name=worker.name), file=sys.stderr)
    return 0


def run_callbacks(args: argparse.Namespace) -> int:
    """Exit 0 when every row was imported, 1 when some were bad (the good ones are in),
    2 when nothing could be imported."""
    from ohjaus_core.domain.callbacks import read_callbacks
    from ohjaus_core.domain.clock import now
    from ..store.directory import default_data_dir
    from ..store.store import Store

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


def run_log(args: argparse.Namespace) -> int:
    from ..store.store import Store

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
