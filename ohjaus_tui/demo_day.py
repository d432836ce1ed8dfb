"""The demo unit's day after its contacts: the frequent callers' missed appointments, this
morning's callback queue and the e-service's contact requests (demo.py's make_demo)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from ohjaus_core.domain.callbacks import CallbackRequest
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.domain.codes import Register
from ohjaus_core.domain.contact_requests import SOURCE_PREFIX
from ohjaus_core.domain.identity import make_identity_code
from .store.store import Store


def callbacks(
    store: Store, phrases: dict, rng: random.Random, clients: list, unit_id: str,
    registers: tuple[str, ...], today: date,
) -> None:
    """This morning's callback queue of the device's unit, as a phone system would hand it
    over: most callers are known clients (by phone), a few are not."""
    reasons = phrases["reasons"]
    opened = datetime.combine(today, time(7, 30), tzinfo=HELSINKI)
    requests = []
    for number in range(8):
        register = Register.SOCIAL if "social" in registers and number % 4 == 3 else Register.HEALTH
        if register == Register.HEALTH and "health" not in registers:
            continue
        pool = reasons["social_service_need"] if register == Register.SOCIAL else rng.choice(
            [reasons["fever_adult"], reasons["urinary"], reasons["back_pain"], reasons["medication_question"]]
        )
        known = [c for c in clients if c.phone]
        caller = rng.choice(known) if number % 5 != 4 and known else None
        requests.append(CallbackRequest(
            line=number + 1,
            requested_at=opened + timedelta(minutes=9 * number + rng.randrange(0, 8)),
            phone=caller.phone if caller else f"+35850{rng.randrange(1000000, 9999999)}",
            name=f"{caller.first_name} {caller.last_name}" if caller else "",
            reason=rng.choice(pool),
            source=f"demo-{today.isoformat()}-{unit_id[:8]}-{number}",
            register=register,
            queue="Sosiaalityö" if register == Register.SOCIAL else "Aikuiset",
        ))
    store.worklist.import_callbacks(requests, unit_id, opened)


def contact_requests(store: Store, clients: list, unit_id: str, today: date) -> None:
    """A few digital contact requests from the e-service's symptom forms this morning: a known
    client, a person new to the unit (identity code given) and one who gave only a name and a
    number. Deterministic, without the demo's random draws (the rest of the demo stays as it was)."""
    known = next((c for c in clients if c.identity_code and c.phone), None)
    opened = datetime.combine(today, time(6, 40), tzinfo=HELSINKI)
    forms = [
        dict(
            name=f"{known.first_name} {known.last_name}" if known else "Aino Lomake", phone=known.phone if known else "+358401110042",
            identity_code=known.identity_code if known else None, reason="Kurkku kipeä neljättä päivää, nieleminen sattuu.",
            answers={"severe_breathing_difficulty": False, "cannot_swallow_saliva": False, "has_fever": True, "fever_over_3_days": True},
            own_urgency="three_days", preference="call_back",
        ),
        dict(
            name="Ville Lomakkeenlähettäjä", phone="", identity_code=make_identity_code(date(1979, 5, 14), 913),
            reason="Selkä kipeytyi eilen muuttolaatikkoa nostaessa, säteilee pakaraan.",
            answers={"saddle_numbness": False, "leg_weakness": False, "back_pain_after_fall": False},
            other_answers="Oletko kokeillut kipulääkettä?: Ibuprofeeni 400 mg aamulla", own_urgency="same_day",
            preference="message",
        ),
        dict(
            name="Helmi Kysyjä", phone="+358501230077", identity_code=None,
            reason="Kuumetta 38,5 kaksi päivää, väsyttää.", answers={"has_fever": True},
            own_urgency="non_urgent", preference="call_back",
        ),
    ]
    requests = [
        CallbackRequest(
            line=n + 1, requested_at=opened + timedelta(minutes=17 * n), source=f"{SOURCE_PREFIX}demo-{today.isoformat()}-{unit_id[:8]}-{n}",
            register=Register.HEALTH, origin="e_service", **fields,
        )
        for n, fields in enumerate(forms)
    ]
    store.worklist.import_callbacks(requests, unit_id, opened)


def missed_appointments(
    store: Store, rng: random.Random, clients: list, unit_id: str, registers: tuple[str, ...], today: date
) -> None:
    """The frequent callers also miss appointments now and then at the device's unit, in one
    of its registers (the only unit and registers it may record them for: the central API
    refuses any other): the missed-appointments trigger has something to find. Health when
    the device holds it, as before; a social-only device records them in social."""
    register = Register.HEALTH if Register.HEALTH.value in registers else Register.SOCIAL
    for client in clients:
        for _n in range(rng.randrange(0, 4)):
            day = today - timedelta(days=rng.randrange(1, 28))
            starts = datetime.combine(day, time(9 + rng.randrange(0, 7)), tzinfo=HELSINKI)
            recorded = datetime.combine(day, time(17), tzinfo=HELSINKI)
            store.bookings.record_missed_appointment(client.id, starts, unit_id, recorded, register=register)
