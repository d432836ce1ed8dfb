"""The sync status line at 80x24: one line, in every language, whatever it has to say; what
matters least gives way first, never the changes waiting and what they are (the walk of
6.12.2026: in Swedish "...170" was left without "ändringar väntar", and a failed round's
reason took a second line)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from ohjaus_core.i18n import ngettext, set_language
from ohjaus_core.protocol import Answer, Reason, demo_token
from ohjaus_tui.screens.sync_view import SyncViewScreen
from ohjaus_tui.store.sync_side import SERVER, TOKEN
from ohjaus_tui.widgets.sync_badge import SyncBadge

from ..conftest import FIXED_NOW
from ..pilot_helpers import sign_in

NOBODY_LISTENS = "http://127.0.0.1:9"  # the discard port: refused at once, an offline round


def shown_line(app) -> tuple[SyncBadge, str]:
    badge = app.screen.query_one(SyncBadge)
    line = str(badge.render())
    # What the badge draws fits its one row: nothing is wrapped away or cut by the edge.
    assert badge.region.height == 1
    assert cell_len(line) <= badge.content_size.width, line
    return badge, line


def connect_to_nobody(store) -> None:
    store.set_setting(SERVER, NOBODY_LISTENS)
    store.set_setting(TOKEN, demo_token("ui6-device", "JL-KESK", ("health", "social")))


async def round_failed(pilot) -> None:
    """The round at sign-in (a thread) has ended offline."""
    for _ in range(100):
        await pilot.pause(0.1)
        if pilot.app.sync_state.online is False and not pilot.app.sync_state.running:
            break
    await pilot.pause()


def waiting(app) -> str:
    n = app.ctx.store.outbox.pending_count()
    return ngettext("{n} change waiting", "{n} changes waiting", n).format(n=n)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_not_connected_the_line_keeps_the_changes_waiting_whole_at_80x24(app, language):
    set_language(language)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.pause()
        _, line = shown_line(app)
        assert line.endswith(waiting(app)), line
        assert "(ohjaus connect)" in line


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
async def test_a_failed_round_stays_on_one_line_and_its_reason_is_whole_on_f6(app, store, language):
    set_language(language)
    connect_to_nobody(store)
    store.outbox.record_sync_result(FIXED_NOW)  # synced once: the line has its time too
    entry = store.outbox.pending_changes(1)[0]
    rejection = Answer(change_id=entry.change_id, status="rejected", reason=Reason.INVALID, detail="first_name")
    store.outbox.apply_answers([entry], [rejection], FIXED_NOW)  # one problem for F6
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await round_failed(pilot)
        error = app.ctx.store.outbox.sync_status().last_error
        assert error and NOBODY_LISTENS in error
        _, line = shown_line(app)
        assert line.endswith(waiting(app)), line
        assert "(F6)" in line
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, SyncViewScreen)
        assert error in str(app.screen.query_one("#sync-error").render())
        _, line = shown_line(app)
        assert line.endswith(waiting(app)), line


async def test_a_long_reason_is_cut_to_the_room_left_and_the_counts_stay(app, store):
    """A reason the central API words at length (a proxy's page, say): cut with an ellipsis."""
    set_language("sv")
    connect_to_nobody(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await round_failed(pilot)
        long_error = "Proxy\nError " + "x" * 200
        store.outbox.record_sync_result(FIXED_NOW, error=long_error)
        app.refresh_sync_status()
        await pilot.pause()
        _, line = shown_line(app)
        assert line.endswith(waiting(app)), line
        assert "Proxy Error x" in line and "…" in line
