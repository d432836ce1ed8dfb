"""A report as text a person reads (80 columns, in the UI language) or as CSV for a
spreadsheet (one row a figure: section, key, value; stable codes, not translated)."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Callable
from datetime import date, timedelta

from ohjaus_core.domain.clock import local
from ohjaus_core.domain.codes import Channel, Segment
from ohjaus_core.domain.spreadsheet import safe_row
from ohjaus_core.domain.reports import FCR_WINDOW_DAYS, Report
from ohjaus_core.i18n import N_, _, babel_locale, format_date, format_day, format_moment, format_number

WIDTH = 78
LABEL = 46


def percent(share: float | None) -> str:
    from babel.numbers import format_percent

    return "-" if share is None else format_percent(share, locale=babel_locale())


def decimal(value: float | None) -> str:
    from babel.numbers import format_decimal

    return "-" if value is None else format_decimal(value, format="0.#", locale=babel_locale())


def fcr_definition() -> str:
    return _(
        "Resolved at the first contact: a contact of an identified client that ended in advice, "
        "a booking, a referral or an emergency redirect, with no callback follow-up, that left "
        "no help still owed, after which the same client made no new contact within {days} "
        "days. Help still owed (counted, not resolved): a social contact's service-need "
        "assessment (advice given off the advice path is not all that is owed), or a referral "
        "or booking not yet in place (a check of the referral, a rebooking). Only contacts whose "
        "{days} days have passed count; anonymous contacts are counted apart."
    ).format(days=FCR_WINDOW_DAYS)


def assessment_definition() -> str:
    return _(
        "Care-need assessment (health care contacts): from the start of the contact to its "
        "signature; within the limit when signed by the region's deadline (the same day in "
        "office hours, the next working day outside them)."
    )


def booking_definition(promise_days: int) -> str:
    return _(
        "Appointment: from the day of the contact to the day of the booked slot; the care "
        "deadline is the assessed urgency's (for non-urgent care the care guarantee), the "
        "region's promise is {days} days."
    ).format(days=promise_days)


def callback_definition() -> str:
    return _(
        "Callback requests made in the range, by the phone system's queue. First call: the "
        "earliest call, answered or not; contact: the start of the signed contact that answered "
        "the request. Median and 90th percentile of the requests that have the time; the shares "
        "of the requests that had it or whose 2 hours (or day) have passed."
    )


def range_label(report: Report) -> str:
    unit = report.unit_code or _("all units")
    return _("{start} - {end}, {unit}").format(
        start=format_date(report.start), end=format_date(report.end), unit=unit
    )


def profession_label(row) -> str:
    return f"{row.unit_code} {row.profession}"


def t3_value(days: float | None) -> str:
    return _("fewer than 3 free") if days is None else _("{days} d").format(days=decimal(days))


def weekly(by_day: list[tuple[date, int]]) -> list[tuple[date, int]]:
    """Contacts by the week (from its Monday), for ranges longer than a month."""
    weeks: dict[date, int] = {}
    for day, n in by_day:
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + n
    return sorted(weeks.items())


REFERRAL_STATUS_LABELS = {
    "warm": N_("{n} warm"), "statutory": N_("{n} without consent (duty)"), "cold": N_("{n} cold"),
}
DUTY_LABELS = {
    "child_welfare_notification": N_("Child-welfare notification"),
    "older_person_notification": N_("Older person's notification"),
    "immediate_safety_response": N_("Immediate safety response"),
}


def referral_status_text(statuses: dict[str, int]) -> str:
    """A destination's referrals by status: "2 warm, 1 cold"."""
    return ", ".join(_(REFERRAL_STATUS_LABELS[s]).format(n=format_number(n)) for s, n in statuses.items() if s in REFERRAL_STATUS_LABELS)


def duty_name(duty: str) -> str:
    return _(DUTY_LABELS[duty]) if duty in DUTY_LABELS else duty


def render_text(report: Report, service_name: Callable[[str], str] = str) -> str:
    lines: list[str] = []

    def head(text: str) -> None:
        lines.append("")
        lines.append(text)

    def row(label: str, value: str, extra: str = "") -> None:
        label = label if len(label) <= LABEL else label[: LABEL - 1] + "…"
        lines.append(f"  {label:<{LABEL}}{value:>10}  {extra}".rstrip())

    def note(text: str) -> None:
        lines.extend(textwrap.wrap(text, WIDTH, initial_indent="  ", subsequent_indent="  "))

    lines.append(_("Report {range}").format(range=range_label(report)))
    lines.append(_("Made {moment}. Aggregates only: no names or identity codes.").format(
        moment=format_moment(local(report.made_at))
    ))

    head(_("Contacts"))
    row(_("Signed contacts"), format_number(report.contacts))
    for channel in Channel:
        n = report.by_channel.get(channel.value, 0)
        row(channel.label, format_number(n), percent(n / report.contacts) if report.contacts else "")
    row(_("of them anonymous"), format_number(report.anonymous))

    long_range = len(report.by_day) > 31
    head(_("Contacts by week (from Monday)") if long_range else _("Contacts by day"))
    series = weekly(report.by_day) if long_range else report.by_day
    top = max((n for _day, n in series), default=0)
    for day, n in series:
        bar = "█" * (round(n / top * 40) if top else 0)
        lines.append(f"  {format_day(day):<8}{format_number(n):>7}  {bar}")

    head(_("Resolved at the first contact"))
    if report.fcr_until is None:
        row(_("Share resolved"), "-", _("no contact in the range has had its {days} days yet").format(days=FCR_WINDOW_DAYS))
    else:
        row(_("Share resolved"), percent(report.fcr_share), _("{resolved} of {eligible}").format(
            resolved=format_number(report.fcr_resolved), eligible=format_number(report.fcr_eligible)
        ))
        row(_("Not resolved: help still owed"), format_number(report.fcr_owed))
        row(_("Not resolved: a new contact within {days} days").format(days=FCR_WINDOW_DAYS),
            format_number(report.fcr_came_back))
        row(_("Left out: a callback follow-up"), format_number(report.fcr_callback))
        row(_("Counted up to"), format_date(report.fcr_until))
    note(fcr_definition())

    def distribution(title: str, counted: str, within: str, figures) -> None:
        """A time distribution's rows: how many, the median, the 90th percentile, how many in time."""
        head(title)
        row(counted, format_number(figures.count))
        row(_("Median"), decimal(figures.median))
        row(_("90th percentile"), decimal(figures.p90))
        row(within, percent(figures.share_within), _("{n} of {total}").format(
            n=format_number(figures.within), total=format_number(figures.judged)
        ))

    distribution(_("Time to the care-need assessment (minutes)"), _("Assessed"), _("Within the deadline"),
                 report.assessment)
    note(assessment_definition())

    b = report.booking
    distribution(_("Time to the appointment (days)"), _("Booked"), _("Within the care deadline"), b)
    row(_("Within the region's promise ({days} d)").format(days=report.promise_days),
        percent(report.booking_promise_share), _("{n} of {total}").format(
            n=format_number(report.booking_within_promise), total=format_number(b.count)
        ))
    note(booking_definition(report.promise_days))

    head(_("Callback requests: time to the first call and to the contact (minutes)"))
    if not report.callbacks:
        row(_("No callback requests"), "0")
    for figures in report.callbacks:
        name = figures.queue if figures.queue else (_("no queue") if figures.queue is not None else _("All queues"))
        row(name, format_number(figures.requests), _("requests"))
        for label, timing in ((_("first call"), figures.to_call), (_("contact"), figures.to_contact)):
            row("  " + _("{what}: median, 90th percentile").format(what=label),
                f"{decimal(timing.median)} / {decimal(timing.p90)}",
                _("{n} with the time").format(n=format_number(timing.count)))
            row("  " + _("{what}: within 2 h, the same day").format(what=label),
                f"{percent(timing.share_2h)} / {percent(timing.share_day)}")
    note(callback_definition())

    head(_("Third next available slot (days from now)"))
    if not report.t3:
        row(_("No professionals"), "-")
    for t3 in report.t3:
        row(profession_label(t3), t3_value(t3.days), _("{n} free").format(n=format_number(t3.free)))

    head(_("Segments"))
    total_segments = sum(report.segments.values())
    for segment in Segment:
        n = report.segments.get(segment.value, 0)
        row(segment.label, format_number(n), percent(n / total_segments) if total_segments else "")
    row(_("High-need clients identified"), format_number(report.high_need_clients))

    head(_("Referrals by destination"))
    if not report.referrals:
        row(_("No referrals"), "0")
    for code, n in report.referrals.items():
        row(service_name(code), format_number(n), referral_status_text(report.referral_status.get(code, {})))

    head(_("Duties made (notifications, safety responses)"))
    if not report.duties:
        row(_("None"), "0")
    for duty, n in report.duties.items():
        row(duty_name(duty), format_number(n))

    head(_("Overdue follow-ups (open, due before today)"))
    if not report.overdue:
        row(_("None"), "0")
    for code, n in report.overdue.items():
        row(code, format_number(n))
    return "\n".join(lines) + "\n"


