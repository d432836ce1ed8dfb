"""Report figures against hand-computed values on a small fixed data set; `ohjaus report`.

The data set (local times, November 2026 is UTC+2; today is Wed 25.11.2026 09:00):

    contact  day    time   unit ch.  client reg.  signed        outcome               segment
    C0       30.10  10:00  A    phone    Y   soc  10:30         advice                advice    (before the range)
    C1       2.11   09:00  A    phone    X   hlth 09:10         advice                advice    (corrected by C1b)
    C1b      2.11   09:00  A    chat     X   hlth 09:12         advice                advice    (the correction)
    C2       5.11   10:00  A    chat     X   hlth 10:20         booking S1 12.11 10:00 (deadline 19.11)  clear
    C3       5.11   17:30  A    phone    -   hlth 9.11 08:30    advice                advice    (anonymous)
    C4       10.11  12:00  A    walk-in  Y   soc  12:30         referral social_guidance  complex, high-need; callback due 12.11 (open)
    C5       16.11  08:30  B    e-serv.  Z   hlth 08:45         booking S2 17.11 14:00 (deadline 16.11)  clear
    C6       20.11  09:00  A    phone    X   hlth 09:05         referral doctor_appointment  complex, high-need; check due 24.11 (open, worker at B)
    draft    10.11  11:00  A    phone    Z   -    not signed
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta

import pytest

from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.codes import (
    Channel,
    FollowUpKind,
    FollowUpStatus,
    Handover,
    HighNeedTrigger,
    OutcomeKind,
    PlanType,
    Segment,
    ServiceArea,
    Urgency,
)
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.domain.reports import median, percentile
from ohjaus_tui.report_text import render_csv, render_text
from ohjaus_tui.store import models
from ohjaus_tui.store.reports import fold, make_report, rebuild
from ohjaus_tui.store.store import Store

from tests.command.test_cli import ohjaus

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=HELSINKI)
START, END = date(2026, 11, 1), date(2026, 11, 25)
NAMES = json.dumps({"fi": "Yksikkö", "sv": "Enhet", "en": "Unit"})


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HELSINKI)


def profession(name: str) -> str:
    return json.dumps({"fi": name, "sv": name, "en": name})


def reference(store: Store) -> None:
    units = [
        models.Unit(id="unit-a", code="JL-A", name=NAMES, municipality="A", languages="fi"),
        models.Unit(id="unit-b", code="JL-B", name=NAMES, municipality="B", languages="fi"),
    ]
    workers = [
        models.Worker(id="nurse-a", username="nurse_a", name="N A", role="nurse", sector="health", unit_id="unit-a", languages="fi"),
        models.Worker(id="couns-a", username="couns_a", name="C A", role="counsellor", sector="social", unit_id="unit-a", languages="fi"),
        models.Worker(id="nurse-b", username="nurse_b", name="N B", role="nurse", sector="health", unit_id="unit-b", languages="fi"),
    ]
    professionals = [
        models.Professional(id="doc-a", code="doc-a", name="D A", profession="doctor", profession_name=profession("Doctor"),
                            unit_id="unit-a", languages="fi", service_area="health"),
        models.Professional(id="nur-a", code="nur-a", name="H A", profession="nurse", profession_name=profession("Nurse"),
                            unit_id="unit-a", languages="fi", service_area="health"),
        models.Professional(id="doc-b", code="doc-b", name="D B", profession="doctor", profession_name=profession("Doctor"),
                            unit_id="unit-b", languages="fi", service_area="health"),
    ]

    def slot(slot_id, professional, unit, moment, **extra):
        return models.Slot(id=slot_id, professional_id=professional, unit_id=unit, starts_at=moment, minutes=30, mode="visit", **extra)

    slots = [
        slot("S1", "doc-a", "unit-a", at(12, 10)),
        slot("S2", "doc-b", "unit-b", at(17, 14)),
        # Free from now on: doctor at A 25.11 10:00, 26.11 09:00, 27.11 09:00, 30.11 09:00 (and
        # one taken on the central API, one in the past); nurse at A only two.
        slot("A1", "doc-a", "unit-a", at(25, 10)),
        slot("A2", "doc-a", "unit-a", at(26, 9)),
        slot("A3", "doc-a", "unit-a", at(27, 9)),
        slot("A4", "doc-a", "unit-a", at(30, 9)),
        slot("A5", "doc-a", "unit-a", at(26, 10), taken_elsewhere=True),
        slot("A0", "doc-a", "unit-a", at(24, 9)),
        slot("N1", "nur-a", "unit-a", at(25, 9, 30)),
        slot("N2", "nur-a", "unit-a", at(26, 12)),
    ]
    clients = [
        models.Client(id=c, first_name=c, last_name=c, created_at=at(1, 8, month=10)) for c in ("X", "Y", "Z")
    ]
    store.add_all(units, workers, professionals, clients, slots)


def draft(contact_id, started, worker, unit, client, channel, area, urgency, segment, outcome, **extra) -> ContactDraft:
    d = ContactDraft(
        id=contact_id, worker_id=worker, unit_id=unit, started_at=started, client_id=client,
        anonymous=client is None, channel=channel, reason="r", service_area=area,
        protocol_id="advice_only", protocol_version=1, answers={}, suggested_urgency=urgency, urgency=urgency,
        segment=segment, outcome_kind=outcome,
    )
    if outcome == OutcomeKind.ADVICE:
        d.advice_text = "a"
    for key, value in extra.items():
        setattr(d, key, value)
    if d.high_need:
        d.triggers, d.plan_type, d.named_contact = [HighNeedTrigger.WORRY], PlanType.CLIENT_PLAN, f"worker:{worker}"
    return d


def sign(store, d: ContactDraft, signed: datetime) -> None:
    store.contacts.sign(d, signed)


@pytest.fixture
def fixed(tmp_path):
    store = Store(tmp_path / "fixed")
    reference(store)
    H, S = ServiceArea.HEALTH, ServiceArea.WORKING_AGE
    sign(store, draft("C0", at(30, 10, month=10), "couns-a", "unit-a", "Y", Channel.PHONE, S, Urgency.SELF_CARE,
                      Segment.ADVICE, OutcomeKind.ADVICE), at(30, 10, 30, month=10))
    c1 = draft("C1", at(2, 9), "nurse-a", "unit-a", "X", Channel.PHONE, H, Urgency.SELF_CARE, Segment.ADVICE, OutcomeKind.ADVICE)
    sign(store, c1, at(2, 9, 10))
    correction = store.contacts.start_correction("C1", at(2, 9, 11))
    correction.channel = Channel.CHAT
    sign(store, correction, at(2, 9, 12))
    sign(store, draft("C2", at(5, 10), "nurse-a", "unit-a", "X", Channel.CHAT, H, Urgency.NON_URGENT, Segment.CLEAR_NEED,
                      OutcomeKind.BOOKING, slot_id="S1", care_deadline=date(2026, 11, 19),
                      follow_up_kind=FollowUpKind.CHECK_VISIT, follow_up_due=date(2026, 11, 13),
                      follow_up_assignee_id="nurse-a"), at(5, 10, 20))
    sign(store, draft("C3", at(5, 17, 30), "nurse-a", "unit-a", None, Channel.PHONE, H, Urgency.SELF_CARE, Segment.ADVICE,
                      OutcomeKind.ADVICE), at(9, 8, 30))
    sign(store, draft("C4", at(10, 12), "couns-a", "unit-a", "Y", Channel.WALK_IN, S, Urgency.NON_URGENT, Segment.COMPLEX_NEED,
                      OutcomeKind.REFERRAL, service_code="social_guidance", handover=Handover.COLD, high_need=True,
                      follow_up_kind=FollowUpKind.CALLBACK, follow_up_due=date(2026, 11, 12),
                      follow_up_assignee_id="couns-a"), at(10, 12, 30))
    sign(store, draft("C5", at(16, 8, 30), "nurse-b", "unit-b", "Z", Channel.E_SERVICE, H, Urgency.SAME_DAY, Segment.CLEAR_NEED,
                      OutcomeKind.BOOKING, slot_id="S2", care_deadline=date(2026, 11, 16), past_deadline=True,
                      deadline_reason="toive", follow_up_kind=FollowUpKind.CHECK_VISIT,
                      follow_up_due=date(2026, 11, 30), follow_up_assignee_id="nurse-b"), at(16, 8, 45))
    sign(store, draft("C6", at(20, 9), "nurse-a", "unit-a", "X", Channel.PHONE, H, Urgency.THREE_DAYS, Segment.COMPLEX_NEED,
                      OutcomeKind.REFERRAL, service_code="doctor_appointment", handover=Handover.COLD, high_need=True,
                      follow_up_kind=FollowUpKind.CHECK_REFERRAL, follow_up_due=date(2026, 11, 24),
                      follow_up_assignee_id="nurse-b"), at(20, 9, 5))
    store.contacts.save_draft(draft("D1", at(10, 11), "nurse-a", "unit-a", "Z", Channel.PHONE, H, None, None, None), at(10, 11))
    done = next(f for f in store.export_records() if f["type"] == "follow_up" and f["contact_id"] == "C2")
    store.worklist.set_follow_up_status(done["id"], FollowUpStatus.DONE, "ok", at(13, 9))
    yield store
    store.close()


def test_percentiles_are_nearest_rank_and_the_median_averages_the_middle_two():
    assert median({5: 1, 12: 1, 15: 1, 20: 1}) == 13.5
    assert median({1: 1}) == 1 and median({}) is None
    assert percentile({5: 1, 12: 1, 15: 1, 20: 1, 5220: 1}, 0.9) == 5220  # ceil(4.5) = 5th
    assert percentile({1: 9, 2: 1}, 0.9) == 1  # the 9th of 10


def test_every_figure_of_the_fixed_data_set(fixed, shipped):
    report = make_report(fixed, shipped.region, START, END, NOW)
    # C1b, C2, C3, C4, C5, C6: C0 is before the range, C1 is corrected, D1 is a draft.
    assert report.contacts == 6
    # phone C3, C6; chat C1b (the correction changed it), C2; e-service C5; walk-in C4.
    assert report.by_channel == {"phone": 2, "chat": 2, "e_service": 1, "walk_in": 1, "mobile_point": 0}
    assert report.anonymous == 1  # C3
    days = dict(report.by_day)
    assert len(days) == 25 and sum(days.values()) == 6
    assert {d.day: n for d, n in days.items() if n} == {2: 1, 5: 2, 10: 1, 16: 1, 20: 1}
    # Resolved at the first contact: days up to 17.11 (25.11 - 8). Identified with an outcome:
    # C1b, C2, C4, C5; C4 made a callback: left out. C1b was followed by C2 three days later;
    # C2 (X's next is C6, 15 days later) and C5 were not: 2 of 3.
    assert report.fcr_until == date(2026, 11, 17)
    assert (report.fcr_eligible, report.fcr_resolved, report.fcr_callback) == (3, 2, 1)
    assert report.fcr_share == pytest.approx(2 / 3)
    # Care-need assessment, health contacts: C1b 12 min (09:00 -> 09:12 of the correction),
    # C2 20, C3 5220 (5.11 17:30 -> 9.11 08:30), C5 15, C6 5. Sorted 5, 12, 15, 20, 5220:
    # median 15, 90th percentile the 5th. C3 came after closing on Thursday: due Friday 6.11,
    # signed on Monday: late. 4 of 5 within.
    a = report.assessment
    assert (a.count, a.median, a.p90, a.within, a.judged) == (5, 15, 5220, 4, 5)
    # Appointments: C2 5.11 -> 12.11 = 7 days (deadline 19.11: within), C5 16.11 -> 17.11 =
    # 1 day (same-day deadline 16.11: late). Median (1 + 7) / 2 = 4, p90 the 2nd = 7; both
    # within the promise of 7 days.
    b = report.booking
    assert (b.count, b.median, b.p90, b.within, b.judged) == (2, 4, 7, 1, 2)
    assert report.booking_within_promise == 2 and report.promise_days == 7
    # T3 at 25.11 09:00: the doctor at A's third free slot is 27.11 09:00 = 2.0 days (the one
    # taken elsewhere and the past one do not count); A's nurse and B's doctor have fewer.
    t3 = {(r.unit_code, r.profession_code): (r.free, r.days) for r in report.t3}
    assert t3 == {("JL-A", "doctor"): (4, pytest.approx(2.0)), ("JL-A", "nurse"): (2, None), ("JL-B", "doctor"): (0, None)}
    assert report.segments == {"advice": 2, "clear_need": 2, "complex_need": 2}  # C1b C3 / C2 C5 / C4 C6
    assert report.high_need_clients == 2  # Y (C4), X (C6)
    assert report.referrals == {"doctor_appointment": 1, "social_guidance": 1}
    # Open and due before 25.11: C4's callback (12.11, a worker at A), C6's check (24.11, a
    # worker at B); C2's was done, C5's is due 30.11.
    assert report.overdue == {"JL-A": 1, "JL-B": 1}


def test_one_unit(fixed, shipped):
    report = make_report(fixed, shipped.region, START, END, NOW, "JL-B")
    assert report.contacts == 1 and report.by_channel["e_service"] == 1  # C5
    assert (report.fcr_eligible, report.fcr_resolved) == (1, 1)
    assert (report.assessment.count, report.assessment.median) == (1, 15)
    assert (report.booking.count, report.booking.median, report.booking.within) == (1, 1, 0)
    assert [(r.unit_code, r.profession_code) for r in report.t3] == [("JL-B", "doctor")]
    assert report.overdue == {"JL-B": 1} and report.high_need_clients == 0


def test_a_new_contact_counts_again_the_days_it_changes(fixed, shipped):
    make_report(fixed, shipped.region, START, END, NOW)
    # Z comes back on 17.11, the day after C5: C5 is no longer resolved at the first contact;
    # the new one is (nothing after it), and 17.11 is still counted.
    sign(fixed, draft("C7", at(17, 10), "nurse-b", "unit-b", "Z", Channel.PHONE, ServiceArea.HEALTH, Urgency.SELF_CARE,
                      Segment.ADVICE, OutcomeKind.ADVICE), at(17, 10, 8))
    report = make_report(fixed, shipped.region, START, END, NOW)
    assert report.contacts == 7
    assert (report.fcr_eligible, report.fcr_resolved) == (4, 2)  # C1b, C2, C5, C7; C2 and C7
    # Counting everything again gives the same figures as the folded summary.
    rebuild(fixed, shipped.region)
    assert make_report(fixed, shipped.region, START, END, NOW) == report
    assert fold(fixed, shipped.region) == 0


def test_a_week_has_no_contact_whose_seven_days_have_passed(fixed, shipped):
    report = make_report(fixed, shipped.region, date(2026, 11, 19), END, NOW)
    assert report.fcr_until is None and report.contacts == 1  # C6
    assert "-" in render_text(report)


def test_text_fits_80_columns_and_csv_is_one_row_a_figure(fixed, shipped):
    report = make_report(fixed, shipped.region, START, END, NOW)
    text = render_text(report, lambda code: shipped.service(code).name)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "67%" in text and "Aggregates only" in text and "within 7 days" in text
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[0] == ["section", "key", "value"]
    values = {(section, key): value for section, key, value in rows[1:]}
    assert values[("contacts", "signed")] == "6"
    assert values[("first_contact", "share_resolved")] == "0.6667"
    assert values[("assessment_minutes", "median")] == "15"
    assert values[("appointment_days", "share_within_care_deadline")] == "0.5"
    assert values[("t3_days", "JL-A/doctor")] == "2" and values[("t3_days", "JL-A/nurse")] == ""
    assert values[("referral", "social_guidance")] == "1"
    assert values[("overdue_follow_ups", "JL-B")] == "1"
    assert all(len(row) == 3 for row in rows)


def test_the_report_command(fixed, tmp_path):
    directory = str(fixed.data_dir)
    text = ohjaus("report", "--data-dir", directory, "--from", "2026-11-01", "--to", "2026-11-25")
    assert text.returncode == 0, text.stderr
    assert "Signed contacts" in text.stdout and "Resolved at the first contact" in text.stdout
    as_csv = ohjaus("report", "--data-dir", directory, "--from", "2026-11-01", "--to", "2026-11-25",
                    "--unit", "JL-B", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    assert "contacts,signed,1\n" in as_csv.stdout
    finnish = ohjaus("report", "--data-dir", directory, env_extra={"OHJAUS_LANG": "fi"})
    assert finnish.returncode == 0 and "Allekirjoitetut yhteydenotot" in finnish.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--unit", "NOPE"], "Unknown unit NOPE"),
        (["--from", "2026-11-25", "--to", "2026-11-01"], "ends before it begins"),
    ],
)
def test_the_report_command_refuses_in_one_line(fixed, args, message):
    result = ohjaus("report", "--data-dir", str(fixed.data_dir), *args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr


def test_the_report_command_without_a_data_directory(tmp_path):
    result = ohjaus("report", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "No data directory" in result.stderr
    assert not (tmp_path / "nothing").exists()
    bad_date = ohjaus("report", "--data-dir", str(tmp_path), "--from", "25.11.2026")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr
