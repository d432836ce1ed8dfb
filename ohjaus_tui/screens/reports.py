"""Reports for team leads (tiedolla johtaminen): the figures of `ohjaus report`, with charts
where a person would rather look than read, and the numbers beside them.

The computation (store/reports.py) runs in a thread worker; the screen says it is counting
meanwhile. Reports are aggregates without names or identity codes: no access-log entry.
"""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from ohjaus_core.domain.codes import Channel, Segment
from ohjaus_core.domain.reports import FCR_WINDOW_DAYS, Report
from ohjaus_core.i18n import N_, _, format_day, format_number
from ..report_text import (
    assessment_definition,
    booking_definition,
    decimal,
    duty_name,
    fcr_definition,
    percent,
    range_label,
    referral_status_text,
    t3_value,
    weekly,
)
from ..theme import themed
from .frame import BackScreen

RANGES = (7, 30, 90)
LABEL = 26

# Buckets of the distributions: (lowest value, label); the last is open-ended.
MINUTE_BUCKETS = ((0, "0-4"), (5, "5-9"), (10, "10-14"), (15, "15-19"), (20, "20-29"), (30, "30-59"), (60, "60+"))
DAY_BUCKETS = ((0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4-7"), (8, "8-14"), (15, "15-30"), (31, "31+"))


def bucketed(histogram: dict[int, int], buckets: tuple[tuple[int, str], ...]) -> list[int]:
    counts = [0] * len(buckets)
    for value, n in histogram.items():
        index = max(i for i, (low, _label) in enumerate(buckets) if value >= low)
        counts[index] += n
    return counts


def _counts_axis(plt, values: list[int]) -> None:
    """Whole numbers from 0 on the y axis (counts, not measurements)."""
    top = max(max(values, default=0), 1)
    ticks = sorted({0, top // 2, top})
    plt.ylim(0, top)
    plt.yticks(ticks, [format_number(t) for t in ticks])


def _line(label: str, value: str, extra: str = "", width: int = LABEL) -> str:
    label = label if len(label) <= width else label[: width - 1] + "…"
    # A space always parts the label from its value ("Terveydenhoitaja 0,1 pv").
    return f"{label:<{width}} {value:>5} {extra}".rstrip()


def _distribution(title: str, counted: str, within: str, figures) -> list[str]:
    """A time distribution's lines: how many, the median, the 90th percentile, how many in time."""
    return [
        title,
        _line("  " + counted, format_number(figures.count)),
        _line("  " + _("Median"), decimal(figures.median)),
        _line("  " + _("90th percentile"), decimal(figures.p90)),
        _line("  " + within, percent(figures.share_within), f"{format_number(figures.within)}/{format_number(figures.judged)}"),
    ]


class ReportsScreen(BackScreen):
    BINDINGS = [
        Binding("1", "range(7)", N_("7 days")),
        Binding("3", "range(30)", N_("30 days")),
        Binding("9", "range(90)", N_("90 days")),
        Binding("u", "next_unit", N_("Unit")),
    ]

    CSS_PATH = "reports.tcss"
    TITLE_ID = "reports-title"

    def __init__(self, days: int = 30) -> None:
        super().__init__()
        self.days = days
        self.unit_code: str | None = None
        self.report: Report | None = None

    def body(self) -> ComposeResult:
        yield Static(id="reports-status")
        with VerticalScroll(id="reports-body"):
            with Horizontal(classes="reports-row"):
                yield Static(id="numbers-contacts", classes="reports-numbers")
                yield PlotextPlot(id="chart-days", classes="reports-chart")
            with Horizontal(classes="reports-row"):
                yield Static(id="numbers-assessment", classes="reports-numbers")
                yield PlotextPlot(id="chart-assessment", classes="reports-chart")
            with Horizontal(classes="reports-row"):
                yield Static(id="numbers-booking", classes="reports-numbers")
                yield PlotextPlot(id="chart-booking", classes="reports-chart")
            yield Static(id="reports-more")
            yield Static(id="reports-notes", classes="reports-note")

    def on_mount(self) -> None:
        self.query_one("#reports-body").focus()
        self.count()

    def after_relabel(self) -> None:
        if self.report is not None:
            self.show(self.report)
        else:
            self.count()
        self.query_one("#reports-body").focus()

    # -- keys -------------------------------------------------------------------------------

    def action_range(self, days: int) -> None:
        if days != self.days:
            self.days = days
            self.count()

    def action_next_unit(self) -> None:
        codes: list[str | None] = [None, *(unit.code for unit in self.ctx.store.units())]
        self.unit_code = codes[(codes.index(self.unit_code) + 1) % len(codes)]
        self.count()

    # -- counting in a thread ---------------------------------------------------------------

    def count(self) -> None:
        today = self.ctx.now().date()
        start = today - timedelta(days=self.days - 1)
        unit = self.unit_code or _("all units")
        self.query_one("#reports-status", Static).update(
            Text(_("Counting... {start} - {end}, {unit}").format(
                start=format_day(start), end=format_day(today), unit=unit
            ))
        )
        self.query_one("#reports-body").display = self.report is not None
        self._count(start, today, self.unit_code)

    @work(thread=True, exclusive=True, group="reports", exit_on_error=False)
    def _count(self, start, end, unit_code) -> None:
        from ..store.reports import make_report

        ctx = self.ctx
        try:
            report = make_report(ctx.store, ctx.shipped.region, start, end, ctx.now(), unit_code)
        except Exception as error:  # a disk problem, say: shown, not fatal
            self.app.call_from_thread(self._failed, str(error))
            return
        self.app.call_from_thread(self.show, report)

    def _failed(self, message: str) -> None:
        self.query_one("#reports-status", Static).update(Text(message, style=themed("bold $alarm-line")))

    # -- drawing ----------------------------------------------------------------------------

    def show(self, report: Report) -> None:
        self.report = report
        self.query_one("#reports-title", Static).update(
            Text(_("Reports: {range}").format(range=range_label(report)), no_wrap=True, overflow="ellipsis")
        )
        self.query_one("#reports-status", Static).update(
            Text(_("Last {days} days. Aggregates only: no names or identity codes.").format(days=self.days))
        )
        self.query_one("#reports-body").display = True
        self._contacts(report)
        self._assessment(report)
        self._booking(report)
        self._more(report)
        self.query_one("#reports-notes", Static).update(
            Text("\n".join((fcr_definition(), assessment_definition(), booking_definition(report.promise_days))))
        )

    def _contacts(self, report: Report) -> None:
        lines = [_line(_("Contacts"), format_number(report.contacts))]
        for channel in Channel:
            n = report.by_channel.get(channel.value, 0)
            lines.append(_line("  " + channel.label, format_number(n), percent(n / report.contacts) if report.contacts else ""))
        lines.append(_line("  " + _("of them anonymous"), format_number(report.anonymous)))
        if report.fcr_until is None:
            lines.append(_line(_("Resolved at first contact"), "-"))
            lines.append("  " + _("no contact has had its {days} days yet").format(days=FCR_WINDOW_DAYS))
        else:
            lines.append(_line(_("Resolved at first contact"), percent(report.fcr_share),
                               f"{format_number(report.fcr_resolved)}/{format_number(report.fcr_eligible)}"))
            # Counted, not resolved: the share is lower by these, and the lead sees why.
            lines.append(_line("  " + _("help still owed"), format_number(report.fcr_owed)))
            lines.append("  " + _("contacts up to {day}").format(day=format_day(report.fcr_until)))
        self.query_one("#numbers-contacts", Static).update(Text("\n".join(lines)))
        long_range = len(report.by_day) > 31
        series = weekly(report.by_day) if long_range else report.by_day
        plot = self.query_one("#chart-days", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("Contacts by week") if long_range else _("Contacts by day"))
        positions = list(range(1, len(series) + 1))
        values = [n for _day, n in series]
        plt.bar(positions, values, width=0.6)
        _counts_axis(plt, values)
        # No date ticks: plotext placed them differently from one drawing to the next; the
        # range is in the screen's title, and the days are in `ohjaus report`.
        plt.xticks([])
        plot.refresh()

    def _assessment(self, report: Report) -> None:
        a = report.assessment
        lines = _distribution(_("Care-need assessment, minutes"), _("Assessed"), _("Within the deadline"), a)
        self.query_one("#numbers-assessment", Static).update(Text("\n".join(lines)))
        self._histogram("#chart-assessment", _("Minutes to the assessment"), a.histogram, MINUTE_BUCKETS)

    def _booking(self, report: Report) -> None:
        b = report.booking
        lines = [
            *_distribution(_("Appointment, days from the contact"), _("Booked"), _("Within the care deadline"), b),
            _line("  " + _("Within the promise ({days} d)").format(days=report.promise_days),
                  percent(report.booking_promise_share),
                  f"{format_number(report.booking_within_promise)}/{format_number(b.count)}"),
        ]
        self.query_one("#numbers-booking", Static).update(Text("\n".join(lines)))
        self._histogram("#chart-booking", _("Days to the appointment"), b.histogram, DAY_BUCKETS)

    def _histogram(self, selector: str, title: str, histogram: dict[int, int], buckets) -> None:
        plot = self.query_one(selector, PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        values = bucketed(histogram, buckets)
        plt.bar([label for _low, label in buckets], values, width=0.6)
        _counts_axis(plt, values)
        plot.refresh()

    def _more(self, report: Report) -> None:
        lines: list = [_("Third next available slot (days from now)")]
        for row in report.t3:
            lines.append((f"  {row.unit_code} {row.profession}", t3_value(row.days), _("{n} free").format(n=format_number(row.free))))
        lines.append("")
        lines.append(_("Segments"))
        total = sum(report.segments.values())
        for segment in Segment:
            n = report.segments.get(segment.value, 0)
            lines.append(("  " + segment.label, format_number(n), percent(n / total) if total else ""))
        lines.append((_("High-need clients identified"), format_number(report.high_need_clients)))
        lines.append("")
        lines.append(_("Referrals by destination"))
        if not report.referrals:
            lines.append(("  " + _("No referrals"), "0"))
        for code, n in report.referrals.items():
            service = self.ctx.shipped.service(code)
            lines.append(("  " + (service.name if service else code), format_number(n)))
            status = referral_status_text(report.referral_status.get(code, {}))
            if status:  # on a line of its own: beside the name it ran past 80 columns
                lines.append("    " + status)
        lines.append("")
        lines.append(_("Duties made (notifications, safety responses)"))
        if not report.duties:
            lines.append(("  " + _("None"), "0"))
        for duty, n in report.duties.items():
            lines.append(("  " + duty_name(duty), format_number(n)))
        lines.append("")
        lines.append(_("Overdue follow-ups (open, due before today)"))
        if not report.overdue:
            lines.append(("  " + _("None"), "0"))
        for code, n in report.overdue.items():
            lines.append(("  " + code, format_number(n)))
        lines.append("")
        # The rows span the screen: their labels (a profession, a segment, a service) get the
        # room they need, cut only where the screen is too narrow for them (issue 15).
        rows = [line for line in lines if isinstance(line, tuple)]
        room = max(LABEL, self.app.size.width - 4 - 20)
        width = min(room, max((len(label) for label, *_rest in rows), default=LABEL))
        width = max(width, LABEL)
        lines = [_line(*line, width=width) if isinstance(line, tuple) else line for line in lines]
        self.query_one("#reports-more", Static).update(Text("\n".join(lines)))
