""""Resolved at the first contact" counts only a need met: a contact that left help still owed
(a service-need assessment, a referral not yet taken up) is counted as not resolved.

A real SQLite store holding contacts of each kind (local times; today is Wed 25.11.2026 09:00,
so the contacts up to 17.11 have had their 7 days):

    contact  day    client reg.  urgency     outcome    follow-up          counts as
    K1       3.11   A      soc   non_urgent  advice     -                  owed (the assessment)
    K2       4.11   B      soc   self_care   advice     -                  resolved (advice path)
    K3       5.11   C      hlth  three_days  referral   check_referral     owed (referral pending)
    K4       6.11   D      hlth  non_urgent  booking    check_visit        resolved (booked)
    K5       9.11   E      hlth  self_care   advice     -                  came back (K6)
    K6       11.11  E      hlth  self_care   advice     -                  resolved
    K7       12.11  F      soc   non_urgent  referral   callback           left out (callback)
"""

from __future__ import annotations

from datetime import date

import pytest

from ohjaus_core.domain.codes import Channel, FollowUpKind, Handover, OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.reports import FCR_RESOLVED
from ohjaus_tui.report_text import render_csv, render_text
from ohjaus_tui.store import models
from ohjaus_tui.store.reports import TALLY_RULES_KEY, make_report
from ohjaus_tui.store.store import Store

from .test_reports import END, NOW, START, at, draft, reference, sign

H, S = ServiceArea.HEALTH, ServiceArea.WORKING_AGE


def follow_up(kind: FollowUpKind, worker: str) -> dict:
    return dict(follow_up_kind=kind, follow_up_due=date(2026, 11, 20), follow_up_assignee_id=worker)


@pytest.fixture
def kinds(tmp_path):
    store = Store(tmp_path / "kinds")
    reference(store)
    store.add_all([models.Client(id=c, first_name=c, last_name=c, created_at=at(1, 8, month=10)) for c in "ABCDEF"])
    contacts = [
        draft("K1", at(3, 10), "couns-a", "unit-a", "A", Channel.PHONE, S, Urgency.NON_URGENT, Segment.CLEAR_NEED,
              OutcomeKind.ADVICE),
        draft("K2", at(4, 10), "couns-a", "unit-a", "B", Channel.PHONE, S, Urgency.SELF_CARE, Segment.ADVICE,
              OutcomeKind.ADVICE),
        draft("K3", at(5, 10), "nurse-a", "unit-a", "C", Channel.PHONE, H, Urgency.THREE_DAYS, Segment.CLEAR_NEED,
              OutcomeKind.REFERRAL, service_code="doctor_appointment", handover=Handover.WARM, consent=True,
              **follow_up(FollowUpKind.CHECK_REFERRAL, "nurse-a")),
        draft("K4", at(6, 10), "nurse-a", "unit-a", "D", Channel.CHAT, H, Urgency.NON_URGENT, Segment.CLEAR_NEED,
              OutcomeKind.BOOKING, slot_id="S1", care_deadline=date(2026, 11, 19),
              **follow_up(FollowUpKind.CHECK_VISIT, "nurse-a")),
        draft("K5", at(9, 10), "nurse-a", "unit-a", "E", Channel.PHONE, H, Urgency.SELF_CARE, Segment.ADVICE,
              OutcomeKind.ADVICE),
        draft("K6", at(11, 10), "nurse-a", "unit-a", "E", Channel.PHONE, H, Urgency.SELF_CARE, Segment.ADVICE,
              OutcomeKind.ADVICE),
        draft("K7", at(12, 10), "couns-a", "unit-a", "F", Channel.WALK_IN, S, Urgency.NON_URGENT, Segment.COMPLEX_NEED,
              OutcomeKind.REFERRAL, service_code="social_guidance", handover=Handover.COLD,
              **follow_up(FollowUpKind.CALLBACK, "couns-a")),
    ]
    for contact in contacts:
        sign(store, contact, contact.started_at.replace(minute=20))
    yield store
    store.close()


def test_help_still_owed_is_not_resolved_at_the_first_contact(kinds, shipped):
    report = make_report(kinds, shipped.region, START, END, NOW)
    assert report.fcr_until == date(2026, 11, 17)
    # K1-K6 counted, K7 left out; resolved: K2, K4, K6; owed: K1, K3; came back: K5.
    assert (report.fcr_eligible, report.fcr_resolved, report.fcr_owed, report.fcr_came_back) == (6, 3, 2, 1)
    assert report.fcr_callback == 1
    assert report.fcr_share == pytest.approx(0.5)  # was 5 of 6 when help owed counted as resolved
    text = render_text(report)
    assert "Share resolved" in text and "50%" in text and "3 of 6" in text
    rows = {line[:48].strip(): line[48:].split()[0] for line in text.splitlines() if line.startswith("  Not resolved")}
    assert rows == {"Not resolved: help still owed": "2", "Not resolved: a new contact within 7 days": "1"}
    assert "service-need assessment" in text  # the report says what it counts
    assert all(len(line) <= 80 for line in text.splitlines())
    values = {tuple(line.split(",")[:2]): line.split(",")[2] for line in render_csv(report).splitlines()[1:]}
    assert values[("first_contact", "not_resolved_help_owed")] == "2"
    assert values[("first_contact", "not_resolved_new_contact")] == "1"


def test_a_summary_counted_by_the_old_rules_is_counted_again(kinds, shipped):
    """A device upgraded with its summary on it: the days were counted when help owed was still
    "resolved"; the first report after the upgrade counts them again."""
    make_report(kinds, shipped.region, START, END, NOW)
    with kinds.engine.begin() as connection:  # as the old rules left it: K1 and K3 resolved
        connection.exec_driver_sql(
            "UPDATE report_day SET count = count + 1 WHERE figure = ? AND day IN ('2026-11-03', '2026-11-05')",
            (FCR_RESOLVED,),
        )
        connection.exec_driver_sql("DELETE FROM report_day WHERE figure = 'fcr_owed'")
    kinds.set_setting(TALLY_RULES_KEY, "1")
    report = make_report(kinds, shipped.region, START, END, NOW)
    assert (report.fcr_resolved, report.fcr_owed) == (3, 2)
    assert kinds.setting(TALLY_RULES_KEY) != "1"
