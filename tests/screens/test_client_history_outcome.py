"""The client's history says how each contact ended (advice given, a slot booked, referred
onward, a duty made), in a short word of the UI language heading the contact's line,
readable at 80x24."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import DataTable

from ohjaus_core.domain.codes import Channel, Handover, OutcomeKind, Segment, ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_core.i18n import set_language
from ohjaus_tui.screens.client_view import ClientScreen
from ohjaus_tui.store.models import Contact, Outcome

from ..conftest import FIXED_NOW, build_app
from ..factories import client_in_both_registers, worker
from ..pilot_helpers import sign_in, type_text

WORDS = {
    "fi": {"advice": "Neuvonta annettu", "booking": "Aika varattu", "referral": "Ohjattu eteenpäin"},
    "sv": {"advice": "Rådgivning given", "booking": "Tid bokad", "referral": "Hänvisad vidare"},
    "en": {"advice": "Advice given", "booking": "Slot booked", "referral": "Referred onward"},
}


def health_outcomes(store, client_id: str) -> list[str]:
    """The outcomes of the client's signed health contacts (none corrected in the demo)."""
    with store.session() as session:
        rows = session.exec(
            select(Outcome.kind).join(Contact, Contact.id == Outcome.contact_id)
            .where(Contact.client_id == client_id, Contact.status == "signed", Contact.sector == "health")
        ).all()
    return sorted(rows)


def screen_text(app) -> str:
    """The characters on the screen, as the screenshot draws them."""
    spans = re.findall(r"<text[^>]*>(.*?)</text>", app.export_screenshot())
    return html.unescape("".join(spans)).replace("\xa0", " ")


def advised_and_referred(store, client_id: str) -> None:
    """Two more signed health contacts of the client: advice given, and a referral."""
    nurse = worker(store, "hoitaja1")
    for n, (kind, extra) in enumerate([
        (OutcomeKind.ADVICE, dict(advice_text="Lepoa ja nesteitä")),
        (OutcomeKind.REFERRAL, dict(service_code="doctor_appointment", handover=Handover.WARM, consent=True)),
    ]):
        started = FIXED_NOW - timedelta(days=3 - n)
        d = ContactDraft(
            id=f"history-{kind.value}", worker_id=nurse.id, unit_id=nurse.unit_id, started_at=started,
            client_id=client_id, channel=Channel.PHONE, reason="Kuumetta", service_area=ServiceArea.HEALTH,
            protocol_id="advice_only", protocol_version=1, answers={}, suggested_urgency=Urgency.SELF_CARE,
            urgency=Urgency.SELF_CARE, segment=Segment.ADVICE, outcome_kind=kind, **extra,
        )
        store.contacts.sign(d, started + timedelta(minutes=10))


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_each_contact_in_the_history_shows_how_it_ended(data_dir, shipped, language):
    set_language(language)
    app = build_app(data_dir, shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        store = app.ctx.store
        client = store.clients.client(client_in_both_registers(store))
        advised_and_referred(store, client.id)
        expected = health_outcomes(store, client.id)
        assert {"advice", "booking", "referral"} <= set(expected)
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, client.identity_code)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ClientScreen)
        table = app.screen.query_one("#client-contacts", DataTable)
        # A contact's line begins with how it ended ("Slot booked: Same day").
        words = WORDS[language]
        heads = sorted(
            word for i in range(table.row_count)
            for word in words.values() if str(table.get_row_at(i)[2]).startswith(word + ": ")
        )
        assert heads == sorted(words[kind] for kind in expected)
        # At 80 columns the word is on the screen, not cut off to the right.
        text = screen_text(app)
        for word in set(heads):
            assert word in text
