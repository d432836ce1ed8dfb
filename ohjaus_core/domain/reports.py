"""The figures a team lead leads with (tiedolla johtaminen): plain computations over plain data.

A report is made of *tallies*: counts of (figure, key) per local day and unit, such as
("channel", "phone") or ("booking_days", "3"). One contact gives its tallies with
`contact_tallies`; the store keeps the sums per day (store/reports.py) and a report adds up
the days of its range and turns them into shares, medians and 90th percentiles with
`build_report`. Times are measured in whole minutes and whole days, so a histogram of them
gives the median and the percentile exactly, not approximately.

Definitions (also in the README and in the report's own text):

- A contact counts when it is signed and no signed correction replaces it; its day is the
  local (Finnish) day it started.
- Resolved at the first contact (yhdellä yhteydenotolla): a contact of an identified client
  that ended in an outcome (advice, booking, referral or emergency redirect), without a
  callback follow-up, that left no help still owed, after which the same client made no new
  contact within 7 days. Help still owed: a service-need assessment (a social contact not
  on the advice and guidance path, unless redirected to emergency help: advice given there
  is not all the law owes, Social Welfare Act 36 §), or a referral or booking not yet in
  place (a follow-up to check that the referral was taken up, or to rebook). Such a contact
  counts, as not resolved: the promise is that the person gets the help they need with one
  contact, and they have not got it yet. Contacts with a callback follow-up are left out
  (the matter is known to continue in the callback, a contact of its own), and anonymous
  contacts are counted apart (no one can tell whether they came back). Only contacts whose
  7 days have passed are counted.
- Time to the care-need assessment (hoidon tarpeen arviointi), health care contacts: the
  assessment is made in the contact, so from its start to its signature, in minutes; within
  the limit when signed by the region's deadline (domain/deadlines/, same day in office
  hours, the next working day outside them).
- Time to the appointment: booked contacts, from the contact's day to the slot's day, in
  days; against the care deadline the booking was measured against (the assessed urgency's,
  which for non-urgent care is the care guarantee) and against the region's own promise.
- Third next available slot (T3): days from now to the third free slot of each unit and
  profession.
- Callback requests (issue 20), by the phone system's queue: those requested in the range
  (by local day), not cancelled. Time to the first call: from the request to the earliest of
  its calls without an answer and the start of the signed contact that answered it; time to
  the contact: from the request to the start of that contact. Whole minutes; median and 90th
  percentile of the requests that have the time; the share within 2 hours and the share the
  same (local) day, of the requests that had it or whose 2 hours (day) have passed without it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .clock import local
from .codes import Channel, FollowUpKind, OutcomeKind, Segment, Urgency
from .deadlines.contact import age_on, booking_deadline, contact_deadlines, service_need_assessment_owed
from .deadlines.health import health_assessment_deadline
from .deadlines.rules import NoCareGuaranteeRule, RegionRules

FCR_WINDOW_DAYS = 7  # no new contact within this many days: resolved at the first contact

Tally = Counter  # (figure, key) -> count

# Figures of the summary; the keys of the histograms are whole minutes or days.
CONTACTS = "contacts"
CHANNEL = "channel"
ANONYMOUS = "anonymous"
FCR_ELIGIBLE = "fcr_eligible"
FCR_RESOLVED = "fcr_resolved"
FCR_CALLBACK = "fcr_callback"
FCR_OWED = "fcr_owed"  # counted, not resolved: help still owed when the contact ended
# The follow-ups that say the help is not yet in place (a referral pending, a booking lost).
OWED_FOLLOW_UPS = (FollowUpKind.CHECK_REFERRAL.value, FollowUpKind.REBOOK.value)
# The rules the tallies were counted by: a store counted by others counts every day again.
TALLY_RULES = "2"  # 2: help still owed is not resolved at the first contact
ASSESSMENT_MINUTES = "assessment_minutes"
ASSESSMENT_WITHIN = "assessment_within"
BOOKING_DAYS = "booking_days"
BOOKING_WITH_DEADLINE = "booking_with_deadline"
BOOKING_WITHIN_CARE = "booking_within_care"
SEGMENT = "segment"
REFERRAL = "referral"
REFERRAL_STATUS = "referral_status"  # key "<service code>:<status>" (REFERRAL_STATUSES)
DUTY = "duty"  # key: the duty made (a notification, a safety response)
# A referral's status as signed: handed over by the worker with the client's consent, handed
# over as a statutory notification without consent, or left to the client (cold).
REFERRAL_STATUSES = ("warm", "statutory", "cold")


@dataclass(frozen=True)
class ContactFact:
    """What the reports need of one signed contact (no names, no identity codes)."""

    started_at: datetime
    signed_at: datetime
    unit_id: str
    channel: str
    sector: str
    client_id: str | None
    segment: str | None = None
    high_need: bool = False
    outcome: str | None = None
    service_code: str | None = None
    slot_starts_at: datetime | None = None
    care_deadline: date | None = None
    urgency: str | None = None
    service_area: str | None = None
    birth_date: date | None = None
    callback: bool = False  # the contact made a callback follow-up
    follow_ups: tuple[str, ...] = ()  # the kinds of the follow-ups the contact made
    repeated: bool = False  # the same client made another contact within FCR_WINDOW_DAYS
    referral_codes: tuple[str, ...] = ()  # every referral's destination (several per contact)
    referral_statuses: tuple[tuple[str, str], ...] = ()  # (destination, status) of each referral
    duties_made: tuple[str, ...] = ()  # the duty of each notification or safety response made

    @property
    def day(self) -> date:
        return local(self.started_at).date()

    @property
    def help_owed(self) -> bool:
        """Help still owed when the contact ended: a service-need assessment, or a referral
        or booking not yet in place (see the module's definitions). An emergency redirect is
        the help owed at once; the social emergency services assess the rest."""
        assessment = self.outcome != OutcomeKind.EMERGENCY.value and service_need_assessment_owed(self.sector, self.urgency)
        return assessment or any(kind in OWED_FOLLOW_UPS for kind in self.follow_ups)


def contact_tallies(fact: ContactFact, rules: RegionRules) -> Tally:
    """The (figure, key) counts one contact adds to its day."""
    tally: Tally = Counter()
    tally[(CONTACTS, "")] += 1
    tally[(CHANNEL, fact.channel)] += 1
    if fact.client_id is None:
        tally[(ANONYMOUS, "")] += 1
    elif fact.outcome is not None:
        if fact.callback:
            tally[(FCR_CALLBACK, "")] += 1
        else:
            tally[(FCR_ELIGIBLE, "")] += 1
            if fact.help_owed:
                tally[(FCR_OWED, "")] += 1
            elif not fact.repeated:
                tally[(FCR_RESOLVED, "")] += 1
    started = local(fact.started_at)
    if fact.sector == "health":
        signed = local(fact.signed_at)
        minutes = max(0, int((signed - started).total_seconds() // 60))
        tally[(ASSESSMENT_MINUTES, str(minutes))] += 1
        deadline = health_assessment_deadline(rules, started.date(), started.time())
        if signed.date() <= deadline:
            tally[(ASSESSMENT_WITHIN, "")] += 1
    if fact.outcome == OutcomeKind.BOOKING.value and fact.slot_starts_at is not None:
        slot_day = local(fact.slot_starts_at).date()
        tally[(BOOKING_DAYS, str(max(0, (slot_day - started.date()).days)))] += 1
        deadline = fact.care_deadline or care_deadline(fact, rules)
        if deadline is not None:
            tally[(BOOKING_WITH_DEADLINE, "")] += 1
            if slot_day <= deadline:
                tally[(BOOKING_WITHIN_CARE, "")] += 1
    if fact.segment is not None:
        tally[(SEGMENT, fact.segment)] += 1
    if fact.outcome == OutcomeKind.REFERRAL.value:
        # Each destination counts once per contact; older records hold only service_code.
        for code in dict.fromkeys(fact.referral_codes or ((fact.service_code,) if fact.service_code else ())):
            tally[(REFERRAL, code)] += 1
        for code, status in dict.fromkeys(fact.referral_statuses):
            tally[(REFERRAL_STATUS, f"{code}:{status}")] += 1
    for duty in fact.duties_made:
        tally[(DUTY, duty)] += 1
    return tally


def referral_status(handover: str, consent: bool, legal_basis: str) -> str:
    """One of REFERRAL_STATUSES."""
    if handover == "cold":
        return "cold"
    return "statutory" if legal_basis and not consent else "warm"


def care_deadline(fact: ContactFact, rules: RegionRules) -> date | None:
    """The care deadline of a booking that did not record one (older data): as the outcome
    step measures it, from the assessed urgency."""
    if fact.urgency is None:
        return None
    day = fact.day
    try:
        deadlines = contact_deadlines(
            rules, day, register=fact.sector, service_area=fact.service_area,
            urgency=Urgency(fact.urgency), age=age_on(fact.birth_date, day),
        )
    except NoCareGuaranteeRule:
        return None
    return booking_deadline(deadlines)


# --- from tallies to figures -----------------------------------------------------------------


def _value_at(histogram: Mapping[int, int], position: int) -> int:
    """The value at a 0-based position of the sorted observations."""
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if position < seen:
            return value
    raise IndexError(position)


def median(histogram: Mapping[int, int]) -> float | None:
    """The middle value; the mean of the two middle ones for an even count."""
    n = sum(histogram.values())
    if n == 0:
        return None
    return (_value_at(histogram, (n - 1) // 2) + _value_at(histogram, n // 2)) / 2


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """Nearest rank: the smallest value that at least `share` of the observations reach."""
    n = sum(histogram.values())
    if n == 0:
        return None
    return _value_at(histogram, max(1, math.ceil(share * n)) - 1)


@dataclass(frozen=True)
class Durations:
    """How long something took, in whole minutes or days: how often each took place."""

    histogram: dict[int, int]

    @property
    def count(self) -> int:
        return sum(self.histogram.values())

    @property
    def median(self) -> float | None:
        return median(self.histogram)

    @property
    def p90(self) -> int | None:
        return percentile(self.histogram, 0.9)


@dataclass(frozen=True)
class Distribution(Durations):
    """Durations with the share within a limit."""

    within: int  # observations within the limit
    judged: int  # observations that had a limit to be judged against

    @property
    def share_within(self) -> float | None:
        return self.within / self.judged if self.judged else None


@dataclass(frozen=True)
class T3Row:
    """Third next available slot (kolmas vapaa aika) of a unit's profession."""

    unit_code: str
    profession_code: str
    profession: str  # the profession's name in the current language
    free: int  # free slots from now on
    days: float | None  # days from now to the third free slot; None: fewer than three


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    unit_code: str | None  # None: every unit
    made_at: datetime
    promise_days: int
    contacts: int
    by_channel: dict[str, int]
    by_day: list[tuple[date, int]]
    anonymous: int
    fcr_until: date | None  # the last day whose 7 days have passed (None: none in range)
    fcr_eligible: int
    fcr_resolved: int
    fcr_callback: int
    assessment: Distribution  # minutes, health care contacts
    booking: Distribution  # days; within: the care deadline
    booking_within_promise: int
    segments: dict[str, int]
    high_need_clients: int
    referrals: dict[str, int]  # service code -> count
    # service code -> {status: count} (REFERRAL_STATUSES); duty id -> count
    referral_status: dict[str, dict[str, int]] = field(default_factory=dict)
    duties: dict[str, int] = field(default_factory=dict)
    t3: list[T3Row] = field(default_factory=list)
    overdue: dict[str, int] = field(default_factory=dict)  # unit code -> open follow-ups due before today
    callbacks: list[CallbackQueueFigures] = field(default_factory=list)  # by queue, then all
    fcr_owed: int = 0  # counted, not resolved: help still owed when the contact ended

    @property
    def fcr_came_back(self) -> int:
        """Counted, not resolved: nothing was owed, but the client made a new contact."""
        return self.fcr_eligible - self.fcr_resolved - self.fcr_owed

    @property
    def fcr_share(self) -> float | None:
        return self.fcr_resolved / self.fcr_eligible if self.fcr_eligible else None

    @property
    def booking_promise_share(self) -> float | None:
        return self.booking_within_promise / self.booking.count if self.booking.count else None


CALLBACK_WITHIN_MINUTES = 120


@dataclass(frozen=True)
class CallbackFact:
    """What the reports need of one callback request (no names, no numbers)."""

    queue: str
    requested_at: datetime
    first_call_at: datetime | None  # the earliest call: one without an answer, or the contact
    contact_at: datetime | None  # the start of the signed contact that answered it


@dataclass(frozen=True)
class CallbackTiming(Durations):
    """Minutes from a request to something (the first call, the contact)."""

    within_2h: int
    judged_2h: int  # had it, or 2 hours passed without it
    same_day: int
    judged_day: int  # had it, or the day ended without it

    @property
    def share_2h(self) -> float | None:
        return self.within_2h / self.judged_2h if self.judged_2h else None

    @property
    def share_day(self) -> float | None:
        return self.same_day / self.judged_day if self.judged_day else None


@dataclass(frozen=True)
class CallbackQueueFigures:
    queue: str  # "" for requests without one
    requests: int
    to_call: CallbackTiming
    to_contact: CallbackTiming


def callback_timing(pairs: list[tuple[datetime, datetime | None]], now: datetime) -> CallbackTiming:
    """(requested, done or None) pairs: how long it took, as the module's definitions say."""
    hist: Counter = Counter()
    within = judged = same = judged_day = 0
    today = local(now).date()
    for asked, done in pairs:
        day = local(asked).date()
        if done is not None:
            minutes = max(0, int((done - asked).total_seconds() // 60))
            hist[minutes] += 1
            judged += 1
            judged_day += 1
            within += minutes <= CALLBACK_WITHIN_MINUTES
            same += local(done).date() == day
        else:
            judged += now - asked > timedelta(minutes=CALLBACK_WITHIN_MINUTES)
            judged_day += today > day
    return CallbackTiming(dict(hist), within, judged, same, judged_day)


def callback_figures(facts: Iterable[CallbackFact], now: datetime) -> list[CallbackQueueFigures]:
    """Each queue's figures, by the queue's name, and then all queues together (queue None)."""
    by_queue: dict[str, list[CallbackFact]] = {}
    for fact in facts:
        by_queue.setdefault(fact.queue, []).append(fact)

    def figures(queue, rows: list[CallbackFact]) -> CallbackQueueFigures:
        return CallbackQueueFigures(
            queue, len(rows),
            callback_timing([(f.requested_at, f.first_call_at) for f in rows], now),
            callback_timing([(f.requested_at, f.contact_at) for f in rows], now),
        )

    out = [figures(queue, rows) for queue, rows in sorted(by_queue.items())]
    if len(out) > 1:
        out.append(figures(None, [f for rows in by_queue.values() for f in rows]))
    return out


def fcr_last_day(today: date) -> date:
    """The last day whose contacts have had their FCR_WINDOW_DAYS days (up to yesterday's end)."""
    return today - timedelta(days=FCR_WINDOW_DAYS + 1)


def histogram(totals: Mapping[tuple[str, str], int], figure: str) -> dict[int, int]:
    return {int(key): n for (name, key), n in totals.items() if name == figure and n}


def build_report(
    *,
    start: date,
    end: date,
    unit_code: str | None,
    made_at: datetime,
    rules: RegionRules,
    totals: Mapping[tuple[str, str], int],
    fcr_totals: Mapping[tuple[str, str], int],
    by_day: Mapping[date, int],
    high_need_clients: int,
    t3: Iterable[T3Row] = (),
    overdue: Mapping[str, int] | None = None,
    callbacks: Iterable[CallbackFact] = (),
) -> Report:
    """Figures from summed tallies: `totals` over the whole range, `fcr_totals` over the days
    whose 7 days have passed, `by_day` the contacts of each day."""
    today = local(made_at).date()
    last = min(end, fcr_last_day(today))
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    bookings = histogram(totals, BOOKING_DAYS)
    return Report(
        start=start,
        end=end,
        unit_code=unit_code,
        made_at=made_at,
        promise_days=rules.promise_days,
        contacts=totals.get((CONTACTS, ""), 0),
        by_channel={c.value: totals.get((CHANNEL, c.value), 0) for c in Channel},
        by_day=[(day, by_day.get(day, 0)) for day in days],
        anonymous=totals.get((ANONYMOUS, ""), 0),
        fcr_until=last if last >= start else None,
        fcr_eligible=fcr_totals.get((FCR_ELIGIBLE, ""), 0),
        fcr_resolved=fcr_totals.get((FCR_RESOLVED, ""), 0),
        fcr_callback=fcr_totals.get((FCR_CALLBACK, ""), 0),
        fcr_owed=fcr_totals.get((FCR_OWED, ""), 0),
        assessment=Distribution(
            histogram(totals, ASSESSMENT_MINUTES),
            totals.get((ASSESSMENT_WITHIN, ""), 0),
            sum(histogram(totals, ASSESSMENT_MINUTES).values()),
        ),
        booking=Distribution(
            bookings,
            totals.get((BOOKING_WITHIN_CARE, ""), 0),
            totals.get((BOOKING_WITH_DEADLINE, ""), 0),
        ),
        booking_within_promise=sum(n for d, n in bookings.items() if d <= rules.promise_days),
        segments={s.value: totals.get((SEGMENT, s.value), 0) for s in Segment},
        high_need_clients=high_need_clients,
        referrals=dict(
            sorted(
                ((key, n) for (name, key), n in totals.items() if name == REFERRAL and n),
                key=lambda item: (-item[1], item[0]),
            )
        ),
        referral_status=_referral_status(totals),
        duties=dict(
            sorted(
                ((key, n) for (name, key), n in totals.items() if name == DUTY and n),
                key=lambda item: (-item[1], item[0]),
            )
        ),
        t3=list(t3),
        overdue=dict(overdue or {}),
        callbacks=callback_figures(callbacks, made_at),
    )


def _referral_status(totals: Mapping[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for (name, key), n in totals.items():
        if name == REFERRAL_STATUS and n:
            code, _sep, status = key.rpartition(":")
            found.setdefault(code, {})[status] = found.get(code, {}).get(status, 0) + n
    return {code: {s: found[code][s] for s in REFERRAL_STATUSES if s in found[code]} for code in sorted(found)}


def third_next_available(starts: list[datetime], now: datetime) -> float | None:
    """Days from now to the third free slot (the slots from now on, in any order)."""
    later = sorted(s for s in starts if s >= now)
    if len(later) < 3:
        return None
    return (later[2] - now).total_seconds() / 86400