def csv_rows(report: Report) -> list[tuple[str, str, str]]:
    def number(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.4f}".rstrip("0").rstrip(".")
        return str(value)

    rows: list[tuple[str, str, object]] = [
        ("range", "start", report.start.isoformat()),
        ("range", "end", report.end.isoformat()),
        ("range", "unit", report.unit_code or "all"),
        ("contacts", "signed", report.contacts),
        ("contacts", "anonymous", report.anonymous),
    ]
    rows += [("channel", channel, n) for channel, n in report.by_channel.items()]
    rows += [("day", day.isoformat(), n) for day, n in report.by_day]
    rows += [
        ("first_contact", "counted_until", report.fcr_until.isoformat() if report.fcr_until else ""),
        ("first_contact", "eligible", report.fcr_eligible),
        ("first_contact", "resolved", report.fcr_resolved),
        ("first_contact", "share_resolved", report.fcr_share),
        ("first_contact", "left_out_callback", report.fcr_callback),
        ("first_contact", "not_resolved_help_owed", report.fcr_owed),
        ("first_contact", "not_resolved_new_contact", report.fcr_came_back),
    ]
    a, b = report.assessment, report.booking
    rows += [
        ("assessment_minutes", "count", a.count),
        ("assessment_minutes", "median", a.median),
        ("assessment_minutes", "p90", a.p90),
        ("assessment_minutes", "within_deadline", a.within),
        ("assessment_minutes", "share_within_deadline", a.share_within),
        ("appointment_days", "count", b.count),
        ("appointment_days", "median", b.median),
        ("appointment_days", "p90", b.p90),
        ("appointment_days", "within_care_deadline", b.within),
        ("appointment_days", "with_care_deadline", b.judged),
        ("appointment_days", "share_within_care_deadline", b.share_within),
        ("appointment_days", "promise_days", report.promise_days),
        ("appointment_days", "within_promise", report.booking_within_promise),
        ("appointment_days", "share_within_promise", report.booking_promise_share),
    ]
    for figures in report.callbacks:
        queue = "all" if figures.queue is None else figures.queue
        rows.append(("callback_requests", queue, figures.requests))
        for name, timing in (("callback_first_call_minutes", figures.to_call), ("callback_contact_minutes", figures.to_contact)):
            rows += [
                (name, f"{queue}/count", timing.count),
                (name, f"{queue}/median", timing.median),
                (name, f"{queue}/p90", timing.p90),
                (name, f"{queue}/share_within_2h", timing.share_2h),
                (name, f"{queue}/share_same_day", timing.share_day),
            ]
    rows += [("t3_days", f"{t.unit_code}/{t.profession_code}", t.days) for t in report.t3]
    rows += [("segment", segment, n) for segment, n in report.segments.items()]
    rows += [("high_need", "clients", report.high_need_clients)]
    rows += [("referral", code, n) for code, n in report.referrals.items()]
    rows += [
        ("referral_status", f"{code}:{status}", n)
        for code, statuses in report.referral_status.items() for status, n in statuses.items()
    ]
    rows += [("duty", duty, n) for duty, n in report.duties.items()]
    rows += [("overdue_follow_ups", code, n) for code, n in report.overdue.items()]
    return [(section, key, number(value)) for section, key, value in rows]


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    writer.writerows(safe_row(row) for row in csv_rows(report))
    return out.getvalue()
