"""A handled callback leaves the queue (issue 15): a contact with a client who is waiting in
the callback queue, started any way (N, the same client), asks once whether it answers the
callback, and signing it closes the callback."""

from __future__ import annotations

from ohjaus_core.domain.worklist import WorkKind
from ohjaus_tui.screens.confirm import ConfirmScreen
from ohjaus_tui.screens.home import HomeScreen

from ..pilot_helpers import advise_and_sign, items


async def waiting_client(pilot, store):
    """Sign in as the nurse; a client of hers who waits in the callback queue."""
    from ..pilot_helpers import sign_in

    await sign_in(pilot, "hoitaja1")
    first = next(i for i in items(pilot.app) if i.kind == WorkKind.CALLBACK and i.client_id)
    return first, store.clients.client(first.client_id)


async def test_a_new_contact_with_a_waiting_caller_closes_the_callback(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        waiting, client = await waiting_client(pilot, store)
        await pilot.press("n", *client.identity_code, "enter", *"Soitti itse uudelleen", "enter")
        await pilot.pause()
        draft = app.screen.draft
        await advise_and_sign(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "answers the callback of" in str(app.screen.question)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert waiting.id not in {i.id for i in items(app)}
    row = store.worklist.callback(waiting.id)
    assert (row.status, row.contact_id) == ("done", draft.id)


async def test_a_contact_that_does_not_answer_the_callback_leaves_it_waiting(app, store):
    async with app.run_test(size=(100, 30)) as pilot:
        waiting, client = await waiting_client(pilot, store)
        await pilot.press("n", *client.identity_code, "enter", *"Eri asia", "enter")
        await pilot.pause()
        await advise_and_sign(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert waiting.id in {i.id for i in items(app)}
    assert store.worklist.callback(waiting.id).status == "open"
