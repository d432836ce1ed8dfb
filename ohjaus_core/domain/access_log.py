"""The access log (käyttöloki): who used which client's data, when, what and why.

Client Data Act 703/2023 § 11: the client may learn who has processed their data and on
what basis. Each entry is chained to the one before it by a SHA-256 over its fields and
the previous entry's hash, and entries are numbered without gaps, so an entry removed or
changed in the file is found by `verify_chain` (the triggers of the store already refuse
UPDATE and DELETE; the chain is for an edit that goes around them). The central API keeps
a copy of every entry a device has sent, which also shows entries cut from the end.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from ..i18n import N_, _
from .codes import LabelledEnum

GENESIS = "0" * 64


class AccessAction(LabelledEnum):
    VIEW = "view", N_("Viewed")  # shown on a screen, search results included
    CREATE = "create", N_("Created")
    CHANGE = "change", N_("Changed")
    SIGN = "sign", N_("Signed")
    EXPORT = "export", N_("Exported")  # a disclosure: written out of the system
    PRINT = "print", N_("Printed")
    REFUSED = "refused", N_("Refused")  # asked for and not shown: no consent or basis


class Purpose(StrEnum):
    """The basis of use (käytön peruste) written with an entry; free text follows a colon."""

    CONTACT = "contact"  # the client's own contact with the worker (client relationship)
    WORKLIST = "worklist"  # the worker's own tasks and recent contacts
    CONSENT = "consent"  # consent:<consent id>
    LEGAL_BASIS = "legal_basis"  # legal_basis:<what the worker stated>
    EXPORT = "export"  # export:<what the worker stated>
    RIGHT_TO_KNOW = "right_to_know"  # showing the client their own access log


PURPOSE_LABELS = {
    Purpose.CONTACT: N_("client's contact"),
    Purpose.WORKLIST: N_("own work list"),
    Purpose.CONSENT: N_("client's consent"),
    Purpose.LEGAL_BASIS: N_("stated legal basis"),
    Purpose.EXPORT: N_("export"),
    Purpose.RIGHT_TO_KNOW: N_("client's right to know"),
}


def purpose_label(purpose: str) -> str:
    code, _colon, detail = purpose.partition(":")
    try:
        label = _(PURPOSE_LABELS[Purpose(code)])
    except ValueError:
        return purpose
    return f"{label}: {detail}" if detail and code != Purpose.CONSENT else label


# The data item (`item`) of an entry, as a person reads it; an item not here is shown as written.
ITEM_LABELS = {
    "client": N_("client details"),
    "search result": N_("search result"),
    "work list": N_("work list"),
    "contact": N_("contact"),
    "contacts": N_("contacts"),
    "consent": N_("consent"),
    "follow-up": N_("follow-up"),
    "access log": N_("access log"),
    "export": N_("export"),
}

# A disclosure (luovutus): the data written or printed out of the system, or given to a recipient.
DISCLOSURES = (AccessAction.EXPORT.value, AccessAction.PRINT.value)


def item_label(item: str) -> str:
    return _(ITEM_LABELS[item]) if item in ITEM_LABELS else item


def is_disclosure(action: str, recipient: str | None) -> bool:
    return action in DISCLOSURES or bool(recipient)


@dataclass(frozen=True)
class Entry:
    seq: int
    id: str
    at: datetime
    worker_id: str
    unit_id: str
    client_id: str | None
    action: str
    item: str
    sector: str | None  # the register whose data was used
    purpose: str
    recipient: str
    prev_hash: str
    hash: str = ""

    def fields(self) -> list:
        return [
            self.seq, self.id, _iso(self.at), self.worker_id, self.unit_id, self.client_id,
            self.action, self.item, self.sector, self.purpose, self.recipient, self.prev_hash,
        ]


def _iso(moment: datetime) -> str:
    # In UTC, as the store keeps times: the hash sees the same text whichever way it was read.
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def entry_hash(entry: Entry) -> str:
    canonical = json.dumps(entry.fields(), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    problems: list[tuple[int, str]]  # (seq, what is wrong)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(entries: list[Entry], anchor: tuple[int, str] | None = None) -> ChainCheck:
    """Walk the entries in order: numbers without gaps, each linked to the one before,
    each hash over its own fields. Reports every place where that fails. The anchor (the
    count and last hash kept apart from the log, written with every entry) finds what the
    chain alone cannot: entries cut from the end, an emptied log, a tail hashed anew."""
    problems: list[tuple[int, str]] = []
    expected_seq, previous = 1, GENESIS
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append((entry.seq, _("entries {first}-{last} are missing").format(
                first=expected_seq, last=entry.seq - 1)))
        elif entry.prev_hash != previous:
            problems.append((entry.seq, _("not linked to the entry before it")))
        if entry_hash(entry) != entry.hash:
            problems.append((entry.seq, _("changed after it was written")))
        expected_seq, previous = entry.seq + 1, entry.hash
    if anchor is not None:
        count, last_hash = anchor
        held = {entry.seq: entry.hash for entry in entries}
        if count >= expected_seq:
            problems.append((expected_seq, _("entries {first}-{last} are missing").format(
                first=expected_seq, last=count)))
        elif count and held.get(count) != last_hash:
            problems.append((count, _("not the entry the log had under this number: the log was rewritten")))
    return ChainCheck(len(entries), problems)
