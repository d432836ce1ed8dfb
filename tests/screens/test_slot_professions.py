"""The slot picker offers the professions that fit (issue 15): a protocol names them
(`professions`), F7 shows every profession, and a child's child-health professionals lead."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ohjaus_tui.context import load_shipped, shipped_data_dir
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.protocols.loading import load_protocols
from ohjaus_core.domain.slots import CHILD_HEALTH_PROFESSIONS, SlotOffer, choose_slots
from ohjaus_tui.widgets.slot_picker import SlotPicker

from ohjaus_tui.screens.prompt import PickScreen

from ..pilot_helpers import a_client, answer, answer_shown, pick, raised_to_same_day, start_contact


async def to_the_slots(pilot, identity_code: str, reason: str, protocol_id: str) -> SlotPicker:
    """A contact to the slot step: the protocol's shown questions answered no, then the
    suggested urgency, a clear need and a booking taken as they are."""
    await start_contact(pilot, "hoitaja1", identity_code, reason)
    await pick(pilot, "protocols", protocol_id)
    await answer_shown(pilot)
    await pilot.press("enter", "enter", "enter")  # the urgency, a clear need, a booking
    await pilot.pause()
    return pilot.app.screen.query_one(SlotPicker)


def without_professions(protocols: Path) -> Path:
    """The shipped urinary protocol without its `professions` line."""
    path = protocols / "urinary.toml"
    text = path.read_text("utf-8")
    path.write_text(text.replace('professions = ["nurse", "doctor"]\n', "", 1), "utf-8")
    return path


def test_a_protocol_names_the_professions_that_fit(tmp_path):
    shipped = next(p for p in load_protocols(shipped_data_dir() / "protocols") if p.id == "urinary")
    assert shipped.professions == ("nurse", "doctor")
    own = tmp_path / "protocols"
    shutil.copytree(shipped_data_dir() / "protocols", own)
    without_professions(own)
    # Without the key: every profession, as before.
    assert next(p for p in load_protocols(own) if p.id == "urinary").professions == ()


def test_every_shipped_protocol_names_professions_the_demo_region_has(shipped):
    """A urinary infection is a nurse's or a doctor's, a back a physiotherapist's too, a
    child's fever a public health nurse's first; no name the region's slots do not carry."""
    from ohjaus_core.domain.demo_region import load_demo_region

    region = load_demo_region(shipped_data_dir() / "demo")
    known = {p.profession for p in region.professionals}
    for protocol in shipped.protocols:
        assert protocol.professions, protocol.id
        assert set(protocol.professions) <= known, protocol.id
    fits = {p.id: set(p.professions) for p in shipped.protocols}
    assert "physiotherapist" not in fits["urinary"] and "physiotherapist" in fits["back_pain"]
    assert "public_health_nurse" in fits["fever_child"]


def offer(hour: int, profession: str, languages=("fi",)) -> SlotOffer:
    return SlotOffer(
        slot_id=f"{profession}-{hour}", starts_at=datetime(2026, 11, 26, hour, tzinfo=HELSINKI),
        minutes=30, mode="visit", unit_id="u", unit_name="U", professional_name="P",
        profession=profession, profession_code=profession, languages=languages,
    )


def test_a_child_gets_the_child_health_professionals_first_in_their_language_first():
    free = [offer(8, "physiotherapist"), offer(9, "doctor"), offer(11, "public_health_nurse", ("sv",)),
            offer(12, "public_health_nurse")]
    now = datetime(2026, 11, 25, 9, tzinfo=HELSINKI)
    chosen = choose_slots(free, language="fi", preferred_unit_id="u", deadline=None, not_before=now,
                          professions_first=CHILD_HEALTH_PROFESSIONS)
    assert [o.slot_id for o in chosen] == [
        "public_health_nurse-12", "public_health_nurse-11", "physiotherapist-8", "doctor-9"
    ]
    adult = choose_slots(free, language="fi", preferred_unit_id="u", deadline=None, not_before=now)
    assert adult[0].slot_id == "physiotherapist-8"  # no order by profession for an adult


async def test_a_urinary_infection_is_offered_nurses_and_doctors_and_f7_widens(app, store, shipped):
    client = a_client(store, nth=1)
    protocol = shipped.protocol("urinary")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Kirvelee virtsatessa")
        await pick(pilot, "protocols", "urinary")
        await answer(pilot, raised_to_same_day(protocol))
        await pilot.press("enter", "enter", "enter")  # the urgency, a clear need, a booking
        await pilot.pause()
        picker = app.screen.query_one(SlotPicker)
        assert picker.offers and {o.profession_code for o in picker.offers} <= {"nurse", "doctor"}
        await pilot.press("f7")
        await pilot.pause()
        widened = {o.profession_code for o in picker.offers}
        everyone = {o.profession_code for o in store.bookings.free_slots(app.screen.draft.service_area,
                    app.ctx.now(), app.ctx.now() + timedelta(days=28))}
        assert everyone - {"nurse", "doctor"}, "the demo unit has other professions' slots"
        assert widened - {"nurse", "doctor"}


async def test_f3_chooses_one_profession(app, store, shipped):
    """A back pain fits a physiotherapist, a nurse and a doctor; F3 narrows the slots to the
    doctor's, and a doctor's slot is what Enter books."""
    client = a_client(store, nth=1)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await to_the_slots(pilot, client.identity_code, "Selkä kipeä", "back_pain")
        assert {o.profession_code for o in picker.offers} > {"doctor"}
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        await pick(pilot, "pick", "doctor")
        assert {o.profession_code for o in picker.offers} == {"doctor"}
        assert "F3" in str(app.screen.query_one("#slot-deadline").render())
        await pilot.press("enter")
        await pilot.pause()
        draft = app.screen.draft
        assert draft.slot_id == picker.offers[0].slot_id
        assert store.bookings.slot_offer(draft.slot_id).profession_code == "doctor"


async def test_a_childs_fever_is_offered_the_public_health_nurse_first(app, store, shipped):
    """The child-health nurse (neuvola) is in the family services' area; a child's fever is a
    health contact, and her slots still lead."""
    from datetime import date

    from ohjaus_core.domain.deadlines.contact import age_on
    from ohjaus_tui.store.models import Client
    from sqlmodel import select

    with store.session() as session:
        clients = list(session.exec(select(Client).where(Client.language == "fi").order_by(Client.id)))
    child = next(c for c in clients if c.birth_date and age_on(c.birth_date, date(2026, 11, 25)) < 12
                 and not store.worklist.open_callbacks_of_client(c.id))
    async with app.run_test(size=(100, 30)) as pilot:
        picker = await to_the_slots(pilot, child.identity_code, "Kuumetta", "fever_child")
        assert picker.offers[0].profession_code == "public_health_nurse"
        await pilot.press("enter")
        await pilot.pause()
        assert store.bookings.slot_offer(app.screen.draft.slot_id).profession_code == "public_health_nurse"
