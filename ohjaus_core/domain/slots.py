"""Choosing appointment slots to offer (ajanvaraus): earliest first, within the deadline.

A slot fits when it starts before the urgency's deadline, its professional serves in the
client's language, and it is at the preferred unit. Fitting slots come first, earliest
first; when there are too few, the nearest misses follow, each marked with why it misses,
so the worker is never left with an empty list and always sees the compromise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from .clock import local
from .codes import CHILD_UNTIL

if TYPE_CHECKING:
    from .contact import ContactDraft


@dataclass(frozen=True)
class SlotOffer:
    slot_id: str
    starts_at: datetime
    minutes: int
    mode: str
    unit_id: str
    unit_name: str
    professional_name: str
    profession: str
    languages: tuple[str, ...]
    profession_code: str = ""
    past_deadline: bool = False
    language_mismatch: bool = False
    other_unit: bool = False

    @property
    def fits(self) -> bool:
        return not (self.past_deadline or self.language_mismatch or self.other_unit)


def mark(
    offer: SlotOffer, *, language: str, preferred_unit_id: str | None, deadline: date | None
) -> SlotOffer:
    """The offer with why it misses: past the deadline, another language, another unit."""
    return replace(
        offer,
        past_deadline=deadline is not None and local(offer.starts_at).date() > deadline,
        language_mismatch=language not in offer.languages,
        other_unit=preferred_unit_id is not None and offer.unit_id != preferred_unit_id,
    )


def choose_slots(
    free: list[SlotOffer],
    *,
    language: str,
    preferred_unit_id: str | None,
    deadline: date | None,
    not_before: datetime,
    limit: int = 8,
    later: int = 2,
    professions_first: tuple[str, ...] = (),
) -> list[SlotOffer]:
    """The `limit` best slots to offer from `free`, fitting ones first, each marked.

    `professions_first`: these professions' slots lead (a child's child-health professionals),
    each group in the usual order, the client's language first within the deadline.

    When there are more good slots than fit the list, the last `later` rows still show the
    earliest slots past the deadline: a client may want a later day, which the worker can
    book with a reason.
    """
    marked = [
        mark(offer, language=language, preferred_unit_id=preferred_unit_id, deadline=deadline)
        for offer in free
        if offer.starts_at >= not_before
    ]
    marked.sort(
        key=lambda o: (
            bool(professions_first) and o.profession_code not in professions_first,
            o.past_deadline, o.language_mismatch, o.other_unit, o.starts_at,
        )
    )
    chosen = marked[:limit]
    late = [o for o in marked[limit:] if o.past_deadline][:later]
    if late and not any(o.past_deadline for o in chosen):
        chosen = chosen[: limit - len(late)] + late
    return chosen


def slots_for_draft(
    free: list[SlotOffer], draft: ContactDraft, *, deadline: date | None, not_before: datetime, **options
) -> list[SlotOffer]:
    """The slots to offer a contact's client: in the client's language, at the contact's unit
    first (choose_slots; `options` are its limit, later and professions_first)."""
    return choose_slots(
        free, language=draft.language.value, preferred_unit_id=draft.unit_id, deadline=deadline,
        not_before=not_before, **options,
    )


# Child health (neuvola, school health) is the public health nurse's work: a child's slots
# with them come first.
CHILD_HEALTH_PROFESSIONS = ("public_health_nurse", "paediatrician")


def fitting_professions(free: list[SlotOffer], professions: tuple[str, ...]) -> list[SlotOffer]:
    """The free slots of the professions that fit the protocol; all when it names none."""
    return [o for o in free if not professions or o.profession_code in professions]
