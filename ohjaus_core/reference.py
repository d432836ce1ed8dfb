"""A region's reference data as the sync contract's records: its units, workers and
professionals (the demo region's, or a region's own folder of `ohjaus region import`), and
the demo region's slots. Ids are UUIDv5 of the codes, so every demo device and the central
API made from the same files hold the same ids.

Both sides use it: the device's demo (ohjaus_tui/demo.py) stores these records in its tables,
the central API (`serve --demo`, `region import`) loads them as changes.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, datetime, timedelta

from .domain.calendar import is_working_day
from .domain.clock import HELSINKI
from .domain.demo_region import DemoRegion
from .records import Professional, Slot, Unit, Worker

NAMESPACE = uuid.UUID("6f1c2e4a-9d3b-5c7e-8a1f-0b2c3d4e5f60")
HISTORY_DAYS = 60  # the demo's slots (and contacts) reach this many days back


def ref_id(kind: str, code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{code}"))


def region_rows(region) -> tuple[list[Unit], list[Worker], list[Professional]]:
    """A region's units, workers and professionals as records (the demo's and a region's
    own folder, `ohjaus region import`); ids are UUIDv5 of their codes."""
    municipalities = {m.code: m for m in region.municipalities}
    units = []
    for unit in region.units:
        municipality = municipalities.get(unit.municipality)
        units.append(
            Unit(
                id=ref_id("unit", unit.code),
                code=unit.code,
                name=json.dumps(unit.names, ensure_ascii=False),
                municipality=municipality.names["fi"] if municipality else unit.municipality,
                languages=",".join(unit.languages),
                mobile=unit.mobile,
            )
        )
    workers = [
        Worker(
            id=ref_id("worker", worker.username),
            username=worker.username,
            name=worker.name,
            role=worker.role.value,
            sector=worker.register.value,
            unit_id=ref_id("unit", worker.unit),
            languages=",".join(worker.languages),
        )
        for worker in region.workers
    ]
    professionals = [
        Professional(
            id=ref_id("professional", professional.code),
            code=professional.code,
            name=professional.name,
            profession=professional.profession,
            profession_name=json.dumps(professional.profession_names, ensure_ascii=False),
            unit_id=ref_id("unit", professional.unit),
            languages=",".join(professional.languages),
            service_area=professional.service_area.value,
        )
        for professional in region.professionals
    ]
    return units, workers, professionals


def demo_slot_rows(region: DemoRegion, today: date) -> list[dict]:
    """The demo region's free slots from HISTORY_DAYS ago to the template's last day, as
    plain rows (every field of a Slot record; built as rows: a model object each took most
    of a 10,000-slot build's time)."""
    slots: list[dict] = []
    template = region.slot_template
    slot_rng = random.Random(f"slots:{today.isoformat()}")
    for professional in region.professionals:
        professional_id = ref_id("professional", professional.code)
        unit_id = ref_id("unit", professional.unit)
        for offset in range(-HISTORY_DAYS, template.days + 1):
            day = today + timedelta(days=offset)
            if not is_working_day(day):
                continue
            for start in template.times():
                if slot_rng.random() > template.fill_ratio:
                    continue
                starts_at = datetime.combine(day, start, tzinfo=HELSINKI)
                slots.append(
                    {
                        "id": ref_id("slot", f"{professional.code}:{starts_at.isoformat()}"),
                        "professional_id": professional_id,
                        "unit_id": unit_id,
                        "starts_at": starts_at,
                        "minutes": template.minutes,
                        "mode": slot_rng.choice(professional.modes),
                        "booked_contact_id": None,
                        "taken_elsewhere": False,
                    }
                )
    return slots


def demo_reference(region: DemoRegion, today: date) -> tuple[list[Unit], list[Worker], list[Professional], list[Slot]]:
    """The demo region's units, workers, professionals and slots as records (the central
    API's `serve --demo`; a demo device makes the same)."""
    return (*region_rows(region), [Slot(**row) for row in demo_slot_rows(region, today)])


def catalogue_record(toml: str) -> dict:
    """The region's catalogue as the central API sends it: the file's text, and the fields a
    device of an earlier version may leave out of its reading (catalogue.OPTIONAL_FIELDS)."""
    from .domain.catalogue import OPTIONAL_FIELDS
    from .protocol import CATALOGUE_ID

    return {"id": CATALOGUE_ID, "toml": toml, "optional": list(OPTIONAL_FIELDS)}
