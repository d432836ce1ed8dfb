"""The slot picker's choice: earliest fitting first; misses marked, never hidden."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.slots import SlotOffer, choose_slots

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=HELSINKI)
HOME, OTHER = "unit-home", "unit-other"


def offer(slot_id: str, hours: float, unit: str = HOME, languages=("fi",)) -> SlotOffer:
    return SlotOffer(
        slot_id=slot_id,
        starts_at=NOW + timedelta(hours=hours),
        minutes=30,
        mode="visit",
        unit_id=unit,
        unit_name=unit,
        professional_name="Ammattilainen",
        profession="Lääkäri",
        languages=tuple(languages),
    )


def ids(offers):
    return [o.slot_id for o in offers]


def test_earliest_fitting_slots_come_first():
    free = [offer("late", 30), offer("early", 2), offer("middle", 20)]
    chosen = choose_slots(free, language="fi", preferred_unit_id=HOME, deadline=date(2026, 12, 9), not_before=NOW)
    assert ids(chosen) == ["early", "middle", "late"]
    assert all(o.fits for o in chosen)


def test_slots_that_started_already_are_not_offered():
    free = [offer("past", -1), offer("soon", 1)]
    chosen = choose_slots(free, language="fi", preferred_unit_id=HOME, deadline=None, not_before=NOW)
    assert ids(chosen) == ["soon"]


def test_a_slot_past_the_deadline_comes_after_every_fitting_one_and_is_marked():
    deadline = (NOW + timedelta(days=3)).date()
    free = [offer("after", 24 * 5), offer("within", 24 * 2)]
    chosen = choose_slots(free, language="fi", preferred_unit_id=HOME, deadline=deadline, not_before=NOW)
    assert ids(chosen) == ["within", "after"]
    assert chosen[1].past_deadline and not chosen[0].past_deadline


def test_the_deadline_day_is_a_local_calendar_day():
    # 23:30 in Helsinki on the deadline day is 21:30 UTC the same day: still within.
    deadline = date(2026, 11, 27)
    late_evening = SlotOffer(**{**offer("x", 0).__dict__, "starts_at": datetime(2026, 11, 27, 23, 30, tzinfo=HELSINKI)})
    [chosen] = choose_slots([late_evening], language="fi", preferred_unit_id=HOME, deadline=deadline, not_before=NOW)
    assert not chosen.past_deadline


def test_a_swedish_speaking_client_gets_a_swedish_speaking_professional_first():
    free = [offer("fi-early", 1, languages=("fi",)), offer("sv-later", 5, languages=("fi", "sv"))]
    chosen = choose_slots(free, language="sv", preferred_unit_id=HOME, deadline=None, not_before=NOW)
    assert ids(chosen) == ["sv-later", "fi-early"]
    assert chosen[1].language_mismatch


def test_the_own_unit_first_then_other_units_marked():
    free = [offer("other-early", 1, unit=OTHER), offer("home-later", 3)]
    chosen = choose_slots(free, language="fi", preferred_unit_id=HOME, deadline=None, not_before=NOW)
    assert ids(chosen) == ["home-later", "other-early"]
    assert chosen[1].other_unit


def test_the_deadline_outranks_language_and_unit():
    deadline = (NOW + timedelta(days=1)).date()
    free = [offer("sv-too-late", 24 * 4, languages=("sv", "fi")), offer("fi-other-unit-in-time", 2, unit=OTHER)]
    chosen = choose_slots(free, language="sv", preferred_unit_id=HOME, deadline=deadline, not_before=NOW)
    assert ids(chosen) == ["fi-other-unit-in-time", "sv-too-late"]


def test_at_most_the_limit_is_offered():
    free = [offer(f"s{i}", i + 1) for i in range(20)]
    assert len(choose_slots(free, language="fi", preferred_unit_id=HOME, deadline=None, not_before=NOW, limit=8)) == 8


def test_a_full_list_still_shows_the_earliest_slots_past_the_deadline():
    # Ten fitting slots today and tomorrow, then later ones: the last two rows are the later.
    free = [offer(f"soon{i}", 1 + i) for i in range(10)]
    free += [offer(f"late{i}", 24 * (10 + i)) for i in range(3)]
    offered = choose_slots(
        free, language="fi", preferred_unit_id=HOME, deadline=NOW.date() + timedelta(days=3),
        not_before=NOW, limit=8,
    )
    assert len(offered) == 8
    assert [o.past_deadline for o in offered] == [False] * 6 + [True] * 2
    assert ids(offered) == [f"soon{i}" for i in range(6)] + ["late0", "late1"]
