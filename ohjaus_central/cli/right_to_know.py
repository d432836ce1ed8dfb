"""`ohjaus client --db URL access-log CODE`: the controller's answer to a client's right-to-know
request (Client Data Act 703/2023 § 11), on the central API's database - the only place that
holds every device's access log, of every unit and both registers (a device holds its own
entries, and the API gives a device its unit's and registers' only).

Printed in the language shown (`--lang`), and with --out written as a CSV file for the client.
The answer is itself a use of the client's data: it is recorded (who answered, on what basis,
to whom) before anything is shown, and the next answer lists it."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys

from ohjaus_core.domain.access_log import AccessAction, Purpose, is_disclosure, item_label, purpose_label
from ohjaus_core.domain.clock import local, now
from ohjaus_core.domain.codes import Register
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import InvalidIdentityCode, parse_identity_code
from ohjaus_core.domain.right_to_know import window
from ohjaus_core.domain.spreadsheet import DELIMITER, open_new, safe_row
from ohjaus_core.i18n import N_, _, format_date, format_time, ngettext
from ohjaus_core.protocol import UUID_PATTERN

BOTH = "health,social"
# The server's own purposes (routes/access_log.py, routes/clients.py), as a person reads them.
SERVER_PURPOSES = {
    "out_of_scope": N_("asked by a unit that does not serve the client (refused)"),
    "restore_to_device": N_("client's records returned to a device"),
}


def run_access_log(args: argparse.Namespace, open_db) -> int:
    code, client_id = _who(args)
    handled_by = (args.by or "").strip()
    if not handled_by or len(handled_by) > 200:
        raise DomainError(_("Say who answers the request (--by NAME, at most 200 characters)."))
    request = (args.request or "").strip()
    if len(request) > 200:
        raise DomainError(_("At most {n} characters.").format(n=200))
    today = now().date()
    first, last, since, until = window(today, args.start, args.end)
    if args.out is not None and os.path.lexists(args.out):
        raise DomainError(_("{path} exists already; name a new file.").format(path=args.out))
    store = open_db(args.db)
    try:
        part = store.right_to_know
        ids = part.client_ids(identity_code=code, client_id=client_id)
        rows = part.rows(ids, since, until)
        unsent = part.unsent_entries()
        names = part.names(ids)
        recipient = _("the client") + f" ({args.out})" if args.out is not None else ""
        purpose = Purpose.RIGHT_TO_KNOW.value + (f":{request}" if request else "")
        # Recorded first: an answer shown or written without its record must never happen.
        part.record_answer(ids, AccessAction.EXPORT.value if args.out is not None else AccessAction.VIEW.value,
                           BOTH, purpose, recipient, handled_by)
    finally:
        store.close()
    uses = [row for row in rows if not is_disclosure(row["action"], row["recipient"])]
    disclosures = [row for row in rows if is_disclosure(row["action"], row["recipient"])]
    print("\n".join(_report(code or client_id, names, first, last, uses, disclosures, unsent, handled_by)))
    if args.out is not None:
        _write_csv(args.out, uses, disclosures)
        print(_("Written for the client: {path}").format(path=args.out), file=sys.stderr)
    return 0


def _who(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The identity code (checked: a wrong one is refused, naming what is wrong) or the id."""
    if bool(args.identity_code) == bool(args.client_id):
        raise DomainError(_("Give the client's identity code or --client-id, one of them."))
    if args.client_id:
        if not re.fullmatch(UUID_PATTERN, args.client_id.strip().lower()):
            raise DomainError(_("Not a client id (a UUID): {id}").format(id=args.client_id))
        return None, args.client_id.strip().lower()
    try:
        return parse_identity_code(args.identity_code).code, None
    except InvalidIdentityCode as error:
        raise DomainError(_("Not a valid identity code, nothing looked up: {reason}").format(reason=error)) from None


