"""What is typed is in the draft as it is typed (issue 15): a kill between two keys loses
at most the last one."""

from __future__ import annotations

import time

from ohjaus_core.domain.contact import Step

from ..pilot_helpers import a_client, sign_in, type_text


async def test_the_reason_is_saved_key_by_key_and_cheaply(app, store):
    client = a_client(store, nth=5)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n", *client.identity_code, "enter")
        await pilot.pause()
        draft = app.screen.draft
        assert draft.step == Step.NEED
        started = time.perf_counter()
        await type_text(pilot, "Kuumetta")
        await pilot.pause()
        per_key = (time.perf_counter() - started) / len("Kuumetta")
        assert store.contacts.load_draft(draft.id).reason == "Kuumetta"  # still at the need step
        await type_text(pilot, " ja")
        await pilot.pause()
        assert store.contacts.load_draft(draft.id).reason == "Kuumetta ja"
    # A key with its save stays well under what a typist notices (pilot overhead included).
    assert per_key < 0.2, per_key
