"""The worker's day (työlista): callback requests, follow-ups due, bookings to make again
and unfinished contacts, in one list ordered by what must be done first.

Each item has the moment by which it should be done: a callback request is a contact, so
its care-need assessment is due as the law has it (the same day in office hours, the next
working day after them: deadlines.health_assessment_deadline), by the office's closing time
that day; a follow-up by the end of its due day; an unfinished contact by the end of the
day it was started (its assessment was due then). Overdue first, then the nearest; among
equals, who has waited longest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..i18n import N_
from .callbacks import PRIORITY_RANK
from .clock import HELSINKI, local
from .codes import LabelledEnum
from .deadlines.health import health_assessment_deadline
from .deadlines.rules import RegionRules


class WorkKind(LabelledEnum):
    CALLBACK = "callback", N_("Callback request")
    FOLLOW_UP = "follow_up", N_("Follow-up")
    REBOOK = "rebook", N_("Book again")
    DRAFT = "draft", N_("Unfinished contact")
    # a callback request not answered the region's maximum times
    LETTER = "letter", N_("Letter or message")
    # a digital contact request from an e-service form
    REQUEST = "request", N_("E-service request")


@dataclass(frozen=True)
class WorkItem:
    kind: WorkKind
    id: str  # the callback's, follow-up's or contact's id
    client_id: str | None
    who: str  # the client's name, or the caller's as the phone system gave it
    phone: str | None
    what: str  # the reason, or the follow-up's kind and note
    since: datetime  # asked, made or started
    due_at: datetime
    team: bool = False  # handed to the team, not to one worker
    # Callback requests: the phone system's service line, priority and language, the calls
    # made without an answer, and when one put back after no answer comes back to the queue.
    queue: str = ""
    priority: str = "normal"
    attempts: int = 0
    language: str = "fi"
    back_at: datetime | None = None
    # Digital contact requests: the client's own urgency estimate and the reply they want.
    own_urgency: str = ""
    preference: str = ""

    def waiting_to_come_back(self, now: datetime) -> bool:
        return self.back_at is not None and self.back_at > now

    def overdue(self, now: datetime) -> bool:
        return self.due_at < now


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=HELSINKI)


def callback_due(rules: RegionRules, requested_at: datetime) -> datetime:
    moment = local(requested_at)
    day = health_assessment_deadline(rules, moment.date(), moment.time())
    closes = rules.office_closes or time(16, 0)
    due = datetime.combine(day, closes, tzinfo=HELSINKI)
    # Asked after closing on the due day itself cannot be due before it was asked.
    return max(due, moment + timedelta(hours=1)) if day == moment.date() else due


def callbacks_ordered(items: list[WorkItem], now: datetime) -> list[WorkItem]:
    """The callback queue: those that may be called now by priority (high first) and oldest
    first; then those put back after no answer, by when they come back."""
    ready = [i for i in items if not i.waiting_to_come_back(now)]
    later = [i for i in items if i.waiting_to_come_back(now)]
    ready.sort(key=lambda i: (PRIORITY_RANK.get(i.priority, 1), i.since, i.id))
    later.sort(key=lambda i: (i.back_at, i.id))
    return ready + later


def ordered(items: list[WorkItem]) -> list[WorkItem]:
    return sorted(items, key=lambda item: (item.due_at, item.since, item.id))
