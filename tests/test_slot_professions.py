"""The slot picker offers the professions that fit (issue 15): a protocol names them
(`professions`), F7 shows every profession, and a child's child-health professionals lead."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ohjaus_tui.context import load_shipped, shipped_data_dir
from ohjaus_tui.domain.clock import HELSINKI
from ohjaus_tui.domain.protocols import load_protocols
from ohjaus_tui.domain.slots import CHILD_HEALTH_PROFESSIONS, SlotOffer, choose_slots
from ohjaus_tui.widgets.slot_picker import SlotPicker

from .pilot_helpers import a_client, answer, pick, start_contact



def with_professions(protocols: Path) -> Path:
    """The shipped urinary protocol, saying that its slots are a nurse's or a doctor's."""
    path = protocols / "urinary.toml"
    text = path.read_text("utf-8")
    path.write_text(text.replace('default_urgency = "non_urgent"\n', 'default_urgency = "non_urgent"\n'
                                 'professions = ["nurse", "doctor"]\n', 1), "utf-8")
    return path


def test_a_protocol_names_the_professions_that_fit(tmp_path):
    own = tmp_path / "protocols"
    shutil.copytree(shipped_data_dir() / "protocols", own)
    with_professions(own)
    assert next(p for p in load_protocols(own) if p.id == "urinary").professions == ("nurse", "doctor")
    shipped = next(p for p in load_protocols(shipped_data_dir() / "protocols") if p.id == "urinary")
    assert shipped.professions == ()  # without the key: every profession, as before


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


@pytest.fixture
def own_shipped(tmp_path):
    root = tmp_path / "shipped"
    shutil.copytree(shipped_data_dir(), root)
    with_professions(root / "protocols")
    return load_shipped(root)


async def test_a_urinary_infection_is_offered_nurses_and_doctors_and_f7_widens(data_dir, store, own_shipped):
    from .conftest import build_app

    app = build_app(data_dir, own_shipped)
    client = a_client(store, nth=1)
    protocol = own_shipped.protocol("urinary")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_contact(pilot, "hoitaja1", client.identity_code, "Kirvelee virtsatessa")
        await pick(pilot, "protocols", "urinary")
        await answer(pilot, [False] * (len(protocol.questions) - 1) + [True])
        await pilot.press("enter", "enter", "enter")  # the urgency, a clear need, a booking
        await pilot.pause()
        picker = app.screen.query_one(SlotPicker)
        assert picker.offers and {o.profession_code for o in picker.offers} <= {"nurse", "doctor"}
        await pilot.press("f7")
        await pilot.pause()
        widened = {o.profession_code for o in picker.offers}
        everyone = {o.profession_code for o in store.free_slots(app.screen.draft.service_area,
                    app.ctx.now(), app.ctx.now() + timedelta(days=28))}
        assert everyone - {"nurse", "doctor"}, "the demo unit has other professions' slots"
        assert widened - {"nurse", "doctor"}
