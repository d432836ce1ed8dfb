"""What the worker sees at every step, in Finnish, at 100x30 and at 80x24."""

from __future__ import annotations

import pytest

from ohjaus_tui.i18n import set_language
from ohjaus_tui.sync.protocol import Answer, Reason

from .conftest import FIXED_NOW, build_app
from .pilot_helpers import a_client, answer, pick, sign_in, type_text

SIZES = {"100x30": (100, 30), "80x24": (80, 24)}
STOPS = ["login", "home", "sync_view", "client", "need", "assessment", "segment", "outcome", "follow_up", "summary", "new_client_error"]


def journey(stop: str):
    """Drive a booking contact of a known client up to `stop`."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await pilot.pause()
        if stop == "login":
            return
        await sign_in(pilot, "hoitaja1")
        if stop == "home":
            return
        if stop == "sync_view":
            # A change the central API rejected, taken through the device's own answer path.
            store = app.ctx.store
            entry = store.pending_changes(1)[0]
            rejection = Answer(change_id=entry.change_id, status="rejected", reason=Reason.INVALID, detail="first_name")
            store.apply_answers([entry], [rejection], FIXED_NOW)
            await pilot.press("f6")
            await pilot.pause()
            return
        client = a_client(app.ctx.store, nth=4)
        await pilot.press("n")
        if stop == "new_client_error":
            await type_text(pilot, "Testinen Ilmari")
            await pilot.press("up")  # from the first result up: the highlight stays; go to "new"
            listing = app.screen.query_one("#client-results")
            await pilot.press(*["down"] * (listing.option_count - 2), "enter")
            await type_text(pilot, "131052-308U")
            await pilot.press("ctrl+s")
            await pilot.pause()
            return
        await type_text(pilot, client.last_name)
        await pilot.pause()
        if stop == "client":
            return
        await type_text(pilot, " " + client.first_name)
        await pilot.press("enter")
        await type_text(pilot, "Kuumetta kolme päivää, yskää")
        await pilot.pause()
        if stop == "need":
            return
        await pilot.press("enter")
        await pick(pilot, "protocols", "fever_adult")
        protocol = app.ctx.shipped.protocol("fever_adult")
        await answer(pilot, [False] * (len(protocol.questions) - 1) + [True])
        if stop == "assessment":
            return
        await pilot.press("enter")
        await pilot.pause()
        if stop == "segment":
            return
        await pilot.press("enter", "enter")
        await pilot.pause()
        if stop == "outcome":
            return
        await pilot.press("enter")
        await pilot.pause()
        if stop == "follow_up":
            return
        await pilot.press("enter")
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("stop", STOPS)
def test_snapshot(snap_compare, data_dir, shipped, stop, size):
    set_language("fi")
    app = build_app(data_dir, shipped)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=journey(stop))


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("stop", ["home", "assessment", "outcome", "summary"])
def test_snapshot_in_swedish_and_english(snap_compare, data_dir, shipped, stop, language):
    set_language(language)
    app = build_app(data_dir, shipped)
    assert snap_compare(app, terminal_size=SIZES["100x30"], run_before=journey(stop))
