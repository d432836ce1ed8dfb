"""Callback figures (issue 20) checked against a hand count on a small store: four requests of
one queue on Friday 20.11.2026, called and answered as written below, through the store's own
paths (import, no answer, take, sign)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ohjaus_core.domain.callbacks import CallbackRequest, callback_id
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.codes import Register
from ohjaus_tui.report_text import render_csv, render_text
from ohjaus_tui.store.reports import make_report

from ..conftest import FIXED_NOW
from ..factories import worker
from tests.sync.test_sync_callbacks import _complete

DAY = date(2026, 11, 20)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI)


def hand_counted_store(store, shipped):
    nurse = worker(store, "hoitaja1")
    viewer = store.viewer(nurse.id)
    rules = shipped.region.callbacks
    asked = {"r1": at(8), "r2": at(8, 10), "r3": at(9), "r4": at(10)}
    store.worklist.import_callbacks([
        CallbackRequest(line=n, requested_at=moment, phone=f"+35840888000{n}", source=f"hand-{key}",
                        register=Register.HEALTH, queue="Testijono", reason="Testi")
        for n, (key, moment) in enumerate(asked.items(), start=1)
    ], nurse.unit_id, at(8))
    ids = {key: callback_id(nurse.unit_id, "health", f"hand-{key}") for key in asked}

    def answered(key: str, moment: datetime) -> None:
        draft = store.worklist.take_callback(ids[key], viewer, moment)
        store.contacts.sign(_complete(store.contacts.load_draft(draft.id)), moment + timedelta(minutes=5))

    # r1: no answer at 8.30, answered at 9.00: first call 30 min, contact 60 min.
    store.worklist.callback_no_answer(ids["r1"], viewer, rules, at(8, 30))
    answered("r1", at(9))
    # r2: answered at 11.10: 180 and 180.
    answered("r2", at(11, 10))
    # r3: no answer at 15.00 and the next morning, never reached: 360, no contact.
    store.worklist.callback_no_answer(ids["r3"], viewer, rules, at(15))
    store.worklist.callback_no_answer(ids["r3"], viewer, rules, at(8, day=DAY + timedelta(days=1)))
    # r4: answered the next morning at 9.00: 1380 and 1380.
    answered("r4", at(9, day=DAY + timedelta(days=1)))
    return nurse


def test_the_callback_figures_match_a_hand_count(store, shipped):
    hand_counted_store(store, shipped)
    report = make_report(store, shipped.region, DAY, DAY, FIXED_NOW)
    figures = [f for f in report.callbacks if f.queue == "Testijono"]
    assert len(figures) == 1
    queue = figures[0]
    assert queue.requests == 4
    # First call: 30, 180, 360, 1380 minutes.
    call = queue.to_call
    assert call.histogram == {30: 1, 180: 1, 360: 1, 1380: 1}
    assert (call.median, call.p90) == (270, 1380)  # (180 + 360) / 2; nearest rank of 4: the 4th
    assert (call.within_2h, call.judged_2h, call.same_day, call.judged_day) == (1, 4, 3, 4)
    # Contact: 60, 180, 1380; r3 never reached, but its 2 hours and its day have passed.
    contact = queue.to_contact
    assert contact.histogram == {60: 1, 180: 1, 1380: 1}
    assert (contact.median, contact.p90) == (180, 1380)
    assert (contact.share_2h, contact.share_day) == (0.25, 0.5)
    text = render_text(report)
    assert "Testijono" in text and "270 / 1380" in text and "25% / 75%" in text
    assert "callback_first_call_minutes,Testijono/median,270" in render_csv(report)


def test_a_request_still_waiting_is_not_yet_a_miss(store, shipped):
    nurse = worker(store, "hoitaja1")
    store.worklist.import_callbacks([
        CallbackRequest(line=1, requested_at=FIXED_NOW - timedelta(minutes=30), phone="+358408880009", source="fresh",
                        register=Register.HEALTH, queue="Tuore"),
    ], nurse.unit_id, FIXED_NOW)
    report = make_report(store, shipped.region, FIXED_NOW.date(), FIXED_NOW.date(), FIXED_NOW)
    fresh = next(f for f in report.callbacks if f.queue == "Tuore")
    assert (fresh.requests, fresh.to_call.count, fresh.to_call.judged_2h, fresh.to_call.judged_day) == (1, 0, 0, 0)
    later = make_report(store, shipped.region, FIXED_NOW.date(), FIXED_NOW.date(), FIXED_NOW + timedelta(hours=2))
    fresh = next(f for f in later.callbacks if f.queue == "Tuore")
    assert (fresh.to_call.judged_2h, fresh.to_call.share_2h, fresh.to_call.judged_day) == (1, 0.0, 0)
