"""The rows of the home screen's worklist: what each column of a work item says, on a wide
terminal and on a narrow one (no Textual here: the screen puts the cells in its tables)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.text import Text

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import Urgency
from ohjaus_core.domain.contact_requests import REPLY_LABELS
from ohjaus_core.domain.phone import format_phone
from ohjaus_core.domain.text import NAME_SHOWN, NOTE_SHOWN, shown
from ohjaus_core.domain.worklist import WorkItem, WorkKind
from ohjaus_core.i18n import N_, _, format_day, format_time
from ..theme import themed


def waited(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return _("{m} min").format(m=minutes)
    if minutes < 24 * 60:
        return _("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)
    return _("{d} d").format(d=minutes // (24 * 60))


def due_text(item: WorkItem, now: datetime) -> Text:
    due = local(item.due_at)
    if due.date() == now.date():
        label = _("today") if (due.hour, due.minute) == (23, 59) else _("by {time}").format(time=format_time(due))
    else:
        label = format_day(due.date())
    return Text(label, style=themed("bold $alarm") if item.overdue(now) else "")


WIDE = 100  # columns from which the worklist shows every column on one line
# Below WIDE: the time waited gives way, the phone goes under the client's name, and "what"
# and the reason wrap onto a second line, so no column is cut to a letter or three (issue 15).
NARROW_DUE, NARROW_WHAT, NARROW_CLIENT = 10, 14, 20
NARROW_FIXED = NARROW_DUE + NARROW_WHAT + NARROW_CLIENT + 4 * 2 + 4  # cell padding, margins, scroll bar


PRIORITY_LABELS = {"high": N_("High priority"), "low": N_("Low priority")}


def callback_note(item: WorkItem, now: datetime, max_attempts: int) -> str:
    """What a callback's calls without an answer say: when it comes back to the queue."""
    if not item.attempts:
        return ""
    tried = _("{n}/{max} not answered").format(n=item.attempts, max=max_attempts)
    if item.waiting_to_come_back(now):
        return _("back in the queue at {time}").format(time=format_time(local(item.back_at))) + ", " + tried
    return tried


def work_row(item: WorkItem, now: datetime, max_attempts: int, reason_width: int | None) -> tuple[list, int]:
    """The cells of one work item and the row's height; `reason_width` None: a wide terminal."""
    narrow = reason_width is not None
    callback = item.kind in (WorkKind.CALLBACK, WorkKind.REQUEST)
    label = _(PRIORITY_LABELS[item.priority]) if item.priority in PRIORITY_LABELS else ""
    if item.kind == WorkKind.REQUEST:
        label = _(REPLY_LABELS[item.preference]) if item.preference in REPLY_LABELS else ""
        if item.own_urgency:
            item = replace(item, what=_("own estimate: {urgency}").format(
                urgency=Urgency(item.own_urgency).label) + " - " + item.what)
    if callback:
        what = item.queue or label or item.kind.label
    else:
        what = item.kind.label + (" (" + _("team") + ")" if item.team else "")
    note = callback_note(item, now, max_attempts) if callback else ""
    reason = shown(" - ".join(p for p in (note, item.what) if p), NOTE_SHOWN)
    name = shown(item.who, NAME_SHOWN)
    phone = format_phone(item.phone) if item.phone else ""
    if narrow:
        client = Text(name[: NARROW_CLIENT - 1] + "…" if len(name) > NARROW_CLIENT else name)
        if phone:
            client.append("\n" + phone)
        if callback:
            second = Text(waited(item.since, now))
            extra = label or item.queue
            if extra:
                second.append("\n" + extra[:NARROW_WHAT], style="bold" if label else "")
        else:
            second = Text(what)
        cells = [due_text(item, now), second, client]
        long_second = (callback and bool(label or item.queue)) or (not callback and len(what) > NARROW_WHAT)
    else:
        cells = [
            due_text(item, now), Text(what, style="bold" if callback and label else ""),
            Text(name, no_wrap=True, overflow="ellipsis"), phone, waited(item.since, now),
        ]
    cells.append(Text(reason, no_wrap=not narrow, overflow="ellipsis", style="dim" if item.waiting_to_come_back(now) else ""))
    two_lines = narrow and (bool(phone) or len(reason) > reason_width or long_second)
    return cells, 2 if two_lines else 1
