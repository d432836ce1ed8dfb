"""Callbacks as a queue on the worklist (issue 20): every callback request in its own section,
never cut by the rest of the work, by priority and oldest first, with the time waited; "no
answer" (E on the item, F10 in the contact started from it) puts the request back for the
region's interval and, after the region's last try, makes it a letter or message to send."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable

from ohjaus_core.domain.callbacks import CallbackRequest
from ohjaus_core.domain.codes import Register
from ohjaus_core.domain.deadlines.rules import CallbackRules
from ohjaus_core.domain.worklist import WorkKind
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.home import HomeScreen

from ..conftest import FIXED_NOW
from ..factories import nurse_unit, worker
from ..pilot_helpers import items, section, sign_in, type_text


def add_requests(store, unit_id: str, *rows: tuple[str, int, str]) -> None:
    """(source, minutes before FIXED_NOW, priority)."""
    store.worklist.import_callbacks([
        CallbackRequest(
            line=n, requested_at=FIXED_NOW - timedelta(minutes=minutes), phone=f"+3584099900{n:02d}",
            name=f"Soittaja {source}", reason=f"Asia {source}", source=source, register=Register.HEALTH,
            queue="Aikuiset", priority=priority,
        )
        for n, (source, minutes, priority) in enumerate(rows, start=1)
    ], unit_id, FIXED_NOW)


def test_every_callback_is_listed_whatever_the_rest_and_the_rest_is_cut_at_200(store, shipped):
    from ohjaus_core.domain.contact import ContactDraft

    nurse = worker(store, "hoitaja1")
    viewer = store.viewer(nurse.id)
    add_requests(store, nurse.unit_id, *[(f"many-{n}", 300 - n, "normal") for n in range(230)])
    for _ in range(210):  # unfinished contacts: the rest of the day's work
        store.contacts.save_draft(ContactDraft(worker_id=nurse.id, unit_id=nurse.unit_id, started_at=FIXED_NOW - timedelta(days=2)), FIXED_NOW, viewer)
    listed = store.worklist.worklist(viewer, shipped.region, FIXED_NOW)
    callbacks = [i for i in listed if i.kind == WorkKind.CALLBACK]
    assert {f"many-{n}" for n in range(230)} <= {i.who.removeprefix("Soittaja ") for i in callbacks}
    assert listed[: len(callbacks)] == callbacks  # first, apart from the rest
    requests = [i for i in listed if i.kind == WorkKind.REQUEST]  # (the e-service's: their own section)
    assert len(listed) - len(callbacks) - len(requests) == 200  # the cut applies to the rest only
    assert [i.since for i in callbacks] == sorted(i.since for i in callbacks)


def test_the_queue_is_by_priority_then_oldest_first_and_a_put_back_one_shows_when_it_comes_back(store, shipped):
    unit = nurse_unit(store)
    add_requests(store, unit, ("old", 200, "normal"), ("urgent", 10, "high"), ("later", 20, "low"), ("new", 30, "normal"))
    nurse = next(w for w in store.workers() if w.unit_id == unit and w.username == "hoitaja1")
    viewer = store.viewer(nurse.id)
    listed = [i for i in store.worklist.worklist(viewer, shipped.region, FIXED_NOW) if i.kind == WorkKind.CALLBACK]
    ours = [i.who.removeprefix("Soittaja ") for i in listed if i.who.startswith("Soittaja ")]
    assert ours == ["urgent", "old", "new", "later"]
    old = next(i for i in listed if i.who == "Soittaja old")
    store.worklist.callback_no_answer(old.id, viewer, shipped.region.callbacks, FIXED_NOW)
    listed = [i for i in store.worklist.worklist(viewer, shipped.region, FIXED_NOW) if i.kind == WorkKind.CALLBACK]
    assert listed[-1].id == old.id and listed[-1].back_at == FIXED_NOW + timedelta(minutes=30)
    # Back in the queue at 9.30: by its priority and age again, first of the normal ones.
    back = [i for i in store.worklist.worklist(viewer, shipped.region, FIXED_NOW + timedelta(minutes=30)) if i.kind == WorkKind.CALLBACK]
    assert [i.who for i in back if i.who.startswith("Soittaja ")][:2] == ["Soittaja urgent", "Soittaja old"]


async def test_e_on_a_callback_records_no_answer_and_it_shows_when_it_comes_back(app, store):
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        assert app.screen.query_one("#callbacks", DataTable).has_focus
        label = str(app.screen.query_one("#callbacks-label").render())
        assert "Callback requests:" in label and "waiting" in label and "the longest" in label
        first = items(app)[0]
        assert first.kind == WorkKind.CALLBACK
        assert section(app, "#callbacks")[0][1].startswith(("1 h", "2 h", "3 h"))  # the time waited
        await pilot.press("e")
        await pilot.pause()
        put_back = next(i for i in items(app) if i.id == first.id)
        assert put_back.attempts == 1 and put_back.back_at == FIXED_NOW + timedelta(minutes=30)
        row = section(app, "#callbacks")[items(app).index(put_back)]
        assert "back in the queue at 09:30" in row[3] and "1/3 not answered" in row[3]
        assert "1 back later" in str(app.screen.query_one("#callbacks-label").render())
        # T takes the first that may be called now, not the one put back.
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert store.worklist.callback_of_contact(app.screen.draft.id).id != first.id
    row = store.worklist.callback(first.id)
    assert (row.status, row.attempts) == ("open", 1)


async def test_f10_in_the_contact_of_a_callback_puts_it_back_and_the_last_try_makes_a_letter(app, store, shipped):
    rules: CallbackRules = shipped.region.callbacks
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        first = items(app)[0]
        for attempt in range(1, rules.max_attempts + 1):
            index = next(n for n, i in enumerate(items(app)) if i.id == first.id)
            table = app.screen.query_one("#callbacks", DataTable)
            table.focus()
            table.move_cursor(row=index)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ContactScreen)
            draft = app.screen.draft.id
            await pilot.press("f10")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            assert store.contacts.contact_status(draft) is None  # no contact was made: the draft is gone
            assert store.worklist.callback(first.id).attempts == attempt
            if attempt < rules.max_attempts:
                # It comes back after the interval; the clock is fixed, so call it again now.
                assert next(i for i in items(app) if i.id == first.id).kind == WorkKind.CALLBACK
        letter = next(i for i in items(app) if i.id == first.id)
        sections = app.screen.callbacks + app.screen.requests
        assert letter.kind == WorkKind.LETTER and items(app).index(letter) >= sections
        assert any("Letter or message" in row[1] for row in section(app, "#worklist"))
        # Enter on it asks what was sent; it is then done.
        table = app.screen.query_one("#worklist", DataTable)
        table.focus()
        table.move_cursor(row=items(app).index(letter) - sections)
        await pilot.press("enter")
        await pilot.pause()
        await type_text(pilot, "Tekstiviesti: soita takaisin")
        await pilot.press("enter")
        await pilot.pause()
        assert first.id not in {i.id for i in items(app)}
    row = store.worklist.callback(first.id)
    assert (row.status, row.result, row.attempts) == ("done", "Tekstiviesti: soita takaisin", rules.max_attempts)


async def test_f10_in_a_contact_not_started_from_a_callback_changes_nothing(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
