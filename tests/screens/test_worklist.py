"""The worker's day from the keyboard: the callback queue taken through to a signed
contact, follow-ups completed, rescheduled and handed on, and callback files imported."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from textual.widgets import DataTable

from ohjaus_core.domain.callbacks import read_callbacks
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.codes import FollowUpStatus
from ohjaus_core.domain.worklist import WorkKind
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.confirm import ConfirmScreen
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.store.models import Callback, FollowUp

from ..conftest import FIXED_NOW
from ..pilot_helpers import advise_and_sign, items, sign_in, type_text


def worklist_rows(app) -> list[list[str]]:
    """Every row as listed: the callback requests' section, the e-service requests', then the rest."""
    rows = []
    for name in ("#callbacks", "#requests", "#worklist"):
        table = app.screen.query_one(name, DataTable)
        rows += [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return rows


async def test_the_queue_is_ordered_overdue_first_then_by_deadline(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        callbacks = [i for i in items(app) if i.kind == WorkKind.CALLBACK]
        listed = items(app)[len(callbacks):]  # the callback requests' own section first
        assert items(app)[: len(callbacks)] == callbacks
        assert {WorkKind.CALLBACK, WorkKind.FOLLOW_UP} <= {i.kind for i in items(app)}
        assert [i.due_at for i in listed] == sorted(i.due_at for i in listed)
        overdue = [i for i in listed if i.overdue(FIXED_NOW)]
        assert listed[: len(overdue)] == overdue  # the overdue ones come first
        # Asked this morning in office hours: the care-need assessment is due today by 16.00.
        assert all(i.due_at == datetime(2026, 11, 25, 16, 0, tzinfo=HELSINKI) for i in callbacks)
        assert [i.since for i in callbacks] == sorted(i.since for i in callbacks)
        assert any("by 16:00" in row[0] for row in worklist_rows(app))


async def test_a_callback_taken_from_the_queue_becomes_a_signed_contact(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        first = next(i for i in items(app) if i.kind == WorkKind.CALLBACK and i.client_id)
        await pilot.press(*["down"] * items(app).index(first), "enter")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        draft = app.screen.draft
        assert draft.client_id == first.client_id and draft.reason == first.what  # chosen and written
        await pilot.press("enter")  # the need as the caller gave it
        await advise_and_sign(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert first.id not in {i.id for i in items(app)}
    row = store.worklist.callback(first.id)
    assert (row.status, row.contact_id, row.result) == ("done", draft.id, "contact signed")


async def test_a_discarded_callback_contact_goes_back_to_the_queue(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        first = next(i for i in items(app) if i.kind == WorkKind.CALLBACK)
        await pilot.press(*["down"] * items(app).index(first), "enter")
        await pilot.pause()
        await pilot.press("f8", "k")
        await pilot.pause()
        assert first.id in {i.id for i in items(app) if i.kind == WorkKind.CALLBACK}
    assert store.worklist.callback(first.id).status == "open"


async def test_an_unknown_caller_is_searched_by_the_phone_number(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        unknown = next(i for i in items(app) if i.kind == WorkKind.CALLBACK and not i.client_id)
        await pilot.press(*["down"] * items(app).index(unknown), "enter")
        await pilot.pause()
        query = app.screen.query_one("#client-query").value
        assert query.replace(" ", "") == "0" + unknown.phone.removeprefix("+358")


async def test_a_callback_without_an_answer_is_marked_done_with_what_came_of_it(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        first = next(i for i in items(app) if i.kind == WorkKind.CALLBACK)
        await pilot.press(*["down"] * items(app).index(first), "d")
        await pilot.pause()
        await pilot.press("enter")  # nothing said: refused
        await pilot.pause()
        assert "Say what came of it" in str(app.screen.query_one("#prompt-error").render())
        await type_text(pilot, "Ei vastannut kahdesti, tekstiviesti lähetetty")
        await pilot.press("enter")
        await pilot.pause()
        assert first.id not in {i.id for i in items(app)}
    assert store.worklist.callback(first.id).result == "Ei vastannut kahdesti, tekstiviesti lähetetty"


async def follow_up_row(pilot):
    follow = next(i for i in items(pilot.app) if i.kind == WorkKind.FOLLOW_UP)
    await pilot.press(*["down"] * items(pilot.app).index(follow))
    return follow


async def test_a_follow_up_is_completed_with_its_result(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        follow = await follow_up_row(pilot)
        await pilot.press("d")
        await pilot.pause()
        await type_text(pilot, "Vointi parempi, ei jatkoa")
        await pilot.press("enter")
        await pilot.pause()
        assert follow.id not in {i.id for i in items(app)}
    with store.session() as session:
        row = session.get(FollowUp, follow.id)
    assert (row.status, row.result) == (FollowUpStatus.DONE.value, "Vointi parempi, ei jatkoa")
    # The change goes to the central API like every follow-up change.
    assert any(e.record_id == follow.id for e in store.outbox.pending_changes(10_000))


async def test_a_follow_up_rescheduled_leaves_todays_list(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        follow = await follow_up_row(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+u", *"24.11.2026", "enter")  # the past: refused
        await pilot.pause()
        assert "cannot be in the past" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("ctrl+u", *"30.11.2026", "enter")
        await pilot.pause()
        assert follow.id not in {i.id for i in items(app)}
    with store.session() as session:
        assert str(session.get(FollowUp, follow.id).due) == "2026-11-30"


async def test_a_follow_up_handed_to_a_colleague_moves_to_their_list(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        follow = await follow_up_row(pilot)
        await pilot.press("h")
        await pilot.pause()
        choices = [app.screen.query_one("#pick").get_option_at_index(i).id for i in range(app.screen.query_one("#pick").option_count)]
        colleague = next(c for c in choices if c.startswith("worker:"))
        await pilot.press(*["down"] * choices.index(colleague), "enter")
        await pilot.pause()
        assert follow.id not in {i.id for i in items(app)}
        await pilot.press("l")
        await pilot.pause()
        await sign_in(pilot, "hoitaja2")
        assert follow.id in {i.id for i in items(app)}
    with store.session() as session:
        assert session.get(FollowUp, follow.id).assignee_id == colleague.removeprefix("worker:")


async def test_a_follow_up_handed_to_the_team_is_on_every_team_members_list(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        follow = await follow_up_row(pilot)
        await pilot.press("h", "enter")  # the team is the first choice
        await pilot.pause()
        kept = next(i for i in items(app) if i.id == follow.id)
        assert kept.team and "(team)" in worklist_rows(app)[items(app).index(kept)][1]
        await pilot.press("l")
        await pilot.pause()
        await sign_in(pilot, "hoitaja2")
        assert follow.id in {i.id for i in items(app)}
        await pilot.press("l")
        await pilot.pause()
        await sign_in(pilot, "ohjaaja1")  # the other register's worker does not get it
        assert follow.id not in {i.id for i in items(app)}


# -- importing a phone system's queue ------------------------------------------------------------


def write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def line_of(problem: str) -> int:
    """The line number of a "FILE:LINE: what" report."""
    return int(problem.split(": ", 1)[0].rsplit(":", 1)[1])


GOOD_CSV = "requested_at,phone,name,reason,identity_code,id\n2026-11-25T08:10:00+02:00,040 123 4567,Aino Testi,Kuumetta,,q-1\n"


def test_a_csv_with_bad_rows_imports_the_good_ones_and_names_the_bad_lines(tmp_path, store):
    path = write(
        tmp_path / "queue.csv",
        b"requested_at,phone,name,reason,identity_code,id\n"
        b"2026-11-25T08:10:00+02:00,040 123 4567,Aino Testi,Kuumetta,,q-1\n"
        b"2026-11-25T08:12:00+02:00,not a phone,Bertta,Yskii,,q-2\n"
        b"25.11.2026 8.15,+358 40 765 4321,Cecilia,Selk\xe4 kipe\xe4,,q-3\n"
        b",040 111 2222,Daniel,Ei aikaa,,q-4\n"
        b"25.11.2026 8.20,040 222 3333,Eino,Hetu v\xc3\xa4\xc3\xa4rin,131052-308U,q-5\n"
        b"25.11.2026 8.25,040 333 4444,Fanny,Toimii,,q-6\n",
    )
    read = read_callbacks(path)
    assert [r.line for r in read.requests] == [2, 7]
    # Line 3: not a phone; 4: not UTF-8; 5: no time; 6: a wrong identity code.
    assert [line_of(p) for p in read.problems] == [3, 4, 5, 6]
    assert any(":4: not valid UTF-8" in p for p in read.problems)
    assert any(":3: " in p for p in read.problems) and any(":5: requested_at is missing" in p for p in read.problems)
    unit = store.units()[0].id
    result = store.worklist.import_callbacks(read.requests, unit, FIXED_NOW)
    assert (result.added, result.already) == (2, 0)
    again = store.worklist.import_callbacks(read_callbacks(path).requests, unit, FIXED_NOW)
    assert (again.added, again.already) == (0, 2)  # the phone system's ids: nothing twice


def test_json_lines_and_arrays_are_read_and_a_caller_is_matched(tmp_path, store):
    from ..pilot_helpers import a_client

    client = a_client(store)
    rows = [
        {"requested_at": "2026-11-25T08:00:00+02:00", "phone": "0401234567", "identity_code": client.identity_code},
        {"requested_at": "2026-11-25T08:05:00+02:00", "phone": "0401234567", "colour": "red"},
    ]
    lines = write(tmp_path / "q.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    read = read_callbacks(lines)
    assert [r.line for r in read.requests] == [1]
    assert [line_of(p) for p in read.problems] == [2, 3]
    assert "unknown columns: colour" in read.problems[0]
    array = write(tmp_path / "q.json", json.dumps(rows[:1]))
    assert len(read_callbacks(array).requests) == 1
    result = store.worklist.import_callbacks(read.requests, store.units()[0].id, FIXED_NOW)
    assert result.matched == 1
    with store.session() as session:
        from sqlmodel import select

        assert session.exec(select(Callback).where(Callback.client_id == client.id)).first() is not None


def test_an_import_is_all_or_nothing(tmp_path, store):
    path = write(tmp_path / "q.csv", GOOD_CSV + "2026-11-25T08:11:00+02:00,040 765 4321,X,Y,,q-9\n")
    requests = read_callbacks(path).requests
    broken = [requests[0], type(requests[1])(**{**requests[1].__dict__, "unit_code": "NOPE"})]
    from ohjaus_core.domain.errors import DomainError

    with pytest.raises(DomainError, match="unknown unit NOPE"):
        store.worklist.import_callbacks(broken, store.units()[0].id, FIXED_NOW)
    with store.session() as session:
        from sqlmodel import select

        assert session.exec(select(Callback).where(Callback.source == "q-1")).first() is None


def test_the_import_command_reports_bad_lines_and_exits_1(tmp_path, data_dir, capsys):
    from ohjaus.cli import main

    path = write(tmp_path / "q.csv", GOOD_CSV + "2026-11-25T08:12:00+02:00,not a phone,B,Y,,q-2\n")
    assert main(["callbacks", "import", str(path), "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr()
    assert f"{path}:3:" in out.err and "1 callback requests imported" in out.out
    assert main(["callbacks", "import", str(tmp_path / "none.csv"), "--data-dir", str(data_dir)]) == 2


async def test_a_follow_up_taken_from_the_list_is_done_when_its_contact_is_signed(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        follow = await follow_up_row(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen) and app.screen.draft.client_id == follow.client_id
        await type_text(pilot, "Soitettu takaisin, vointi parempi")
        await pilot.press("enter")
        await advise_and_sign(pilot)
        if isinstance(app.screen, ConfirmScreen):  # the client also waits in the callback queue
            await pilot.press("n")
            await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert follow.id not in {i.id for i in items(app)}
    with store.session() as session:
        row = session.get(FollowUp, follow.id)
        assert (row.status, row.result) == ("done", "Contact signed")


async def test_a_follow_up_whose_contact_is_discarded_stays_on_the_list(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        follow = await follow_up_row(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f8", "k")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert follow.id in {i.id for i in items(app)}
    with store.session() as session:
        assert session.get(FollowUp, follow.id).status == "open"


async def test_a_follow_up_whose_contact_was_killed_is_closed_when_the_resumed_contact_is_signed(data_dir, shipped):
    """Issue 20: the link lives in the store with the draft, not in the home screen's memory."""
    from ohjaus_tui.store.models import Contact

    from ..conftest import build_app

    app = build_app(data_dir, shipped)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        follow = await follow_up_row(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        contact_id = app.screen.draft.id
        await type_text(pilot, "Soitettu takaisin, vointi parempi")
        await pilot.press("enter")  # the need step saved; then the app is gone, unsigned
        await pilot.pause()
    app.ctx.store.close()
    # Another process, the same store: the draft names the follow-up it was taken for.
    again = build_app(data_dir, shipped)
    store = again.ctx.store
    with store.session() as session:
        assert session.get(Contact, contact_id).for_follow_up_id == follow.id
        assert session.get(FollowUp, follow.id).status == "open"
    async with again.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        assert isinstance(again.screen, ConfirmScreen), "the unfinished contact is offered"
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(again.screen, ContactScreen) and again.screen.draft.id == contact_id
        await pilot.press("enter", "n", "enter")  # advice only, no symptoms, its urgency
        await pilot.press("enter", "enter")  # segment and outcome as suggested
        await type_text(pilot, "Neuvottu")
        await pilot.press("enter", "enter", "enter")  # no follow-up; sign
        await pilot.pause()
        if isinstance(again.screen, ConfirmScreen):  # the client also waits in the callback queue
            await pilot.press("n")
            await pilot.pause()
        assert isinstance(again.screen, HomeScreen)
        assert follow.id not in {i.id for i in items(again)}
    with store.session() as session:
        assert session.get(Contact, contact_id).status == "signed"
        row = session.get(FollowUp, follow.id)
        assert (row.status, row.result) == ("done", "Contact signed")