def _cells(row: dict) -> dict[str, str]:
    """A row's cells as the client reads them, in the language shown."""
    at = local(row["at"])
    if row["source"] == "controller":
        who, unit = row["worker"], _("controller (answer to a right-to-know request)")
    elif row["source"] == "server":
        who = _("central API, asked from device {name}").format(name=row["device"] or "-")
        unit = f"{row['unit_code']} {row['unit_name']}".strip()
    else:
        who, unit = row["worker"], f"{row['unit_code']} {row['unit_name']}".strip()
    registers = [Register(part).label for part in (row["sector"] or "").split(",") if part in {r.value for r in Register}]
    action = AccessAction(row["action"]).label if row["action"] in {a.value for a in AccessAction} else row["action"]
    code = row["purpose"].partition(":")[0]
    basis = _(SERVER_PURPOSES[code]) if code in SERVER_PURPOSES else purpose_label(row["purpose"])
    return {
        "time": f"{format_date(at)} {format_time(at)}", "who": who, "unit": unit,
        "register": ", ".join(registers) or "-", "action": action, "item": item_label(row["item"]),
        "basis": basis, "recipient": row["recipient"],
    }


def _headings() -> dict[str, str]:
    return {
        "time": _("Time"), "who": _("Who"), "unit": _("Unit"), "register": _("Register"), "action": _("What"),
        "item": _("Data"), "basis": _("Basis"), "recipient": _("Recipient"),
    }


def _table(rows: list[dict], columns: list[str]) -> list[str]:
    headings = _headings()
    cells = [[headings[column] for column in columns]] + [[_cells(row)[column] for column in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in cells]


def _report(who: str, names: list[str], first, last, uses: list[dict], disclosures: list[dict],
            unsent: list[tuple[str, str, int]], handled_by: str) -> list[str]:
    lines = [
        _("Who has processed the client's data (Client Data Act 703/2023, section 11)"),
        _("Client: {who}").format(who=", ".join([*names, who])),
        _("Days: {first}–{last}; registers: health care and social welfare; every unit").format(
            first=format_date(first), last=format_date(last)),
        _("Answered by {name} on {day}; this answer is recorded in the log.").format(
            name=handled_by, day=format_date(now().date())),
        "",
    ]
    if not uses and not disclosures:
        lines.append(_("No one has processed the client's data in these days: the log has no rows about them."))
    else:
        lines.append(ngettext("Use of the data: {n} row", "Use of the data: {n} rows", len(uses)).format(n=len(uses)))
        lines += _table(uses, ["time", "who", "unit", "register", "action", "item", "basis"]) if uses else [
            _("No rows.")]
        lines.append("")
        lines.append(ngettext("Disclosures: {n} row", "Disclosures: {n} rows", len(disclosures)).format(n=len(disclosures)))
        lines += _table(disclosures, ["time", "who", "unit", "register", "action", "item", "recipient", "basis"]) \
            if disclosures else [_("No rows.")]
    for unit_code, device, missing in unsent:
        lines.append(ngettext(
            "Note: device {device} ({unit}) has {n} access-log entry not yet received; sync it and answer again.",
            "Note: device {device} ({unit}) has {n} access-log entries not yet received; sync it and answer again.",
            missing).format(device=device, unit=unit_code, n=missing))
    return lines


def _write_csv(out, uses: list[dict], disclosures: list[dict]) -> None:
    """One row a log row, the use log's then the disclosures', with the log named in the first
    cell; UTF-8 with a byte-order mark and `;`, as a Finnish spreadsheet opens it."""
    headings = _headings()
    columns = ["time", "who", "unit", "register", "action", "item", "basis", "recipient"]
    with open_new(out) as handle:
        handle.write("\ufeff")
        writer = csv.writer(handle, delimiter=DELIMITER)
        writer.writerow([_("Log"), *(headings[column] for column in columns)])
        for log, rows in ((_("use"), uses), (_("disclosure"), disclosures)):
            for row in rows:
                cells = _cells(row)
                writer.writerow(safe_row([log, *(cells[column] for column in columns)]))
        handle.flush()
        os.fsync(handle.fileno())
