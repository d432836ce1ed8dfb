"""A worker's session, from sign-in to a signed contact, driven from the keyboard."""

from __future__ import annotations

from ohjaus_core.domain.codes import ContactStatus, OutcomeKind, Segment, Urgency
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.store.models import Contact

from ..pilot_helpers import a_client, sign_in

NURSE = "hoitaja1"


def signed_contacts(store) -> list[Contact]:
    return [c for c in store.contacts.signed_contacts(limit=1000)]


async def test_advice_only_contact_of_a_known_client_in_few_keys(app, store):
    client = a_client(store)
    before = {c.id for c in signed_contacts(store)}
    keys = 0

    async def key(*names):
        nonlocal keys
        keys += len(names)
        await pilot.press(*names)

    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, NURSE)
        await key("n")
        assert isinstance(app.screen, ContactScreen)
        await pilot.press(*client.identity_code)
        await key("enter")
        await pilot.press(*"Kysyy aukioloaikoja")
        await key("enter")
        await key("enter")  # protocol: advice only (first)
        await key("y")  # only wants information, no symptoms (the self-care criterion)
        await key("enter")  # accept the suggested urgency
        await key("enter")  # segment: advice (suggested)
        await key("enter")  # outcome: advice given (suggested)
        await pilot.press(*"Neuvottu ajanvarauksesta")
        await key("enter")
        await key("enter")  # follow-up: none
        await key("enter")  # sign
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert keys <= 12
    new = [c for c in signed_contacts(store) if c.id not in before]
    assert len(new) == 1
    signed = new[0]
    draft = store.contacts.load_draft(signed.id)
    assert draft.client_id == client.id
    assert draft.reason == "Kysyy aukioloaikoja"
    assert draft.urgency == Urgency.SELF_CARE
    assert draft.segment == Segment.ADVICE
    assert draft.outcome_kind == OutcomeKind.ADVICE
    assert draft.advice_text == "Neuvottu ajanvarauksesta"
    assert store.contacts.contact_status(signed.id) == ContactStatus.SIGNED

